"""`merge_with_base` with several alphas chooses one on the run's evaluator: without one there is nothing to
choose on (never the test data); and it interpolates whole models, which an adapter run does not produce. Said by
`validate` rather than after training."""

from __future__ import annotations

from typing import Any

from ..errors import Problem


def check_merge(config: dict[str, Any]) -> list[Problem]:
    merge = config.get("merge_with_base")
    if not isinstance(merge, dict):
        return []
    base = config.get("base_model")
    problems = []
    if isinstance(base, dict) and base.get("adapter"):
        problems.append(
            Problem(
                "merge_with_base",
                "interpolates the trained and the base weights of the whole model; with base_model.adapter only "
                "the adapter is trained. Remove merge_with_base or base_model.adapter",
            )
        )
    alpha = merge.get("alpha")
    if not config.get("evaluator") and (
        alpha == "auto" or (isinstance(alpha, list) and len(set(map(str, alpha))) > 1)
    ):
        problems.append(
            Problem(
                "merge_with_base.alpha",
                f"choosing among several alphas ({alpha!r}) needs an `evaluator` on validation data to choose on; "
                "add an `evaluator`, or give one alpha (e.g. alpha: 0.5)",
            )
        )
    return problems
