"""The `sweep:` block against the config it searches: every bound and choice must make a valid config.

Each range's shape (low <= high, log needs low > 0, choices not empty) is checked first; then each parameter's
extreme values (a range's low and high, every choice) are written into the config at the key path and the result
is validated by the same schema and rules as any config, so a key path that does not exist or a range that
leaves the key's own range is reported at `embedding validate`, naming the parameter.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from ..config.load import parse_override
from ..config.problems import problems_from_validation_error
from ..config.sweep import FIXED_KEYS, KINDS, FloatRange, parameter, parse_parameter, shape_problem
from ..errors import ConfigError, Problem, UserError

Validator = Callable[[dict[str, Any]], Any]


def check_sweep(data: dict[str, Any], validate: Validator) -> list[Problem]:
    """Problems of `data["sweep"]["parameters"]`; `validate` is validation's validate_mapping (no import cycle)."""
    sweep = data.get("sweep")
    if not isinstance(sweep, dict) or not isinstance(sweep.get("parameters"), dict):
        return []  # no block, or one the schema already reports
    base = {k: v for k, v in data.items() if k != "sweep"}
    known = {str(p) for p in _problems(base, validate)}
    problems = []
    for key, value in sweep["parameters"].items():
        where = f"sweep.parameters.{key}"
        shape = _shape_problems(key, value, where, sweep.get("sampler"))
        problems += shape or _value_problems(base, key, value, where, validate, known)
    return problems


def _shape_problems(key: str, value: Any, where: str, sampler: Any) -> list[Problem]:
    if key.split(".")[0] in FIXED_KEYS:
        return [Problem(where, f"a sweep cannot vary {', '.join(FIXED_KEYS)}: each trial has its own")]
    try:
        param = parameter(value)
    except ValidationError as exc:
        return problems_from_validation_error(_kind(value), exc, prefix=where)
    except ValueError as exc:
        return [Problem(where, f"{exc}, got {value!r}")]
    problem = shape_problem(param)
    if problem is None and sampler == "grid" and isinstance(param, FloatRange) and param.step is None:
        problem = "sampler `grid` needs a finite set of values: give choices (a list) or a `step`"
    return [Problem(where, problem)] if problem else []


def _kind(value: Any):
    return KINDS[parse_parameter(value)["type"]]


def _value_problems(
    base: dict[str, Any], key: str, value: Any, where: str, validate: Validator, known: set[str]
) -> list[Problem]:
    param = parameter(value)
    what = "choice" if param.type == "categorical" else "value"
    for candidate in param.bounds():
        try:
            trial = with_value(base, key, candidate)
        except UserError as exc:
            return [Problem(where, f"no such key path in the config: {exc}")]
        new = [p for p in _problems(trial, validate) if str(p) not in known]
        if new:
            return [Problem(where, f"the {what} {candidate!r} does not make a valid config: {new[0]}")]
    return []


def with_value(config: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `config` with `value` at the key path `key` (`objectives.0.loss_args.scale`), as `--set` does."""
    path, _ = parse_override(f"{key}=0")
    data = copy.deepcopy(config)
    node: Any = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                raise UserError(f"`{'.'.join(map(str, path[: i + 1]))}`: index {part} does not exist")
            if last:
                node[part] = value
            node = node[part]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if isinstance(path[i + 1], int) else {})
        else:
            raise UserError(f"`{'.'.join(map(str, path[:i]))}` is not a mapping")
    return data


def _problems(data: dict[str, Any], validate: Validator) -> list[Problem]:
    with _quiet_warnings():
        try:
            validate(data)
        except ConfigError as exc:
            return exc.problems
    return []


@contextmanager
def _quiet_warnings():
    """Deprecation warnings were given once for the config itself; not again for each value tried."""
    log = logging.getLogger("embedding.config.deprecated")
    was, log.disabled = log.disabled, True
    try:
        yield
    finally:
        log.disabled = was
