"""Trainer arguments that still work but are deprecated, with their replacement: a warning at `validate`.

transformers 5 turns `warmup_ratio` into `warmup_steps` (a float below 1 is a fraction of the steps) and renames
`gradient_checkpointing*` to `activation_checkpointing*`; the old names log a library warning on every run and
go away in a later version. `validate` names the replacement once, before anything runs.
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
    """Log each deprecated trainer argument of a config mapping as a WARNING; returns them (not errors)."""
    found = deprecated_args(data.get("args") if isinstance(data, Mapping) else None)
    for problem in found:
        logger.warning("warning: %s", problem)
    return found
