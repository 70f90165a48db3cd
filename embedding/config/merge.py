"""`merge_with_base`: after training, interpolate the trained and the base weights (LM-Cocktail style) and keep the
alpha closest to the base whose evaluator score is within `tolerance` of the best, so the model keeps the gain on the
training domain and as much as it can of what the base model knew outside it."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from .common import Strict

# `alpha: auto`: this grid, 1.0 (the trained model as it is) included so merging can never lose on the evaluator.
AUTO_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


class MergeSpec(Strict):
    """W = alpha * W_trained + (1 - alpha) * W_base, parameter by parameter; same architecture required."""

    alpha: float | list[float] | str = Field(
        0.5,
        description="Weight of the trained model in [0, 1] (0 = the base model, 1 = the trained model): one "
        "value, a list (each evaluated on the run's `evaluator` and on evaluation.tasks; the best on the "
        f"evaluator's main metric becomes final/), or `auto` = the list {', '.join(map(str, AUTO_GRID))}. The "
        "unmerged model is kept as final-unmerged/, the table in merge.json, report.md and the model card.",
    )
    tolerance: float = Field(
        0.005,
        ge=0,
        le=1,
        description="Of several alphas, final/ gets the smallest (closest to the base model) whose main metric on "
        "the evaluator is at most this far below the best alpha's: the in-domain gain is kept to within it, and "
        "the rest of the base model's knowledge (out-of-domain quality) is kept as far as that allows. 0 = the "
        "best alpha on the evaluator, whatever it costs elsewhere.",
    )

    @field_validator("alpha", mode="plain", json_schema_input_type=float | list[float] | str)
    @classmethod
    def check_alpha(cls, value: Any) -> float | list[float] | str:
        """One message for every shape (a union would report each reading separately)."""
        if value == "auto":
            return value
        values = value if isinstance(value, list) else [value]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if values and len(numbers) == len(values) and all(0 <= v <= 1 for v in numbers):
            return list(dict.fromkeys(float(v) for v in numbers)) if isinstance(value, list) else float(value)
        raise ValueError(f"expected a number in [0, 1], a non-empty list of them, or `auto`; got {value!r}")

    def alphas(self) -> list[float]:
        if self.alpha == "auto":
            return list(AUTO_GRID)
        return list(self.alpha) if isinstance(self.alpha, list) else [float(self.alpha)]
