"""Evaluation that uses every process of a torchrun / accelerate launch.

Rank 0 runs the evaluator; every other rank serves its share of each `model.encode` call the evaluator makes
(sentence-transformers' `distributed_evaluation`, the same mechanism its trainer uses for in-training evaluation),
so no process idles through the before/after evaluation and the corpus is encoded N ways. The metrics are
computed once, on rank 0, and handed to every process. Each text's embedding does not depend on which process
encodes it, so the metrics equal a 1-process evaluation's (to float rounding of the batch padding).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .coordination import broadcast, is_distributed
from .engine_save import is_sharded

T = TypeVar("T")


def evaluate_on_every_rank(compute: Callable[..., T], model: Any, *args: Any) -> T:
    """`compute(*args)` on rank 0 with `model`'s encoding shared by every rank; its value on every rank.

    An exception on rank 0 stops the other ranks' serving loop with an error as well (no process hangs).
    """
    if not is_distributed() or is_sharded(model):
        return compute(*args)  # sharded weights: every forward is collective, so every process evaluates in full
    from sentence_transformers.util.distributed import distributed_evaluation

    with distributed_evaluation(model) as runs_here:
        value = compute(*args) if runs_here else None
    return broadcast(value)
