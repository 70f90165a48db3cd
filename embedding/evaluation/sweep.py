"""Evaluate one model at several Matryoshka sizes from one full-size encoding.

sentence-transformers' evaluators take one `truncate_dim` and re-encode everything on each call; truncation is a
slice of the full embedding (`truncate_embeddings`), so encoding once and slicing gives the same numbers at a
fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any


class EmbeddingReuse:
    """Mixin for a sentence-transformers evaluator: keeps full-size embeddings for the length of one sweep.

    The subclass's `embed_inputs` calls `self.reuse(key, compute)`; the cache lives for one `__call__`, or for
    every call of `evaluate_dims`, and never longer, so a model that changes between calls (training) is
    always re-encoded.
    """

    _cache: dict[Hashable, Any] | None = None

    def __init__(self, *args: Any, execution: Any = None, **kwargs: Any) -> None:
        # the training run's decided `Execution` (forward/execution.py) for `encode_sorted`; None: decided there
        self.execution = execution
        super().__init__(*args, **kwargs)

    def reuse(self, key: Hashable, compute):
        """`compute()`, or its value from earlier in this sweep under the same key."""
        if self._cache is None:
            return compute()
        try:
            if key in self._cache:
                return self._cache[key]
        except TypeError:  # unhashable (multimodal) inputs: no reuse
            return compute()
        value = self._cache[key] = compute()
        return value

    def __call__(self, model, *args, **kwargs):
        own = self._cache is None
        if own:
            self._cache = {}
        try:
            return super().__call__(model, *args, **kwargs)
        finally:
            if own:
                self._cache = None

    def evaluate_dims(self, model, dims: Iterable[int | None]) -> dict[int | None, dict[str, float]]:
        """Metrics per embedding size; `None` means the model's full size.

        Args:
            model: The SentenceTransformer to evaluate.
            dims: Sizes to truncate the embeddings to.

        Returns:
            {dim: the evaluator's metrics dict at that size}.
        """
        saved = self.truncate_dim
        self._cache = {}
        try:
            results = {}
            for dim in dims:
                self.truncate_dim = dim
                results[dim] = self(model)
            return results
        finally:
            self._cache = None
            self.truncate_dim = saved


def truncate(embeddings, dim: int | None):
    """The first `dim` columns, as sentence-transformers' `truncate_embeddings` does."""
    return embeddings if dim is None else embeddings[..., :dim]
