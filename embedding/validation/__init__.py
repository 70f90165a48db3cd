"""The validation layer: the schema, then every rule across keys, components and the model's files, at once.

`validate_mapping` runs pydantic (keys, types, defaults, did-you-mean) and the cross-field rules in one pass and
raises a single ConfigError listing every problem. It sits above data, losses, evaluation and models and calls
into them; nothing below imports it. Torch-free: `embedding validate` stays under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..config.deprecated import warn_deprecated
from ..config.load import apply_overrides, read_config_file
from ..config.problems import problems_from_validation_error
from ..config.schema import TrainConfig
from ..errors import ConfigError, Problem
from .adapter import check_adapter
from .engines import check_engines
from .evaluators import check_evaluator_data, check_evaluators, untagged
from .merge import check_merge
from .objectives import (
    check_matryoshka_fits_model,
    check_model_folders,
    check_objective_names_unique,
    component_problems,
)
from .paths import check_local_paths
from .rules import (
    check_args_keys,
    check_early_stopping,
    check_metric_for_best_model,
    check_save_matches_eval,
)
from .shipping import check_shipping
from .streaming import check_streaming
from .sweep import check_sweep
from .values import check_finite_numbers


def cross_field_problems(data: dict[str, Any]) -> list[Problem]:
    """The rules pydantic cannot express, on the raw mapping (so they run even when other keys are broken)."""
    args = data.get("args") if isinstance(data.get("args"), dict) else {}
    problems = check_args_keys(args)
    problems += check_early_stopping(data, args)
    problems += check_metric_for_best_model(data, args)
    problems += check_save_matches_eval(args)
    problems += check_evaluators(data)
    problems += check_objective_names_unique(data)
    problems += check_matryoshka_fits_model(data)
    problems += component_problems(data)
    problems += check_evaluator_data(data)
    problems += check_shipping(data)
    problems += check_adapter(data)
    problems += check_merge(data)
    problems += check_engines(data)
    problems += check_streaming(data)
    return problems


def validate_mapping(
    data: dict[str, Any],
    *,
    source: str | None = None,
    schema: type[BaseModel] = TrainConfig,
    check_paths: bool = False,
):
    """Validate a mapping against the schema plus cross-field rules; raise one ConfigError with all problems.

    `check_paths` also checks this machine: local dataset paths (and `data_files`) that do not exist, and local
    model folders that are no model or lack their tokenizer. A config
    file gets it (`load_config`); a mapping built in code may name data it writes later.
    """
    problems: list[Problem] = []
    config = None
    try:
        config = schema.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(schema, untagged(exc)))
    if schema is TrainConfig:
        problems.extend(cross_field_problems(data))
        problems.extend(check_local_paths(data) + check_model_folders(data) if check_paths else [])
        problems.extend(check_sweep(data, validate_mapping))  # each bound / choice applied, validated as a config
    # NaN/inf in the keys no typed model reads (loss_args, model args...): one problem per key, not a second one
    reported = {p.where for p in problems}
    problems.extend(p for p in check_finite_numbers(data) if p.where not in reported)
    warn_deprecated(data)  # a warning, not a problem: the run works, the library only warns
    if problems:
        raise ConfigError(problems, source=source)
    return config


def load_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Read a YAML/JSON training config, apply `--set` overrides, and validate everything."""
    data = apply_overrides(read_config_file(path), overrides or [])
    return validate_mapping(data, source=str(path), check_paths=True)


__all__ = ["cross_field_problems", "load_config", "validate_mapping"]
