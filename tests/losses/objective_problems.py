"""The loss rules of one objective alone: the objective padded into a minimal config and validated by the schema.

Only tests ask about one objective alone (`validate` checks whole configs), so this helper lives with them."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from embedding.config.problems import problems_from_validation_error
from embedding.config.schema import TrainConfig
from embedding.errors import Problem


def objective_loss_problems(objective: dict[str, Any], where: str, *, allow_custom_code: bool) -> list[Problem]:
    """The problems of one raw objective mapping alone (its datasets may be left out), below `where`."""
    stub = {"run_name": "r", "base_model": {"name": "m"}, "allow_custom_code": allow_custom_code}
    objective = {"datasets": {"train": {"name": "data"}}, **objective}
    for term, required in (
        ("distillation", {"alpha": 1.0, "teacher": {"name": "t"}}),
        ("variation_penalty", {"alpha": 1.0}),
    ):
        if isinstance(objective.get(term), dict):
            objective[term] = {**required, **objective[term]}
    try:
        TrainConfig.model_validate({**stub, "objectives": [objective]})
    except ValidationError as exc:
        found = problems_from_validation_error(TrainConfig, exc)
        return [Problem(where + p.where.removeprefix("objectives[0]"), p.message) for p in found]
    return []
