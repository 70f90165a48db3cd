"""Keys that still work but are deprecated, with their replacement: a warning at `validate`.

Trainer arguments:

transformers 5 turns `warmup_ratio` into `warmup_steps` (a float below 1 is a fraction of the steps) and renames
`gradient_checkpointing*` to `activation_checkpointing*`; the old names log a library warning on every run and
go away in a later version. `validate` names the replacement once, before anything runs.

Config keys that moved (`MOVED_KEYS`): the schema moves them to their new place before validating, so every
reader sees one place; `warn_deprecated` names the new place once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..errors import Problem

logger = logging.getLogger(__name__)

# old name -> (new name, how the value carries over)
DEPRECATED_ARGS: dict[str, tuple[str, str]] = {
    "warmup_ratio": ("warmup_steps", "a float below 1 is the fraction of the steps spent warming up"),
    "gradient_checkpointing": ("activation_checkpointing", "same meaning, new name"),
    "gradient_checkpointing_kwargs": ("activation_checkpointing_kwargs", "same meaning, new name"),
}


# top-level key -> the block it moved into (same name, same values)
MOVED_KEYS: dict[str, str] = {"merge_columns": "execution", "group_by_length": "execution"}


def move_execution_keys(data: Any) -> Any:
    """A config mapping with each moved top-level key under its new block (a copy; the input is not changed).

    Given in both places with different values: a ValueError naming both (which one was meant is unknown).
    """
    if not isinstance(data, Mapping) or not any(key in data for key in MOVED_KEYS):
        return data
    data = dict(data)
    for old, block in MOVED_KEYS.items():
        if old not in data or not isinstance(data.get(block, {}), Mapping):
            continue
        target = dict(data.get(block) or {})
        if old in target and target[old] != data[old]:
            raise ValueError(
                f"`{old}` moved to `{block}.{old}` and both are set ({data[old]!r} and {target[old]!r}); "
                f"remove the top-level `{old}`"
            )
        target[old] = data.pop(old)
        data[block] = target
    return data


def moved_keys(data: Any) -> list[Problem]:
    """One warning per moved key still at its old place, naming the new one."""
    if not isinstance(data, Mapping):
        return []
    return [
        Problem(old, f"moved to `{block}.{old}` (same values); write it under `{block}:`")
        for old, block in MOVED_KEYS.items()
        if old in data
    ]


def deprecated_args(args: Any) -> list[Problem]:
    """One warning per deprecated key of a config's `args`, naming the replacement with the same value."""
    if not isinstance(args, Mapping):
        return []
    found = []
    for old, (new, how) in DEPRECATED_ARGS.items():
        if old in args:
            also = f"; remove it, `args.{new}` is set too" if new in args else ""
            found.append(
                Problem(
                    f"args.{old}",
                    f"deprecated in transformers 5 (a warning on every run); write `{new}: {args[old]}` instead "
                    f"({how}){also}",
                )
            )
    return found


def warn_deprecated(data: Any) -> list[Problem]:
    """Log each deprecated trainer argument or moved key of a config mapping as a WARNING; returns them."""
    found = moved_keys(data) + deprecated_args(data.get("args") if isinstance(data, Mapping) else None)
    for problem in found:
        logger.warning("warning: %s", problem)
    return found
