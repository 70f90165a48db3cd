"""`embedding export` as one call: find the model and task, export into a staged folder, check it, report."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, UserError
from . import INSTALL, PACKAGES
from .check import ExportCheck
from .folder import check_output, staged
from .source import resolve_source

SEED = 42  # of the task's negative sampling and subsamples, as `embedding evaluate` defaults


@dataclass
class ExportRequest:
    target: str
    fmt: str
    output: str | None = None
    dataset: str | None = None
    task: str = "ir"
    split: str = "test"
    max_queries: int | None = None
    batch_size: int = 32
    max_drop: float = 0.01
    seed: int = SEED  # a training run's export step passes the run's seed: the same evaluator subsample
    with_torch: bool = False  # also keep the torch weights in the folder (a deployment runs the graph)
    calibration: list[str] | None = None  # static int8's texts (a run's training texts); default: the task's


def check_request(request: ExportRequest) -> None:
    """Values the CLI's parser cannot catch (a Python caller, a NaN): exit 2 naming the flag."""
    if not math.isfinite(request.max_drop) or request.max_drop < 0:
        raise UserError(f"--max-drop {request.max_drop}: must be a number >= 0 (e.g. 0.01)")


def check_installed(fmt: str = "onnx") -> None:
    missing = [name for name in PACKAGES[fmt] if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(
            f"--format {fmt} needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not "
            f"installed; install them: {INSTALL}"
        )


def export_model(request: ExportRequest, *, log: Callable[[str], None] = lambda _: None) -> tuple[ExportCheck, Path]:
    """Export `request.target` and check it; returns the check and the finished folder.

    Raises:
        UserError: missing packages, a bad model/run/output/dataset (before anything is written).
        LibraryFailed: the export library raised; no folder is left.
    """
    from ..evaluation.tasks import load_task
    from ..models import load_model

    check_request(request)
    check_installed(request.fmt)
    source = resolve_source(
        request.target, dataset=request.dataset, task=request.task, split=request.split, fmt=request.fmt
    )
    output = Path(request.output).expanduser() if request.output else source.default_output
    if output is None:
        raise UserError(
            f"{request.target}: a model name, not a folder, so there is nowhere beside it to write; pass --output "
            f"DIR (e.g. --output {request.target.rstrip('/').rsplit('/', 1)[-1]}-{request.fmt})"
        )
    check_output(output)
    task = source.task
    if request.max_queries is not None:
        task = task.model_copy(update={"max_queries": request.max_queries})
    try:
        data = load_task(task, 0, seed=request.seed)
    except UserError as exc:
        if type(exc) not in (UserError, DataError) or exc.problems:
            raise
        raise type(exc)(_renamed(str(exc.args[0]), asked=request.dataset is not None)) from None
    log(f"check data: {task.label} ({task.split}): {data.summary}")
    model, resolution = load_model(source.model, "RUN_OR_MODEL")
    log(f"model: {resolution.describe()}")
    if request.fmt != "static":
        from .onnx import check_exportable

        check_exportable(model)
    with staged(output) as folder:
        check = _export_and_check(model, data, folder, request, source.label, log)
    return check, output


def _renamed(message: str, *, asked: bool) -> str:
    """The check task's messages name the flags (or the run's evaluator), not the `tasks[0]` of an eval config."""
    if not asked:
        return message.replace("tasks[0]", "evaluator (of the run's config.resolved.yaml)", 1)
    flags = (("tasks[0].dataset.name", "--dataset"), ("tasks[0].split", "--split"), ("tasks[0]", "--dataset"))
    for key, flag in flags:
        message = message.replace(key, flag, 1)
    return message


CALIBRATION_TEXTS = 300


def calibration_texts(request: ExportRequest, data) -> list[str]:
    """The request's texts, else up to CALIBRATION_TEXTS of the check task's, spread over it (every n-th)."""
    from .check import task_texts

    if request.calibration:
        return request.calibration[:CALIBRATION_TEXTS]
    texts = task_texts(data)
    step = max(1, len(texts) // CALIBRATION_TEXTS)
    return texts[::step][:CALIBRATION_TEXTS]


def write_folder(model, data, folder: Path, request: ExportRequest, log: Callable[[str], None]):
    """Write the export into `folder`; returns (graph file, the exported model loaded as a client would)."""
    from sentence_transformers import SentenceTransformer

    from .errors import LibraryFailed
    from .layout import write_layout
    from .onnx import write_graph
    from .runtime import load_exported
    from .static import write_static

    if request.fmt == "static":
        return write_static(model, folder), SentenceTransformer(str(folder), device="cpu")
    write_layout(model, folder, with_torch=request.with_torch)
    texts = calibration_texts(request, data) if request.fmt == "onnx-int8" else []
    if texts:
        log(f"int8 calibration: {len(texts)} texts")
    file_name = write_graph(model, request.fmt, folder, texts)
    try:
        return file_name, load_exported(folder, file_name)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        runtime = "OpenVINO" if request.fmt == "openvino" else "onnxruntime"
        raise LibraryFailed(f"{runtime} could not load the exported {file_name}: {reason}") from exc


def _export_and_check(model, data, folder: Path, request: ExportRequest, label: str, log) -> ExportCheck:
    from . import MAX_BATCH_DIFFERENCE, MAX_COSINE_DIFFERENCE
    from .check import check_export
    from .report import write_report

    file_name, exported = write_folder(model, data, folder, request, log)
    check = check_export(
        model,
        exported,
        data,
        batch_size=request.batch_size,
        format=request.fmt,
        file_name=file_name,
        model=label,
        max_drop=request.max_drop,
        max_cosine_limit=MAX_COSINE_DIFFERENCE[request.fmt],
        batch_limit=MAX_BATCH_DIFFERENCE.get(request.fmt),
    )
    write_report(check, folder)
    return check
