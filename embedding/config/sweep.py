"""The `sweep:` block: a hyperparameter search over config key paths, run by `embedding sweep` (Optuna).

`embedding train` ignores the block (and says so); `embedding validate` checks it: the shape of each range here,
and each bound or choice applied to the config and validated like a normal config in validation/sweep.py.

    sweep:
      metric: ndcg@10
      parameters:
        args.learning_rate: {low: 1.0e-5, high: 2.0e-4, log: true}   # float
        args.num_train_epochs: {low: 1, high: 3}                      # int (both bounds whole numbers), step 1
        objectives.0.loss: [ranking, cached-ranking]                  # categorical (or {choices: [...]})
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .strict import Strict

Scalar = str | int | float | bool | None
# Keys a trial may not change: where runs go is the sweep's, and the block itself.
FIXED_KEYS = ("run_name", "output_dir", "sweep")


class FloatRange(Strict):
    """A float between `low` and `high` (both included); `log: true` samples its logarithm uniformly."""

    type: Literal["float"] = "float"
    low: float
    high: float
    log: bool = Field(False, description="Sample uniformly in log space (learning rates); needs low > 0.")
    step: float | None = Field(None, gt=0, description="Only multiples of `step` above `low` (not with log).")

    def bounds(self) -> list[float]:
        return [self.low, self.high]


class IntRange(Strict):
    """A whole number between `low` and `high` (both included), every `step`."""

    type: Literal["int"] = "int"
    low: int
    high: int
    step: int = Field(1, ge=1)
    log: bool = Field(False, description="Sample uniformly in log space; needs low > 0 and step 1.")

    def bounds(self) -> list[int]:
        """The smallest and the largest value a trial can get (`high` itself only when a step lands on it)."""
        return [self.low, self.high - (self.high - self.low) % self.step]


class Choices(Strict):
    """One of the listed values (numbers, strings, booleans or null)."""

    type: Literal["categorical"] = "categorical"
    choices: list[Scalar]

    def bounds(self) -> list[Scalar]:
        return list(self.choices)


Parameter = FloatRange | IntRange | Choices
KINDS: dict[str, type[Parameter]] = {"float": FloatRange, "int": IntRange, "categorical": Choices}


def shape_problem(param: Parameter) -> str | None:
    """What is wrong with a range or choices in itself (the values against the config: validation/sweep.py)."""
    if isinstance(param, Choices):
        if not param.choices:
            return "no choices; list at least one value"
        if len({repr(v) for v in param.choices}) != len(param.choices):
            return f"the choices {param.choices} repeat a value; list each once"
        return None
    if param.low > param.high:
        return f"low {param.low} > high {param.high}; make low <= high"
    if param.log and param.low <= 0:
        return f"`log: true` needs low > 0, got low {param.low}; raise low or drop `log`"
    if param.log and (param.step or 1) != 1:
        return "`log: true` does not go with a `step`; drop one"
    return None


def parse_parameter(value: Any) -> dict[str, Any] | Any:
    """The short forms: a list is categorical; {low, high} is an int range when both are whole numbers."""
    if isinstance(value, list):
        return {"type": "categorical", "choices": value}
    if isinstance(value, dict) and "type" not in value:
        if "choices" in value:
            return {"type": "categorical", **value}
        whole = all(isinstance(value.get(k), int) and not isinstance(value.get(k), bool) for k in ("low", "high"))
        step = value.get("step")
        return {"type": "int" if whole and (step is None or isinstance(step, int)) else "float", **value}
    return value


def parameter(value: Any) -> Parameter:
    """The typed range of one `parameters` entry (raises pydantic's ValidationError when it is malformed)."""
    data = parse_parameter(value)
    kind = KINDS.get(data.get("type")) if isinstance(data, dict) else None
    if kind is None:
        raise ValueError("expected a list of choices, {choices: [...]}, or {low: ..., high: ...} (float or int)")
    return kind.model_validate(data)


class SweepSpec(Strict):
    metric: str = Field(description="A metric of the run's evaluator (validation data), as logged or its short form.")
    direction: Literal["maximize", "minimize"] = Field("maximize", description="Whether a larger metric is better.")
    trials: int = Field(16, ge=1, description="How many trials the study runs in all (every worker together).")
    sampler: Literal["tpe", "random", "grid"] = Field("tpe", description="How the next trial's values are chosen.")
    sampler_args: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments of the Optuna sampler (e.g. n_startup_trials for TPE)."
    )
    seed: int | None = Field(None, description="The sampler's seed; null = args.seed (42 when unset).")
    pruner: Literal["median", "halving", "none"] = Field(
        "median", description="Stops a trial early from its intermediate evaluator values."
    )
    pruner_args: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword arguments of the Optuna pruner (median: n_startup_trials, n_warmup_steps; halving: "
        "min_resource, reduction_factor).",
    )
    storage: str | None = Field(None, description="null = SQLite in the sweep's run dir; or an Optuna storage URL.")
    keep: Annotated[int, Field(ge=0)] | Literal["all", "none"] = Field(
        1, description="Whose trained models stay in trials/NNN/: the best k trials (a number), all, or none."
    )
    parameters: dict[str, Any] = Field(
        min_length=1, description="Config key path -> a range {low, high[, log][, step]} or choices (a list)."
    )

    def space(self) -> dict[str, Parameter]:
        """The typed search space (the block was validated: every entry parses)."""
        return {key: parameter(value) for key, value in self.parameters.items()}

    def sampler_seed(self, args: dict[str, Any]) -> int:
        return self.seed if self.seed is not None else int(args.get("seed", 42))
