"""The run dir: never overwrite a previous run, write the final model atomically, report what the run wrote."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from ...config.schema import TrainConfig
from ...errors import UserError
from ...models.folder import align_max_length
from ...report import write_report
from ...safe_files import SECRET_KEYS, redact, refuse_link  # noqa: F401  (re-exported: the run dir's callers)
from ..distributed.coordination import barrier, is_main
from .lock import hold_run_dir, release_run_dir

logger = logging.getLogger(__name__)

LATEST = ("latest", "true", "True")  # --resume values meaning "the run dir's newest complete checkpoint"
RESOLVED_CONFIG = "config.resolved.yaml"
RUN_MARKERS = ("final", "evaluation.json", "evaluation.before.json")


def holds_run(run_dir: Path) -> bool:
    """Whether the folder holds something a new run would lose: a model, checkpoints, results or training logs.

    A run that stopped on bad input before training wrote only its resolved config; re-running after the fix
    must not be refused for that.
    """
    if not run_dir.is_dir():
        return False
    refuse_links(run_dir)
    if any((run_dir / m).exists() for m in RUN_MARKERS) or any(run_dir.glob("checkpoint-*")):
        return True
    logs = run_dir / "logs.jsonl"
    return logs.exists() and '"step"' in logs.read_text(encoding="utf-8", errors="replace")


def refuse_links(run_dir: Path) -> None:
    """UserError naming every symbolic link inside the run dir: the run would write or append through it.

    A run dir holding only a planted `train.log -> ~/somewhere` is no "empty" run dir: the whole log would be
    appended to the file outside. The writers refuse links one by one as well (safe_files); this says it before
    anything is written, and lists them all.
    """
    links = [Path(top, name) for top, dirs, files in os.walk(run_dir) for name in dirs + files]
    links = [path for path in links if path.is_symlink()]
    if links:
        shown = ", ".join(f"{path} -> {os.readlink(path)}" for path in links[:5])
        raise UserError(
            f"run dir {run_dir} holds {len(links)} symbolic link{'s' if len(links) > 1 else ''} ({shown}); a run "
            "never writes through a link, which could change a file outside the run dir: remove "
            f"{'them' if len(links) > 1 else 'it'}, or choose another run_name"
        )


def prepare_run_dir(config: TrainConfig, *, resume: Any = None, overwrite: bool = False) -> Path:
    """`output_dir/run_name`, locked, created, writable; an existing run is refused, or moved aside with --overwrite.

    The lock (lock.py) stays held until the process exits or calls `release_run_dir`: a second process on the same
    run dir is refused, naming this one.
    """
    run_dir = Path(config.output_dir) / config.run_name
    if (resume is True or resume in LATEST) and not any(run_dir.glob("checkpoint-*")):
        # before anything is created: a mistyped run_name must not leave an empty run dir behind
        raise UserError(
            f"--resume: {run_dir} holds no checkpoint to resume (is run_name / output_dir the one "
            "of the run to continue?); start without --resume to train from the base model"
        )
    hold_run_dir(run_dir)  # before looking: a run being trained is neither called finished nor moved aside
    try:
        existing = holds_run(run_dir)  # every rank looks before rank 0 changes anything
        barrier()
        if existing and not resume:
            if not overwrite:
                raise UserError(
                    f"run dir {run_dir} already holds a run; pass --resume to continue it, --overwrite to "
                    "move it aside, or choose another run_name"
                )
            if is_main():
                moved = run_dir.rename(run_dir.with_name(f"{run_dir.name}.old-{time.strftime('%Y%m%d-%H%M%S')}"))
                logger.warning("--overwrite: the earlier run in %s was moved to %s", run_dir, moved)
        barrier()
        if is_main():
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
    except BaseException:
        release_run_dir(run_dir)  # a start refused here leaves the run dir free for the corrected rerun
        raise
    return run_dir


def save_final_model(trainer, final: Path) -> None:
    """Write to a temporary folder, then rename into place: a crash never leaves a half-written model.

    Every rank calls save_model (sharded setups such as FSDP/DeepSpeed need all of them); rank 0 renames.
    With a LoRA adapter, final/ is the adapter merged into the base (a plain model) and final-adapter/ the adapter
    alone; final-adapter/ is written first, so a final/ means both are complete.
    """
    from ...models.adapter import has_adapter

    if has_adapter(trainer.model):
        _save_with_adapter(trainer, final)
        return
    tmp = final.with_name(f".{final.name}.tmp")
    if trainer.is_world_process_zero() and tmp.exists():
        shutil.rmtree(tmp)  # left by a crashed run; removed before any rank starts writing
    trainer.accelerator.wait_for_everyone()
    try:
        trainer.save_model(str(tmp))
    except BaseException:
        if trainer.is_world_process_zero():  # e.g. a full disk: leave no half model behind, give its space back
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    trainer.accelerator.wait_for_everyone()
    if trainer.is_world_process_zero():
        _move_into_place(tmp, final)


def _move_into_place(tmp: Path, final: Path) -> None:
    refuse_link(final)  # planted during the run: the model must not go where the link points
    align_max_length(tmp)  # tokenizer files say the model's max_seq_length (clients reading them cut there)
    if final.exists():
        final.rename(final.with_name(f"{final.name}.old-{time.strftime('%Y%m%d-%H%M%S')}"))
    tmp.rename(final)


def _save_with_adapter(trainer, final: Path) -> None:
    """final-adapter/ (peft's layout) then final/ (merged), each written beside and renamed; rank 0 writes."""
    from ...models.adapter import merged_copy, save_adapter

    trainer.accelerator.wait_for_everyone()
    if trainer.is_world_process_zero():
        model = trainer.model
        writes = (
            (final.with_name(f"{final.name}-adapter"), lambda path: save_adapter(model, path)),
            (final, lambda path: merged_copy(model).save(str(path))),
        )
        for target, write in writes:
            tmp = target.with_name(f".{target.name}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)  # left by a crashed run
            try:
                write(tmp)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)  # e.g. a full disk: no half model, its space given back
                raise
            _move_into_place(tmp, target)
    trainer.accelerator.wait_for_everyone()


def write_run_report(run_dir: Path, config_path: str | None) -> None:
    """report.md + plots (rank 0); a plotting failure must not fail a finished (or interrupted) training."""
    if not is_main():
        return
    try:
        write_report(run_dir, config_path=config_path)
    except Exception as exc:
        logger.warning("report.md not written: %s", exc)
