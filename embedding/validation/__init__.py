"""`embedding validate`: the schema with its rules (embedding/config), the data formats' arguments, and this
machine (`machine.py`), every problem of a config at once.

`validate_mapping` raises a single ConfigError listing every problem. It sits above data, losses, evaluation and
models and calls into them; nothing below imports it. Torch-free: `embedding validate` stays under a second.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from ..config.catalog import losses
from ..config.common import mapping
from ..config.deprecated import warn_deprecated
from ..config.evaluator_schema import IRArgs, StsArgs, evaluator_entries
from ..config.load import apply_overrides, read_config_file
from ..config.problems import key_path, problems_from_validation_error
from ..config.schema import TrainConfig
from ..data.checks import preprocess_problems
from ..data.formats import FORMATS
from ..errors import ConfigError, Problem
from .machine import machine_problems
from .sweep import check_sweep


def data_args_problems(data: dict[str, Any]) -> list[Problem]:
    """Each dataset's `preprocess_args` against its format's typed models (the data layer's, above the schema)."""
    problems: list[Problem] = []
    objectives = data.get("objectives") if isinstance(data.get("objectives"), list) else []
    for i, objective in enumerate(objectives):
        for split, spec in mapping(mapping(objective).get("datasets")).items():
            if split in ("train", "validation") and isinstance(spec, dict):
                use, where = mapping(objective).get("type"), f"objectives[{i}].datasets.{split}"
                problems += preprocess_problems(use, mapping(spec.get("preprocess_args")), where)
    for where, _, spec in evaluator_entries(data.get("evaluator")):
        dataset = mapping(spec).get("dataset")
        if mapping(spec).get("type", "retrieval") == "retrieval" and isinstance(dataset, dict):
            problems += preprocess_problems("retrieval", mapping(dataset.get("preprocess_args")), f"{where}.dataset")
    return problems


def finite_problems(value: Any, path: tuple[Any, ...] = ()) -> list[Problem]:
    """NaN or infinity anywhere in the config (YAML `.nan`, `.inf`, `1e999`), also in keys no typed model reads."""
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(key_path(path), f"expected a finite number, got {value!r}")]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [p for key, item in items for p in finite_problems(item, (*path, key))]


def validate_mapping(
    data: dict[str, Any],
    *,
    source: str | None = None,
    schema: type[BaseModel] = TrainConfig,
    check_paths: bool = False,
):
    """Validate a mapping against the schema and its rules; raise one ConfigError with every problem.

    `check_paths` also checks the files this machine holds: local dataset paths (and `data_files`) that do not
    exist, and local model paths that are no model or lack their tokenizer. A config file gets it (`load_config`);
    a mapping built in code may name data it writes later.
    """
    problems: list[Problem] = []
    config = None
    try:
        config = schema.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(schema, exc))
    if schema is TrainConfig:
        problems.extend(data_args_problems(data))
        problems.extend(machine_problems(data, config, paths=check_paths))
        problems.extend(check_sweep(data, validate_mapping))  # each bound / choice applied, validated as a config
    reported = {p.where for p in problems}  # NaN in a typed key is its own problem already
    problems.extend(p for p in finite_problems(data) if p.where not in reported)
    warn_deprecated(data)  # a warning, not a problem: the run works, the library only warns
    if problems:
        raise ConfigError(problems, source=source)
    return config


def load_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML/JSON training config, apply `--set` overrides, and validate everything."""
    data = apply_overrides(read_config_file(path), overrides or [])
    return validate_mapping(data, source=str(path), check_paths=True)


def full_schema() -> dict[str, Any]:
    """The JSON Schema of the training config for editors: the schema's own (`args`: every trainer argument), with
    `preprocess_args` typed by the formats' models, evaluator `args` named per type, and `loss_args` by the chosen
    loss's (an `if loss == name` branch per loss)."""
    schema = TrainConfig.model_json_schema()
    defs = schema.setdefault("$defs", {})
    models = [model for fmt in FORMATS.values() for model in fmt.args.values()]
    refs, extra = models_json_schema([(m, "validation") for m in models], ref_template="#/$defs/{model}")
    defs.update(extra.get("$defs", {}))
    for spec in ("DatasetSpec", "TrainDatasetSpec"):
        dataset = defs[spec]["properties"]["preprocess_args"]
        dataset.pop("additionalProperties", None)
        dataset["anyOf"] = [refs[(m, "validation")] for m in dict.fromkeys(models)]
    evaluator = defs["EvaluatorSpec"]  # `args` per evaluator type: retrieval (the default) or sts
    evaluator["properties"]["args"]["properties"] = {name: {} for name in IRArgs.model_fields}
    sts = {"if": {"properties": {"type": {"const": "sts"}}, "required": ["type"]}}
    evaluator["allOf"] = [
        {**sts, "then": {"properties": {"args": {"properties": dict.fromkeys(StsArgs.model_fields, {})}}}}
    ]
    for kind in losses.KINDS:
        objective = defs[f"{kind.capitalize()}Objective"]
        objective["properties"]["loss"]["examples"] = losses.loss_names(kind)
        objective["allOf"] = [
            {
                "if": {"anyOf": [when, {"not": {"required": ["loss"]}}]}
                if name == losses.default_loss(kind)
                else when,
                "then": {"properties": {"loss_args": losses.LOSSES[name].args.model_json_schema()}},
            }
            for name in losses.loss_names(kind)
            if (when := {"properties": {"loss": {"const": name}}, "required": ["loss"]})
        ]
    return schema


__all__ = ["full_schema", "load_config", "validate_mapping"]
