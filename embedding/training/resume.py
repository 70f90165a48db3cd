"""Resume bookkeeping: which checkpoint a run continues from, and what a resumed run may change.

A resumed run continues the same training: its config may change how long the run trains and how it logs,
evaluates and saves, never what it trains. The config the run trained with before is kept beside the new one.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import time
from pathlib import Path
from typing import Any

import yaml

from ..config.schema import TrainConfig
from ..errors import UserError
from .distributed import is_main
from .outputs import LATEST, RESOLVED_CONFIG, prepare_run_dir, redact

logger = logging.getLogger(__name__)

# Keys a resumed run may change: how long it trains and how it logs, evaluates and saves; not what it trains.
RESUME_MAY_CHANGE = re.compile(
    r"^(args\.(max_steps|num_train_epochs|logging_\w+|eval_\w+|save_\w+|report_to|"
    r"dataloader_\w+|per_device_eval_batch_size|disable_tqdm|run_name)|evaluation\.|early_stopping\.)"
)


def open_run_dir(config: TrainConfig, *, resume: Any = None, overwrite: bool = False) -> tuple[Path, Path | None]:
    """The run dir, ready to write, and the checkpoint to resume from (None: train from the base model)."""
    run_dir = prepare_run_dir(config, resume=resume, overwrite=overwrite)
    return run_dir, find_resume_checkpoint(run_dir, resume)


def record_config(config: TrainConfig, run_dir: Path, checkpoint: Path | None) -> None:
    """Write config.resolved.yaml (secrets redacted); on resume, check the changes first and keep the old one.

    Every process compares the configs, so a refused change stops all of them; rank 0 writes.
    """
    resolved = redact(config.model_dump(mode="json"))
    changes = resume_config_changes(run_dir, resolved) if checkpoint is not None else []
    if checkpoint is not None:
        _warn_if_model_only(checkpoint)
    if is_main():
        if changes:
            logger.warning("resuming with changed settings:\n  %s", "\n  ".join(changes))
            _keep_previous_config(run_dir, checkpoint)
        (run_dir / RESOLVED_CONFIG).write_text(yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True))


def _keep_previous_config(run_dir: Path, checkpoint: Path) -> None:
    """Rename the config the run trained with before this resume to config.resolved.before-<checkpoint>.yaml."""
    kept = run_dir / f"config.resolved.before-{checkpoint.name}.yaml"
    if kept.exists():  # resumed from this checkpoint before: keep both records
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = kept.with_name(f"config.resolved.before-{checkpoint.name}-{stamp}.yaml")
    (run_dir / RESOLVED_CONFIG).rename(kept)


def _warn_if_model_only(checkpoint: Path) -> None:
    """`save_only_model: true` checkpoints hold no optimizer / scheduler state: say what that resume loses."""
    if not any((checkpoint / name).exists() for name in ("optimizer.pt", "optimizer.bin", "scheduler.pt")):
        logger.warning(
            "%s holds the model weights only (args.save_only_model: true): the weights continue, but the "
            "optimizer state and the learning-rate schedule start over (warmup included), so the result "
            "differs from an uninterrupted run. Set args.save_only_model: false for exact resumes.",
            checkpoint,
        )


def previous_before(run_dir: Path) -> dict[str, float]:
    """On resume the base model is gone; reuse the before-metrics the interrupted run stored, if any."""
    path = run_dir / "evaluation.before.json"
    return json.loads(path.read_text()) if path.exists() else {}


def resume_command(config_path: str | None, overrides: list[str] | None = None) -> str:
    """The command that continues this run: the same config and the same --set overrides, plus --resume."""
    config = shlex.quote(config_path) if config_path else "<config>"
    sets = [f"--set {shlex.quote(o)}" for o in overrides or []]
    return " ".join(["embedding train --config", config, *sets, "--resume"])


def is_complete_checkpoint(path: Path) -> bool:
    """A checkpoint the trainer can resume from: weights and trainer state written completely."""
    has_weights = any((path / f).exists() for f in ("model.safetensors", "pytorch_model.bin")) or any(
        path.glob("**/model.safetensors")
    )
    return has_weights and (path / "trainer_state.json").exists()


def find_resume_checkpoint(run_dir: Path, resume: Any) -> Path | None:
    """--resume CHECKPOINT: that folder; --resume alone: the run dir's newest complete checkpoint-N."""
    if resume in (None, False):
        return None
    if isinstance(resume, str) and resume not in LATEST:
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
    path = run_dir / RESOLVED_CONFIG
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
