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
    default_output: Path


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
    if asked is None:
        raise UserError(
            f"{target}: a model, not a run folder, so there is no run evaluator to check the export on; pass "
            "--dataset (and --task ir|sts, --split), e.g. --dataset path/to/beir-folder --task ir"
        )
    name = path.name if path.exists() else target.rsplit("/", 1)[-1]
    return Source(ModelSpec(name=target), target, asked, Path(f"{name}-{fmt}"))
