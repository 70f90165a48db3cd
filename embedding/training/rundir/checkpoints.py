"""Which checkpoints a run can continue from: every file present and readable to its end.

A checkpoint appears in the run dir only once written (trainer.py stages it), but a disk that filled up, a copy
cut short or a hand edit can still leave a file truncated; the trainer would then crash deep inside the resume,
or resume from something else than what the checkpoint says.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

WEIGHTS = ("model.safetensors", "pytorch_model.bin")
TRAINER_STATE = "trainer_state.json"
TORCH_FILES = (".pt", ".pth", ".bin")  # torch.save's zip format: optimizer.pt, scheduler.pt, rng_state.pth ...


def numbered(run_dir: Path) -> list[Path]:
    """The run dir's checkpoint-N folders, newest (highest N) first."""
    found = [p for p in run_dir.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]), reverse=True)


def checkpoint_problem(path: Path) -> str | None:
    """Why the trainer cannot resume from `path` (naming the file), or None when it can."""
    has_weights = any((path / f).exists() for f in WEIGHTS) or any(path.glob("**/model.safetensors"))
    if not has_weights or not (path / TRAINER_STATE).exists():
        return "no model weights or no trainer_state.json (a save that never finished)"
    for file in sorted(path.rglob("*")):
        problem = _file_problem(file) if file.is_file() else None
        if problem:
            return f"{file.relative_to(path.parent)} {problem}"
    return None


def _file_problem(file: Path) -> str | None:
    if file.suffix == ".safetensors":
        from safetensors import safe_open

        try:
            with safe_open(str(file), "pt"):  # reads the header and checks it covers the whole file
                return None
        except Exception as exc:
            return f"is truncated or damaged ({str(exc).splitlines()[0]})"
    if file.name == TRAINER_STATE:
        try:
            state = json.loads(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return f"is truncated or damaged (not JSON: {exc})"
        if not isinstance(state, dict) or not isinstance(state.get("global_step"), int):
            return "is damaged (no global_step)"
        return None
    if file.suffix in TORCH_FILES and (file.stat().st_size == 0 or not zipfile.is_zipfile(file)):
        return "is truncated or damaged (not a complete torch file)"
    return None


def newest_usable(run_dir: Path) -> Path | None:
    """The newest checkpoint the trainer can resume from (None when there is none)."""
    return next((p for p in numbered(run_dir) if checkpoint_problem(p) is None), None)
