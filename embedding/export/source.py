"""What to export and what to check it on: a run folder (its final/ model and its evaluator) or a model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config.eval_schema import TaskSpec
from ..config.schema import ModelSpec
from ..errors import UserError
from ..evaluation.runconfig import FILE_NAME, read_mapping, typed


@dataclass
class Source:
    """The model to export, where its name came from, and the task the check evaluates."""

    model: ModelSpec
    label: str
    task: TaskSpec
    default_output: Path | None  # None: a model name, --output is needed


def is_run_dir(path: Path) -> bool:
    return (path / FILE_NAME).is_file()


def run_task(run_dir: Path) -> TaskSpec | None:
    """The run's (first) in-training evaluator as a task; None when it had none or its config is unreadable."""
    config = typed(read_mapping(run_dir / FILE_NAME))
    if config is None or not config.evaluator:
        return None
    spec = config.evaluator[0] if isinstance(config.evaluator, list) else config.evaluator
    if getattr(spec, "type", "retrieval") == "sts":
        return TaskSpec(type="sts", dataset=spec.dataset, args=spec.args)
    return TaskSpec(
        type="ir", dataset=spec.dataset, args=spec.args, max_queries=spec.max_queries, max_corpus=spec.max_corpus
    )


def quick_task(dataset: str, task: str, split: str) -> TaskSpec:
    return TaskSpec(type=task, dataset={"name": dataset}, split=split)


def resolve_source(target: str, *, dataset: str | None, task: str, split: str, fmt: str) -> Source:
    """The model and check task of `embedding export TARGET`.

    Raises:
        UserError: a run folder without final/, or no task to check on (a model without --dataset, or a run
            without an evaluator and no --dataset).
    """
    path = Path(target).expanduser()
    asked = quick_task(dataset, task, split) if dataset else None
    if path.is_dir() and is_run_dir(path):
        final = path / "final"
        if not (final / "modules.json").is_file():
            raise UserError(
                f"{target}: a run folder without a finished model ({final} is missing or incomplete); export a "
                "run that finished training, or give a checkpoint or model folder instead"
            )
        checked = asked or run_task(path)
        if checked is None:
            raise UserError(
                f"{target}: the run's {FILE_NAME} has no `evaluator` to check the export on; pass --dataset "
                "(and --task ir|sts, --split) to name the data to check it on"
            )
        return Source(ModelSpec(name=str(final)), str(final), checked, path / f"export-{fmt}")
    if not path.exists() and _looks_local(target):
        raise UserError(
            f"{target}: no such folder; give a run folder (one with final/ and {FILE_NAME}) or a model folder"
        )
    if asked is None:
        raise UserError(
            f"{target}: a model, not a run folder, so there is no run evaluator to check the export on; pass "
            "--dataset (and --task ir|sts, --split), e.g. --dataset path/to/beir-folder --task ir"
        )
    return Source(ModelSpec(name=target), target, asked, default_output(target, fmt))


def _looks_local(target: str) -> bool:
    """A path rather than a model name: ./, ../, /, ~, or a folder that exists up to its last part."""
    if target.startswith((".", "/", "~")):
        return True
    parent = Path(target).expanduser().parent
    return str(parent) != "." and parent.is_dir()


def default_output(target: str, fmt: str) -> Path | None:
    """Next to a model folder (`path/to/final` -> `path/to/final-onnx`); for a model name (the packaged model,
    a Hub id) None: there is no folder to sit beside, and the current directory is no place to write unasked."""
    path = Path(target).expanduser()
    return path.parent / f"{path.name}-{fmt}" if path.is_dir() else None
