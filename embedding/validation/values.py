"""Values of the config's numbers and trackers: each trainer argument against its type, choices and range (the
`RANGES` table), the trackers of `args.report_to` against what is installed, and no NaN or infinity anywhere.

All read the raw mapping, so they run even when other keys are broken, and import nothing heavy (a tracker is
looked up with importlib.util.find_spec, never imported).
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

from ..config.problems import key_path
from ..config.trainer_args import RANGES, TRACKERS, trainer_arg_specs
from ..errors import Problem, did_you_mean

TYPE_CHECKS = {
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
}


def arg_value_problem(key: str, value: Any) -> str | None:
    """What is wrong with `args.<key>: value` for a known trainer argument (None: nothing)."""
    spec = trainer_arg_specs()[key]
    kind = spec["type"]
    if key == "report_to":
        return report_to_problem(value)
    if value is None:
        return None if spec.get("null") or kind == "any" else f"expected {kind}, got null"
    if not TYPE_CHECKS.get(kind, lambda v: True)(value):
        return f"expected {kind}, got {value!r}"
    choices = spec.get("choices")
    if choices and isinstance(value, str) and value not in choices:
        return f"{value!r} is not a valid choice{did_you_mean(value, choices)}; valid: {_listed(choices)}"
    if kind in ("int", "float") and not RANGES[key].accepts(value):
        return f"expected {RANGES[key].describe(kind)}, got {value!r}"
    return None


def _listed(choices: list[str]) -> str:
    return ", ".join(f"`{c}`" for c in choices)


def report_to_problem(value: Any) -> str | None:
    """`report_to`: `none`, `all`, a tracker or a list of trackers, each of them installed."""
    choices = trainer_arg_specs()["report_to"]["choices"]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return f"expected a tracker name or a list of them (`none` for no tracker), got {value!r}"
    if len(names) == 1 and names[0] in ("all", "none"):
        return None
    for name in names:
        if name in ("all", "none"):
            return f"`{name}` stands alone; write `report_to: {name}` instead of a list"
        if name not in choices:
            return f"unknown tracker {name!r}{did_you_mean(name, choices)}; valid: {_listed(choices)}"
    missing = [name for name in names if not tracker_installed(name)]
    if missing:
        packages = " ".join(dict.fromkeys(TRACKERS[name][1] for name in missing))
        return (
            f"{' and '.join(f'`{n}`' for n in missing)} {'is' if len(missing) == 1 else 'are'} not installed; "
            f"run `pip install {packages}`, or remove {'it' if len(missing) == 1 else 'them'} from report_to"
        )
    return None


def tracker_installed(name: str) -> bool:
    modules, _ = TRACKERS.get(name, ((), ""))
    return all(any(_importable(m) for m in either.split("|")) for either in modules)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken install, or a module whose spec was removed
        return False


def check_finite_numbers(value: Any, path: tuple[Any, ...] = ()) -> list[Problem]:
    """NaN or infinity anywhere in the config (YAML `.nan`, `.inf`, `1e999`): no key means them."""
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(key_path(path), f"expected a finite number, got {value!r}")]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in check_finite_numbers(item, (*path, key))]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in check_finite_numbers(item, (*path, i))]
    return []
