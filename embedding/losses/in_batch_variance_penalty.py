"""Negative-similarity penalty over in-batch negatives (contrastive `variation_penalty`, Lee et al. 2025)."""

from __future__ import annotations

from typing import Any

import torch
from sentence_transformers.util import cos_sim
from torch import Tensor, nn

from .shared import citations as _citations
from .shared.base import EmbeddingLoss


class InBatchNegativesVariancePenaltyLoss(EmbeddingLoss):
    """Pulls the cosine of every negative pair of the batch towards −ε, shrinking the spread of negative
    similarities that hurts small-batch contrastive learning (Lee et al. 2025).

    With anchors a_i, candidates c_j = [positives of every row, then the negative columns] (m = n·(1 + k)) and
    the mask M that drops only each anchor's own positive (anchor_i, positive_i)::

        S_ij = cos(a_i, c_j)
        loss = Σ_ij M_ij (S_ij + ε)² / (Σ_ij M_ij + 1e-8)        with Σ M = n·m − n

    The ideal is ε = 1/(N − 1) for N training rows, the mean negative similarity of N embeddings spread evenly
    on the sphere; a config's `eps: auto` (default) computes it from the training set.

    Args:
        model: the SentenceTransformer being trained.
        eps: ε > 0 (default 2e-5; prefer `auto` from a config, which scales with the data).

    References:
        - Lee, Lim, Lee and Sohn 2025, "On the Similarities of Embeddings in Contrastive Learning" (ICML),
          https://arxiv.org/abs/2506.09781.

    Requirements:
        1. (anchor, positive[, negatives...]) rows.

    Inputs:
        +-------------------------------------------------+--------+
        | Inputs                                          | Labels |
        +=================================================+========+
        | (anchor, positive, negative_1, ..., negative_k) | none   |
        +-------------------------------------------------+--------+

    Relations:
        - Added to a contrastive objective by its `variation_penalty:` block (weight `alpha`).
        - :class:`LabeledNegativesVariancePenaltyLoss` is the similarity-objective version.

    Example:
        In a config::

            objectives:
              - type: contrastive
                variation_penalty: {alpha: 0.1, loss_args: {eps: auto}}

        In Python::

            from embedding.losses.in_batch_variance_penalty import InBatchNegativesVariancePenaltyLoss
            penalty = InBatchNegativesVariancePenaltyLoss(model, eps=1 / (len(train) - 1))
    """

    def __init__(self, model: nn.Module, eps: float = 2e-5) -> None:
        super().__init__(model)
        self.eps = float(eps)

    def compute_loss_from_embeddings(
        self, embeddings: list[Tensor], labels: Tensor | None = None, rows: tuple[int, int] | None = None
    ) -> Tensor:
        """The penalty (labels unused); `rows` = (begin, end) returns those anchors' share, as in `RankingLoss`."""
        n = embeddings[0].size(0)
        begin, end = rows or (0, n)
        scores = cos_sim(embeddings[0][begin:end], torch.cat(embeddings[1:]))
        mask = torch.ones_like(scores, dtype=torch.bool)
        device = scores.device
        mask[torch.arange(end - begin, device=device), torch.arange(begin, end, device=device)] = False
        count = n * scores.size(1) - n
        return ((scores + self.eps) ** 2)[mask].sum() / (count + 1e-8)

    def get_config_dict(self) -> dict[str, Any]:
        return {"eps": self.eps}

    @property
    def citation(self) -> str:
        return _citations.VARIANCE_PENALTY
