"""Rank 0 leads a step alone, the other ranks encode for it: models shared by name for steps that load their own.

Some steps run on rank 0 only and load their models as they go (mining while preprocessing, `evaluation.tasks`).
Inside `lead`, each time rank 0 wants a model's encode calls shared it names the model (its spec) with `shared`;
the other ranks, in `follow`, load the same model by the same spec and serve their share of its encode calls
until rank 0 is done with it. At the end rank 0 says it is done (with the step's value) or that it failed, so no
rank waits forever and every rank gets the value.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

from ...errors import UserError
from .coordination import broadcast

T = TypeVar("T")
Sharing = Callable[[Any], AbstractContextManager[bool]]


def lead(step: Callable[..., T], *args: Any) -> T:
    """Rank 0: `step(*args)`, then the end of the step (its value, or that it failed) to the followers."""
    try:
        value = step(*args)
    except Exception as exc:  # interrupts are every rank's own signal: only errors are told
        broadcast(("failed", (str(exc).splitlines() or [type(exc).__name__])[0]))
        raise
    broadcast(("done", value))
    return value


@contextmanager
def shared(model, spec, where: str, sharing: Sharing) -> Iterator[None]:
    """Rank 0, inside `lead`: `model`'s encode calls are shared with the followers while inside."""
    broadcast(("serve", (spec, where)))
    with sharing(model):
        yield


def follow(sharing: Sharing, step: str) -> Any:
    """Ranks > 0: serve each model rank 0 names until its step ends; the step's value.

    Raises:
        UserError: rank 0 failed (its own message says why; this one only says that this rank stopped with it).
    """
    from ...models import load_model

    held: tuple[str, Any] | None = None  # the last model: mining reuses it for every objective that mines
    while True:
        command, detail = broadcast(None)
        if command == "done":
            return detail
        if command == "failed":
            raise UserError(f"stopped: the main process (rank 0) failed during {step}: {detail}")
        spec, where = detail
        key = json.dumps(spec.model_dump(mode="json"), sort_keys=True)
        if held is None or held[0] != key:
            held = None
            gc.collect()
            model, _ = load_model(spec, where)
            held = (key, model.eval())
        try:
            with sharing(held[1]):
                pass
        except RuntimeError:
            continue  # rank 0 failed while this rank served: its next message says why
