"""The trainer arguments a config's `args` may set, as one pydantic model (`TrainerArgs`): each key's type and
choices from the committed snapshot of SentenceTransformerTrainingArguments, its range from `RANGES`.

The snapshot is written by `python -m embedding.config.catalog.snapshots` and compared with the installed library
by a test; read here without importing transformers, so `validate` and `schema` stay instant.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from ...errors import did_you_mean, one_of
from ..problems import refuse_unless

DATA = Path(__file__).parent.parent  # the snapshots are package data of embedding.config

# Set by the run itself: the run dir is output_dir/run_name, logs live inside it.
RESERVED_ARGS = {
    "output_dir": "set the top-level `output_dir` (the run goes to output_dir/run_name)",
    "logging_dir": "logs are written inside the run dir",
    "run_name": "set the top-level `run_name`",
}
# InformationRetrievalEvaluator's own defaults of the @k lists (what an evaluator without `args` reports).
IR_DEFAULTS = {
    "accuracy_at_k": [1, 3, 5, 10],
    "precision_recall_at_k": [1, 3, 5, 10],
    "mrr_at_k": [10],
    "ndcg_at_k": [10],
    "map_at_k": [100],
}


@dataclass(frozen=True)
class Range:
    """The finite values a numeric trainer argument accepts: bounds, values allowed outside them, whole counts."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    also: tuple[float, ...] = ()  # accepted outside the bounds (max_steps -1)
    whole_from: float | None = None  # from here on a step count (a whole number); below it a ratio of the steps
    note: str = ""  # what the values mean, shown with a refused value

    def accepts(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if value in self.also:
            return True
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            return False
        return self.whole_from is None or value < self.whole_from or value == int(value)

    def describe(self, kind: str) -> str:
        """'a number > 0', 'an integer in [0, 4294967295]', '-1 or an integer >= 1' (kind: 'int' or 'float')."""
        what = "an integer" if kind == "int" else "a number"
        if self.low is not None and self.high is not None:
            opening, closing = "(" if self.low_open else "[", ")" if self.high_open else "]"
            text = f"{what} in {opening}{_num(self.low)}, {_num(self.high)}{closing}"
        elif self.low is not None:
            text = f"{what} {'>' if self.low_open else '>='} {_num(self.low)}"
        elif self.high is not None:
            text = f"{what} {'<' if self.high_open else '<='} {_num(self.high)}"
        else:
            text = f"a finite {'integer' if kind == 'int' else 'number'}"
        if self.also:
            text = f"{' or '.join(_num(v) for v in self.also)} or {text}"
        return f"{text} ({self.note})" if self.note else text

    def json_schema(self) -> dict[str, Any]:
        """The same bounds as JSON Schema keywords (editors flag a refused value while typing)."""
        schema: dict[str, Any] = {}
        if self.low is not None:
            schema["exclusiveMinimum" if self.low_open else "minimum"] = self.low
        if self.high is not None:
            schema["exclusiveMaximum" if self.high_open else "maximum"] = self.high
        if self.whole_from is not None:
            schema["anyOf"] = [{"exclusiveMaximum": self.whole_from}, {"multipleOf": 1}]
        return {"anyOf": [{"enum": list(self.also)}, schema]} if self.also else schema


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


POSITIVE = Range(low=0, low_open=True)
NON_NEGATIVE = Range(low=0)
AT_LEAST_ONE = Range(low=1)
BELOW_ONE = Range(low=0, high=1, high_open=True)
STEPS = Range(
    low=0, low_open=True, whole_from=1, note="a whole number of steps, or a ratio of the total steps below 1"
)
SEED = Range(low=0, high=2**32 - 1, note="numpy seeds are 32-bit")

# Every numeric trainer argument of the snapshot, with the values the installed transformers / sentence-transformers
# train with (a test keeps this table and trainer_args.json in step). null stays allowed where the library allows it.
RANGES: dict[str, Range] = {
    "adam_beta1": BELOW_ONE,
    "adam_beta2": BELOW_ONE,
    "adam_epsilon": POSITIVE,
    "data_seed": SEED,
    "dataloader_num_workers": NON_NEGATIVE,
    "dataloader_prefetch_factor": AT_LEAST_ONE,
    "ddp_bucket_cap_mb": AT_LEAST_ONE,
    "ddp_timeout": Range(low=1, note="seconds"),
    "eval_accumulation_steps": AT_LEAST_ONE,
    "eval_delay": NON_NEGATIVE,
    "eval_steps": STEPS,
    "gradient_accumulation_steps": AT_LEAST_ONE,
    "label_smoothing_factor": BELOW_ONE,
    "learning_rate": POSITIVE,
    "local_rank": Range(low=-1, note="set by the launcher; -1 = not distributed"),
    "logging_steps": STEPS,
    "max_grad_norm": Range(low=0, note="0 turns gradient clipping off"),
    "max_steps": Range(low=1, also=(-1,), note="-1 = train for num_train_epochs"),
    "neftune_noise_alpha": NON_NEGATIVE,
    "num_train_epochs": POSITIVE,
    "per_device_eval_batch_size": AT_LEAST_ONE,
    "per_device_train_batch_size": AT_LEAST_ONE,
    "save_steps": STEPS,
    "save_total_limit": Range(low=1, note="null keeps every checkpoint"),
    "seed": SEED,
    "torch_empty_cache_steps": AT_LEAST_ONE,
    # sentence-transformers passes it on as warmup_steps, where 1.0 would mean ONE step, not the whole run
    "warmup_ratio": Range(low=0, high=1, high_open=True, note="the fraction of the steps spent warming up"),
    "warmup_steps": Range(low=0, whole_from=1, note=STEPS.note),
    "weight_decay": NON_NEGATIVE,
}

# `report_to` trackers -> (modules transformers needs importable, `a|b`: either; the pip install that brings them).
# kubeflow needs no package (it reads KUBEFLOW_TRAINER_SERVER_URL); `all` reports to those installed, `none` to none.
TRACKERS: dict[str, tuple[tuple[str, ...], str]] = {
    "azure_ml": (("azureml",), "azureml-sdk"),
    "clearml": (("clearml",), "clearml"),
    "codecarbon": (("codecarbon",), "codecarbon"),
    "comet_ml": (("comet_ml",), "comet-ml"),
    "dagshub": (("dagshub", "mlflow"), "dagshub mlflow"),
    "dvclive": (("dvclive",), "dvclive"),
    "flyte": (("flytekit",), "flytekit"),
    "kubeflow": ((), ""),
    "mlflow": (("mlflow",), "mlflow"),
    "neptune": (("neptune",), "neptune"),
    "swanlab": (("swanlab",), "swanlab"),
    "tensorboard": (("tensorboard|tensorboardX",), "tensorboard"),
    "trackio": (("trackio",), "trackio"),
    "wandb": (("wandb",), "wandb"),
}


@cache
def trainer_arg_specs() -> dict[str, dict[str, Any]]:
    specs = json.loads((DATA / "trainer_args.json").read_text())
    specs["batch_sampler"]["choices"].append("one_per_group")  # this package's own (training/group_sampler.py)
    return specs


@cache
def ir_evaluator_args() -> list[str]:
    return json.loads((DATA / "ir_evaluator_args.json").read_text())


def report_to_problem(value: Any) -> str | None:
    """`report_to`: `none`, `all`, a tracker or a list of trackers (whether they are installed: validation)."""
    choices = trainer_arg_specs()["report_to"]["choices"]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return f"expected a tracker name or a list of them (`none` for no tracker), got {value!r}"
    for name in names if names not in (["all"], ["none"]) else ():
        if name in ("all", "none"):
            return f"`{name}` stands alone; write `report_to: {name}` instead of a list"
        if name not in choices:
            return f"unknown tracker {name!r}{did_you_mean(name, choices)}; valid: {one_of(choices)}"
    return None


def _annotation(name: str, spec: dict[str, Any]) -> Any:
    """One trainer argument's type with its choices, range and editor schema."""
    if name in RESERVED_ARGS:
        return Annotated[
            Any,
            refuse_unless(lambda v: False, lambda v: f"is managed by embedding; remove it ({RESERVED_ARGS[name]})"),
        ]
    if name == "report_to":
        trackers = {"enum": [c for c in spec["choices"] if c not in ("all", "none")]}
        schema = {"anyOf": [{"enum": spec["choices"]}, {"type": "array", "items": trackers}]}
        return Annotated[
            Any,
            refuse_unless(lambda v: report_to_problem(v) is None, report_to_problem, none=False),
            Field(json_schema_extra=schema),
        ]
    kind, choices = spec["type"], spec.get("choices")
    checks: list[Any] = [{"bool": bool, "int": int, "float": float, "str": str}.get(kind, Any)]
    if choices:
        checks += [
            refuse_unless(
                lambda v: v in choices,
                lambda v: f"{v!r} is not a valid choice{did_you_mean(str(v), choices)}; valid: {one_of(choices)}",
            ),
            Field(json_schema_extra={"enum": choices}),
        ]
    if name in RANGES:
        limits = RANGES[name]
        checks += [
            refuse_unless(limits.accepts, lambda v: f"expected {limits.describe(kind)}, got {v!r}"),
            Field(json_schema_extra=limits.json_schema()),
        ]
    annotation = Annotated[tuple(checks)] if len(checks) > 1 else checks[0]
    return annotation | None if spec.get("null") or kind == "any" else annotation


class _Args(BaseModel):
    # NaN and infinity reach the ranges, which say what a key accepts instead of "a finite number".
    model_config = ConfigDict(extra="forbid", strict=True)


TrainerArgs: type[BaseModel] = create_model(
    "TrainerArgs",
    __base__=_Args,
    __doc__="SentenceTransformerTrainingArguments a config may set (output_dir/logging_dir are the run's).",
    **{name: (_annotation(name, spec), None) for name, spec in sorted(trainer_arg_specs().items())},
)


def trainer_args_json_schema() -> dict[str, Any]:
    """`TrainerArgs` for editors: a nullable key is one schema with `null` among its types (not an anyOf), so an
    editor names the choices of a misspelt value."""
    schema = TrainerArgs.model_json_schema()
    for prop in schema["properties"].values():
        members = prop.get("anyOf", [])
        if len(members) == 2 and {"type": "null"} in members:
            other = next(m for m in members if m != {"type": "null"})
            del prop["anyOf"]
            prop.update(other)
            if kinds := prop.get("type"):
                prop["type"] = [*(kinds if isinstance(kinds, list) else [kinds]), "null"]
    return schema
