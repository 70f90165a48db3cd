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

from ...config.schema import TrainConfig
from ...errors import UserError
from ...models import find_model
from ...safe_files import write_bytes, write_text
from ..distributed.coordination import is_main
from .checkpoints import checkpoint_problem, numbered
from .fingerprints import base_model_record, remember
from .outputs import LATEST, RESOLVED_CONFIG, prepare_run_dir, redact
from .restarts import note_restart, record_attempt, restart_settings
from .result import RunResult, stored_result

logger = logging.getLogger(__name__)

# Keys a resumed run may change: how long it trains and how it logs, evaluates and saves; not what it trains.
RESUME_MAY_CHANGE = re.compile(
    r"^(args\.(max_steps|num_train_epochs|logging_\w+|eval_\w+|save_\w+|report_to|"
    r"dataloader_\w+|per_device_eval_batch_size|disable_tqdm|run_name)|evaluation\.|early_stopping\.|export\.)"
)


def open_run_dir(config: TrainConfig, *, resume: Any = None, overwrite: bool = False) -> tuple[Path, Path | None]:
    """The run dir, ready to write, and the checkpoint to resume from (None: train from the base model).

    A group restarted by torchrun's agent continues from the newest complete checkpoint by itself (restarts.py).
    """
    resume, overwrite = restart_settings(Path(config.output_dir) / config.run_name, resume, overwrite)
    run_dir = prepare_run_dir(config, resume=resume, overwrite=overwrite)
    record_attempt(run_dir)
    return run_dir, find_resume_checkpoint(run_dir, resume)


def record_config(config: TrainConfig, run_dir: Path, checkpoint: Path | None) -> None:
    """Write config.resolved.yaml (secrets redacted); on resume, check the changes first and keep the old one.

    Every process compares the configs, so a refused change stops all of them; rank 0 writes.
    """
    resolved = redact(config.model_dump(mode="json"))
    note_restart(run_dir, checkpoint)
    if config.merge_with_base is not None:  # merged after training with the weights the run starts from now
        found = find_model(config.base_model.name, "base_model.name")
        remember(run_dir, "base_model", base_model_record(found.location, found.source), fresh=checkpoint is None)
    changes = resume_config_changes(run_dir, resolved) if checkpoint is not None else []
    if checkpoint is not None:
        _warn_if_model_only(checkpoint)
    if is_main():
        if changes:
            logger.warning("resuming with changed settings:\n  %s", "\n  ".join(changes))
            _keep_previous_config(run_dir, checkpoint)
        # written beside and renamed: a kill mid-write must not leave a half record that fails the next resume
        write_text(run_dir / RESOLVED_CONFIG, yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True))


def _keep_previous_config(run_dir: Path, checkpoint: Path) -> None:
    """Copy the config the run trained with before this resume to config.resolved.before-<checkpoint>.yaml."""
    kept = run_dir / f"config.resolved.before-{checkpoint.name}.yaml"
    if kept.exists():  # resumed from this checkpoint before: keep both records
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = kept.with_name(f"config.resolved.before-{checkpoint.name}-{stamp}.yaml")
    # a copy: the record stays in place until replaced
    write_bytes(kept, (run_dir / RESOLVED_CONFIG).read_bytes())


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
    try:
        before = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        before = None
    if isinstance(before, dict):
        return before
    logger.warning("%s is damaged: the before-training metrics are left out of this run's results", path)
    return {}


def finished_run(config: TrainConfig, run_dir: Path) -> RunResult | None:
    """The stored result when `--resume` has nothing left to do, else None.

    Finished: final/, evaluation.json and a run_end event as the last record of logs.jsonl (a resume that started
    again logs run_start after it), and the same config (a longer max_steps is more training to do).
    """
    result = stored_result(run_dir)
    if result is None or resume_config_changes(run_dir, redact(config.model_dump(mode="json"))):
        return None
    if _trains_longer(config, run_dir):
        return None
    if is_main():
        print(
            f"{run_dir} already finished (final model, evaluation.json and report written); nothing to resume. "
            "Raise args.max_steps to train longer, or start over with --overwrite.",
            flush=True,
        )
    return result


def _trains_longer(config: TrainConfig, run_dir: Path) -> bool:
    """Whether `config` trains longer than the run's newest checkpoint was planned for (its trainer_state's
    max_steps / num_train_epochs): a resume that raised max_steps and then stopped before training (damaged data,
    say) has already recorded the longer config, so the config comparison alone would call the run finished."""
    newest = next(iter(numbered(run_dir)), None)
    try:
        state = json.loads((newest / "trainer_state.json").read_text(encoding="utf-8")) if newest else {}
    except (OSError, ValueError):
        return False
    max_steps, epochs = config.args.get("max_steps"), config.args.get("num_train_epochs")
    if isinstance(max_steps, int) and max_steps > 0:
        return max_steps > (state.get("max_steps") or max_steps)
    return isinstance(epochs, (int, float)) and epochs > (state.get("num_train_epochs") or epochs)


def resume_command(config_path: str | None, overrides: list[str] | None = None) -> str:
    """The command that continues this run: the same config and the same --set overrides, plus --resume.

    The command goes to stdout, logs.jsonl and report.md, so an override that sets a secret (its key or a key in
    its value matches outputs.SECRET_KEYS: `args.hub_token=...`) is shown as `key=***`, for the user to fill in.
    """
    config = shlex.quote(config_path) if config_path else "<config>"
    shown = [shown_override(override) for override in overrides or []]
    hidden = any(override.endswith("=***") for override in shown)
    command = " ".join(["embedding train --config", config, *[f"--set {o}" for o in shown], "--resume"])
    return command + '  # put the secret back in place of *** (e.g. "$HF_TOKEN")' if hidden else command


def shown_override(override: str) -> str:
    """A `--set key=value` override as it may be printed or logged: `key=***` when it sets a secret (its key or a
    key in its value matches outputs.SECRET_KEYS), shell-quoted."""
    key, _, raw = override.partition("=")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return f"{shlex.quote(key)}=***" if redact({key: value}) != {key: value} else shlex.quote(override)


def rerun_command(config_path: str | None, overrides: list[str] | None = None, flag: str = "") -> str:
    """resume_command's command (the same config and --set overrides, secrets hidden) with `flag` for --resume."""
    head, found, tail = resume_command(config_path, overrides).rpartition(" --resume")
    if not found:  # no --resume to replace: the flag goes after the command
        head, tail = tail, ""
    return head + (f" {flag}" if flag else "") + tail


def find_resume_checkpoint(run_dir: Path, resume: Any) -> Path | None:
    """--resume CHECKPOINT: that folder; --resume alone: the run dir's newest checkpoint-N that is complete.

    A damaged newest checkpoint (a truncated file) is named in a warning and the one before it is taken.
    """
    if resume in (None, False):
        return None
    if isinstance(resume, str) and resume not in LATEST:
        path = Path(resume)
        if not path.is_dir():
            raise UserError(
                f"--resume {resume}: no such checkpoint folder ({path.resolve()}); give a "
                "checkpoint-N folder of a run, or --resume alone for the run dir's newest one"
            )
        problem = checkpoint_problem(path)
        if problem:
            raise UserError(f"--resume {resume}: not a complete checkpoint: {problem}; give another checkpoint")
        return path
    skipped = []
    for path in numbered(run_dir):
        problem = checkpoint_problem(path)
        if problem is None:
            if skipped:
                logger.warning("--resume: skipping %s; resuming from %s instead", "; ".join(skipped), path.name)
            return path
        skipped.append(f"{path.name}: {problem}")
    raise UserError(
        f"--resume: no complete checkpoint in {run_dir} ({'; '.join(skipped) or 'none'}); "
        "start without --resume (use --overwrite)"
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
    path = run_dir / RESOLVED_CONFIG
    if not path.exists():
        return []
    old, new = _flatten(_with_current_defaults(_recorded_config(path))), _flatten(resolved)
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


def _with_current_defaults(recorded: dict[str, Any]) -> dict[str, Any]:
    """The recorded config with keys added to the schema since the run started at their defaults: a new key at its
    default is no change of the run (a record the current schema refuses is compared as it is)."""
    try:
        return redact(TrainConfig.model_validate(recorded).model_dump(mode="json"))
    except ValueError:
        return recorded


def _recorded_config(path: Path) -> dict[str, Any]:
    """The run's config.resolved.yaml; a record that cannot be read must stop the resume, not skip its check."""
    problem = ""
    try:
        recorded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        recorded, problem = None, f"not valid YAML ({str(exc).splitlines()[0]})"
    if isinstance(recorded, dict):
        return recorded
    raise UserError(
        f"--resume: {path} is {problem or 'not a mapping of config keys'}: it records the config this run was "
        "trained with, which a resume must match. Restore it (e.g. from a config.resolved.before-*.yaml beside "
        "it, or write the run's config there), or start over with --overwrite"
    )
