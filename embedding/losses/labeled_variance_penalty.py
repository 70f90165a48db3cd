"""Negative-similarity penalty over labelled negative pairs (similarity `variation_penalty`, Lee et al. 2025)."""

from __future__ import annotations

from typing import Any

from sentence_transformers.util import pairwise_cos_sim
from torch import Tensor, nn

from .shared import citations as _citations
from .shared.base import EmbeddingLoss


class LabeledNegativesVariancePenaltyLoss(EmbeddingLoss):
    """Pulls the cosine of the pairs labelled negative (label < 0) towards −ε (Lee et al. 2025).

    With pairs (u_i, v_i) and labels y_i::

        loss = Σ_i [y_i < 0] (cos(u_i, v_i) + ε)² / (#{i: y_i < 0} + 1e-8)      (0 without negatives)

    Only `dissimilar` pairs (−1 by default) count: `almost_similar` (0) is not a negative. ε = 1/(N − 1) for N
    training rows is the ideal; a config's `eps: auto` (default) computes it.

    Args:
        model: the SentenceTransformer being trained.
        eps: ε > 0 (default 2e-5; prefer `auto` from a config).

    References:
        - Lee, Lim, Lee and Sohn 2025, "On the Similarities of Embeddings in Contrastive Learning" (ICML),
          https://arxiv.org/abs/2506.09781.

    Requirements:
        1. (anchor, candidate, label) rows with negative labels for unrelated pairs.

    Inputs:
        +--------------------------------+------------------------+
        | Inputs                         | Labels                 |
        +================================+========================+
        | (anchor, candidate) pairs      | float similarity score |
        +--------------------------------+------------------------+

    Relations:
        - Added to a similarity objective by its `variation_penalty:` block (weight `alpha`).
        - :class:`InBatchNegativesVariancePenaltyLoss` is the contrastive version.

    Example:
        In a config::

            objectives:
              - type: similarity
                variation_penalty: {alpha: 0.1}

        In Python::

            from embedding.losses.labeled_variance_penalty import LabeledNegativesVariancePenaltyLoss
            penalty = LabeledNegativesVariancePenaltyLoss(model, eps=1 / (len(train) - 1))
    """

    def __init__(self, model: nn.Module, eps: float = 2e-5) -> None:
        super().__init__(model)
        self.eps = float(eps)

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        self._require_labels(labels, "negatives have label < 0")
        negative = (labels.view(-1) < 0).to(embeddings[0].dtype)
        scores = pairwise_cos_sim(embeddings[0], embeddings[1])
        return (negative * (scores + self.eps) ** 2).sum() / (negative.sum() + 1e-8)

    def get_config_dict(self) -> dict[str, Any]:
        return {"eps": self.eps}

    @property
    def citation(self) -> str:
        return _citations.VARIANCE_PENALTY
