"""Which logged metric the sweep optimises, and the test scores (`evaluation.tasks`) a trial reports."""

from __future__ import annotations

from typing import Any

from ..errors import UserError

IGNORED = ("runtime", "samples_per_second", "steps_per_second", "epoch", "loss")
# The score shown per evaluation task (the others stay in the trial's evaluation/results.csv).
TASK_METRIC = {"ir": "ndcg@10", "sts": "spearman"}


def metric_key(name: str, metrics: dict[str, Any]) -> str:
    """`name` as the evaluator logs it: exact (`cosine_ndcg@10`, `eval_cosine_ndcg@10`) or the one key ending in
    `_<name>` (`ndcg@10` -> `cosine_ndcg@10`). Raises UserError naming the candidates otherwise."""
    keys = [k.removeprefix("eval_") for k in metrics if not any(k.endswith(i) for i in IGNORED)]
    wanted = name.removeprefix("eval_")
    if wanted in keys:
        return wanted
    found = sorted({k for k in keys if k.endswith(f"_{wanted}")})
    if len(found) == 1:
        return found[0]
    shown = ", ".join(f"`{k}`" for k in sorted(set(keys))) or "none (does the config have an `evaluator:`?)"
    what = f"matches {len(found)} of them" if found else "is none of them"
    raise UserError(f"sweep.metric: `{name}` {what}; the evaluator logs {shown}; give one of these")


def task_scores(rows: list[Any]) -> dict[str, float]:
    """The trained model's headline score per evaluation task, at its full dimension: {"AIA-BDE ndcg@10": ...}."""
    scores: dict[str, tuple[int, float]] = {}
    for row in rows:
        if getattr(row, "model", None) != "after" or row.metric != TASK_METRIC.get(row.task, row.metric):
            continue
        label = f"{_task_label(row)} {row.metric}"
        if label not in scores or (row.dim or 0) > scores[label][0]:
            scores[label] = (row.dim or 0, float(row.value))
    return {label: value for label, (_, value) in scores.items()}


def _task_label(row: Any) -> str:
    name = getattr(row, "name", None)
    if name:
        return str(name)
    dataset = str(row.dataset).rstrip("/").rsplit("/", 1)[-1]
    return f"{row.task} {dataset}/{row.split}"
