"""After training: the config's `export` block, `embedding export RUN --format F` for each format.

Each export goes to run_dir/export-<format>/ (written under a temporary name, renamed when complete) and is
checked on the run's (first) evaluator against the torch model. The outcomes go to run_dir/export.json, which
report.md shows; a failed check or export makes `embedding train` exit 3, as `evaluation.fail_if_worse` does:
the trained model is kept either way.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from ...errors import UserError
from ...export.errors import LibraryFailed
from ...safe_files import write_json
from ..distributed.ranks import from_main
from ..rundir.result import RunResult
from ..trainer.session import Session

logger = logging.getLogger(__name__)

FILE_NAME = "export.json"
CALIBRATION_TEXTS = 300


def export_folder(run_dir: Path, fmt: str) -> Path:
    """Where `embedding export RUN --format fmt` writes by default, so both name the same folder."""
    return run_dir / f"export-{fmt}"


def _set_aside(folder: Path) -> None:
    """A folder from an earlier finish of this run (a resume) holds the model before it: moved aside, as final/."""
    if folder.exists():
        folder.rename(folder.with_name(f"{folder.name}.old-{time.strftime('%Y%m%d-%H%M%S')}"))


def _export_one(run_dir: Path, fmt: str, spec, seed: int, calibration: list[str]) -> dict[str, Any]:
    """The check of one format as JSON, or {format, folder, error} when the export could not be made."""
    from ...export.report import table
    from ...export.run import ExportRequest, export_model

    folder = export_folder(run_dir, fmt)
    _set_aside(folder)
    request = ExportRequest(
        target=str(run_dir),
        fmt=fmt,
        output=str(folder),
        batch_size=spec.batch_size,
        max_drop=spec.max_drop,
        seed=seed,
        calibration=calibration,  # static int8's activation scales from the run's own training texts
    )
    try:
        check, _ = export_model(request, log=logger.info)
    except (
        UserError,
        LibraryFailed,
    ) as exc:  # missing packages, no evaluator, a library crash: reported, the model is kept
        logger.warning("export %s failed: %s", fmt, exc.render())
        return {"format": fmt, "folder": folder.name, "error": exc.render()}
    logger.info("export %s -> %s\n%s", fmt, folder, table(check))
    return {"folder": folder.name, **check.as_json()}


def _export_all(run_dir: Path, spec, seed: int, calibration: list[str]) -> list[dict[str, Any]]:
    outcomes = [_export_one(run_dir, fmt, spec, seed, calibration) for fmt in spec.formats]
    write_json(run_dir / FILE_NAME, outcomes)  # whole, never through a planted link (safe_files)
    return outcomes


def export_after_training(session: Session, result: RunResult) -> list[dict[str, Any]]:
    """Export final/ in every format of the config's `export` block and check each; [] without the block. First,
    with mlflow among `report_to`, final/ goes to the mlflow run as its `final` artifact.

    Runs on the main process; every process gets the outcomes (each ExportCheck as JSON, or an `error`).
    """
    from ...report.trackers import final_model_to_trackers

    final_model_to_trackers(session.trainer, result.model_dir)  # mlflow: the shipped model as the run's artifact
    spec = session.plan.config.export
    if spec is None:
        return []
    from .quantization import calibration_texts

    texts = calibration_texts(session.plan, CALIBRATION_TEXTS) if "onnx-int8" in spec.formats else []
    return from_main(_export_all, result.run_dir, spec, session.plan.seed, texts)


def export_failures(run_dir: Path) -> list[str]:
    """One line per export of run_dir/export.json that failed or dropped the metric more than max_drop."""
    path = run_dir / FILE_NAME
    if not path.is_file():
        return []
    try:
        outcomes = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [f"{path}: unreadable; export again with `embedding export {run_dir} --format ...`"]
    lines = []
    for outcome in outcomes if isinstance(outcomes, list) else []:
        if "error" in outcome:
            lines.append(f"export {outcome.get('format')} failed: {outcome['error']}")
        elif not outcome.get("passed", True):
            drop, limit = outcome.get("drop"), outcome.get("max_drop")
            dropped = f"{outcome.get('metric')} dropped {drop:.4f} > export.max_drop {limit}"
            why = "; ".join(outcome.get("failures") or [dropped])
            lines.append(f"export {outcome.get('format')}: {why} ({run_dir / str(outcome.get('folder'))})")
    return lines
