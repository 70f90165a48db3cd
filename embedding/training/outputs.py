"""The run dir: never overwrite a previous run, write the final model atomically, find resumable checkpoints."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

from ..config.schema import TrainConfig
from ..errors import UserError

RUN_MARKERS = ("final", "evaluation.json", "evaluation.before.json")
SECRET_KEYS = re.compile(r"token|secret|password|api_key", re.IGNORECASE)


def redact(value: Any) -> Any:
    """Replace secrets (hub tokens and the like) by *** so they never reach logs, configs or model cards."""
    if isinstance(value, dict):
        return {
            k: ("***" if SECRET_KEYS.search(str(k)) and v not in (None, "", False) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def holds_run(run_dir: Path) -> bool:
    """Whether the folder holds something a new run would lose: a model, checkpoints, results or training logs.

    A run that stopped on bad input before training wrote only its resolved config; re-running after the fix
    must not be refused for that.
    """
    if not run_dir.is_dir():
        return False
    if any((run_dir / m).exists() for m in RUN_MARKERS) or any(run_dir.glob("checkpoint-*")):
        return True
    logs = run_dir / "logs.jsonl"
    return logs.exists() and '"step"' in logs.read_text(encoding="utf-8", errors="replace")


def prepare_run_dir(config: TrainConfig, *, resume: Any = None, overwrite: bool = False) -> Path:
    from .distributed import barrier, is_main

    run_dir = Path(config.output_dir) / config.run_name
    existing = holds_run(run_dir)  # every rank looks before rank 0 changes anything
    barrier()
    if resume in (True, "latest", "true", "True") and not any(run_dir.glob("checkpoint-*")):
        # before anything is created: a mistyped run_name must not leave an empty run dir behind
        raise UserError(
            f"--resume: {run_dir} holds no checkpoint to resume (is run_name / output_dir the one "
            "of the run to continue?); start without --resume to train from the base model"
        )
    if existing and not resume:
        if not overwrite:
            raise UserError(
                f"run dir {run_dir} already holds a run; pass --resume to continue it, --overwrite to "
                "move it aside, or choose another run_name"
            )
        if is_main():
            run_dir.rename(run_dir.with_name(f"{run_dir.name}.old-{time.strftime('%Y%m%d-%H%M%S')}"))
    barrier()
    if not is_main():
        barrier()
        return run_dir
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(
            f"output_dir: cannot write to {run_dir} ({exc.strerror}); choose a writable output_dir"
        ) from None
    barrier()
    return run_dir


def is_complete_checkpoint(path: Path) -> bool:
    """A checkpoint the trainer can resume from: weights and trainer state written completely."""
    has_weights = any((path / f).exists() for f in ("model.safetensors", "pytorch_model.bin")) or any(
        path.glob("**/model.safetensors")
    )
    return has_weights and (path / "trainer_state.json").exists()


def find_resume_checkpoint(run_dir: Path, resume: Any) -> Path | None:
    if resume in (None, False):
        return None
    if isinstance(resume, str) and resume not in ("latest", "true", "True"):
        path = Path(resume)
        if not path.is_dir():
            raise UserError(
                f"--resume {resume}: no such checkpoint folder ({path.resolve()}); give a "
                "checkpoint-N folder of a run, or --resume alone for the run dir's newest one"
            )
        if not is_complete_checkpoint(path):
            raise UserError(
                f"--resume {resume}: not a complete checkpoint (needs model weights and trainer_state.json)"
            )
        return path
    found = sorted(
        (p for p in run_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()),
        key=lambda p: int(p.name.split("-")[-1]),
        reverse=True,
    )
    for path in found:
        if is_complete_checkpoint(path):
            return path
    raise UserError(f"--resume: no complete checkpoint in {run_dir}; start without --resume (use --overwrite)")


# Keys a resumed run may change: how long it trains and how it logs, evaluates and saves; not what it trains.
RESUME_MAY_CHANGE = re.compile(
    r"^(args\.(max_steps|num_train_epochs|logging_\w+|eval_\w+|save_\w+|report_to|"
    r"dataloader_\w+|per_device_eval_batch_size|disable_tqdm|run_name)|evaluation\.|early_stopping\.)"
)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def resume_config_changes(run_dir: Path, resolved: dict[str, Any]) -> list[str]:
    """Compare a resumed run's config with the one the run started with (its config.resolved.yaml).

    Returns the allowed changes (duration, logging, evaluation: see RESUME_MAY_CHANGE) as "key: old -> new" lines;
    raises UserError listing every other change, since resuming would silently train something else (a different
    loss, data or model on top of the checkpoint).
    """
    import yaml

    path = run_dir / "config.resolved.yaml"
    if not path.exists():
        return []
    try:
        before = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return []
    old, new = _flatten(before), _flatten(resolved)
    changes = [
        (key, old.get(key, "<unset>"), new.get(key, "<unset>"))
        for key in sorted(set(old) | set(new))
        if old.get(key, "<unset>") != new.get(key, "<unset>")
    ]
    lines = [f"{key}: {a!r} -> {b!r}" for key, a, b in changes]
    refused = [line for (key, _, _), line in zip(changes, lines, strict=True) if not RESUME_MAY_CHANGE.match(key)]
    if refused:
        raise UserError(
            f"--resume: {run_dir} was started with another config ({path.name}):\n  "
            + "\n  ".join(refused)
            + f"\nResume with the run's own config (embedding train --config {path} --resume), or start a new "
            "run: --overwrite (moves this one aside) or another run_name. A resume may only change how long the "
            "run trains and how it logs, evaluates and saves."
        )
    return lines


def save_final_model(trainer, final: Path) -> None:
    """Write to a temporary folder, then rename into place: a crash never leaves a half-written model.

    Every rank calls save_model (sharded setups such as FSDP/DeepSpeed need all of them); rank 0 renames.
    """
    tmp = final.with_name(f".{final.name}.tmp")
    if trainer.is_world_process_zero() and tmp.exists():
        shutil.rmtree(tmp)  # left by a crashed run; removed before any rank starts writing
    trainer.accelerator.wait_for_everyone()
    trainer.save_model(str(tmp))
    trainer.accelerator.wait_for_everyone()
    if not trainer.is_world_process_zero():
        return
    if final.exists():
        final.rename(final.with_name(f"{final.name}.old-{time.strftime('%Y%m%d-%H%M%S')}"))
    tmp.rename(final)
