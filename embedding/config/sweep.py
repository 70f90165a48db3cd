"""The `sweep:` block: a hyperparameter search over config key paths, run by `embedding sweep` (Optuna).

`embedding train` ignores the block (and says so); `embedding validate` checks it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .strict import Strict


class SweepSpec(Strict):
    metric: str = Field(description="A metric of the run's evaluator (validation data), as logged or its short form.")
    direction: Literal["maximize", "minimize"] = Field("maximize", description="Whether a larger metric is better.")
    trials: int = Field(16, ge=1, description="How many trials the study runs in all (every worker together).")
    sampler: Literal["tpe", "random", "grid"] = Field("tpe", description="How the next trial's values are chosen.")
    pruner: Literal["median", "halving", "none"] = Field(
        "median", description="Stops a trial early from its intermediate evaluator values."
    )
    storage: str | None = Field(None, description="null = SQLite in the sweep's run dir; or an Optuna storage URL.")
    parameters: dict[str, Any] = Field(min_length=1, description="Config key path -> search range or choices.")
