"""GradCache version of the symmetric ranking loss (config name `cached-ranking`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from sentence_transformers.base.losses.gradcache import CachedLossMixin, _validate_mini_batch_num_tokens
from torch import Tensor, nn

from .ranking import RankingLoss
from .shared import citations as _citations


def sum_row_chunks(
    compute: Callable[[tuple[int, int]], dict[str, Tensor]], num_rows: int, chunk: int, with_backward: bool
) -> dict[str, Tensor]:
    """Add up `compute(rows)` over row chunks of a batch, back-propagating each chunk's total right away.

    Backward per chunk frees that chunk's score matrices before the next one is built, so the loss stage needs
    memory for `chunk` rows at a time, like the embedding stage (the point of GradCache).
    """
    totals: dict[str, Tensor] = {}
    for begin in range(0, num_rows, chunk):
        parts = compute((begin, min(begin + chunk, num_rows)))
        if with_backward:
            torch.stack(list(parts.values())).sum().backward()
            parts = {key: value.detach() for key, value in parts.items()}
        for key, value in parts.items():
            totals[key] = totals[key] + value if key in totals else value
    return totals


class CachedRankingLoss(CachedLossMixin, RankingLoss):
    """:class:`RankingLoss` computed with GradCache, so the batch size is limited by time, not memory.

    Same value and gradients as `ranking` (same formula, margin included)::

        loss = (L_fwd + L_bwd) / 2,   s(x, y) = λ · (sim(x, y) − m·[y is x's own pair])

    The batch is embedded in chunks of `mini_batch_size` without gradients, the loss is back-propagated to the
    embeddings chunk by chunk of anchor rows, then each chunk is embedded again with gradients and the cached
    embedding gradients are pushed into the model. Dropout is replayed, so this is exact, about 20-30 % slower.
    When the objective also has `distillation` / `variation_penalty`, those terms are computed inside the same
    cached step from the same embeddings (see `ObjectiveLoss`). With `merge_columns: sorted` (the CPU default) the
    mini-batches are cut from the step's distinct texts in length order (`forward/sorted_step.py`), not column by
    column: less padding, and each duplicate text embedded once; with `execution.packed` (the CPU default) each
    mini-batch runs as unpadded tokens (`forward/packed.py`), its dropout replayed the same way.

    Args:
        model: the SentenceTransformer being trained.
        scale: λ = 1 / temperature (default 20.0).
        similarity: `cosine` (default), `dot`, `euclidean` or `manhattan`.
        margin: m, subtracted from each anchor's own positive similarity before scaling (default 0.0).
        gather_across_devices: multi-GPU only: use every device's candidates as negatives.
        mini_batch_size: rows embedded (and scored) at once (default 32); memory, not the result, depends on it.
        mini_batch_num_tokens: if set, pack embedding chunks by token count instead of rows.
        show_progress_bar: show a bar over the chunks.

    References:
        - Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup".

    Requirements:
        1. (anchor, positive) pairs, optionally with hard-negative columns; a large batch size.

    Inputs:
        +-------------------------------------------------+--------+
        | Inputs                                          | Labels |
        +=================================================+========+
        | (anchor, positive, negative_1, ..., negative_k) | none   |
        +-------------------------------------------------+--------+

    Relations:
        - Equal to :class:`RankingLoss` in value and gradient; uses less memory, more time.

    Example:
        In a config::

            objectives:
              - type: contrastive
                loss: cached-ranking
                loss_args: {mini_batch_size: 32}
            args: {per_device_train_batch_size: 4096}

        In Python::

            from embedding.losses.cached_ranking import CachedRankingLoss
            loss = CachedRankingLoss(model, mini_batch_size=32)
    """

    def __init__(
        self,
        model: nn.Module,
        scale: float = 20.0,
        similarity: str = "cosine",
        margin: float = 0.0,
        gather_across_devices: bool = False,
        mini_batch_size: int = 32,
        mini_batch_num_tokens: int | None = None,
        show_progress_bar: bool = False,
    ) -> None:
        super().__init__(
            model, scale=scale, similarity=similarity, margin=margin, gather_across_devices=gather_across_devices
        )
        if isinstance(mini_batch_size, bool) or not isinstance(mini_batch_size, int) or mini_batch_size < 1:
            raise ValueError(f"mini_batch_size must be a positive integer, got {mini_batch_size!r}")
        _validate_mini_batch_num_tokens(mini_batch_num_tokens)
        self.mini_batch_size = mini_batch_size
        self.mini_batch_num_tokens = mini_batch_num_tokens
        self.show_progress_bar = show_progress_bar

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor | None = None) -> Tensor:
        return self.forward_cached(sentence_features, labels)

    def calculate_loss(
        self, reps: list[list[Tensor]], labels: Tensor | None = None, *, with_backward: bool = False
    ) -> Tensor:
        embeddings = [torch.cat(column) for column in reps]

        def compute(rows: tuple[int, int]) -> dict[str, Tensor]:
            return {"loss": self.compute_loss_from_embeddings(embeddings, labels, rows=rows)}

        return sum_row_chunks(compute, len(embeddings[0]), self.mini_batch_size, with_backward)["loss"]

    def get_config_dict(self) -> dict[str, Any]:
        return {
            **super().get_config_dict(),
            "mini_batch_size": self.mini_batch_size,
            "mini_batch_num_tokens": self.mini_batch_num_tokens,
        }

    @property
    def citation(self) -> str:
        return _citations.join(super().citation, _citations.GRADCACHE)
