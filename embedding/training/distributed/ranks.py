"""Which process does what in a torchrun / accelerate launch: rank 0 owns the run dir and computes the metrics once.

Steps that only rank 0 performs are decorated with `main_only`, so that `train()` reads the same on every process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .coordination import broadcast, is_main

T = TypeVar("T")


def main_only(step: Callable[..., T]) -> Callable[..., T | None]:
    """Decorator: the step runs on the main process only (writing into the run dir); the others skip it (None)."""

    @functools.wraps(step)
    def run(*args: Any, **kwargs: Any) -> T | None:
        return step(*args, **kwargs) if is_main() else None

    return run


def from_main(compute: Callable[..., T], *args: Any) -> T:
    """`compute(*args)` on the main process, its value handed to every process (e.g. metrics computed once)."""
    return broadcast(compute(*args) if is_main() else None)
