"""Binary cross-entropy on scaled cosine logits with soft targets (config name `cross-entropy`)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from sentence_transformers.util import pairwise_cos_sim
from torch import Tensor, nn

from .shared import citations as _citations
from .shared.base import EmbeddingLoss


class BinaryCrossEntropyLoss(EmbeddingLoss):
    """Treats each pair as a binary "same meaning?" question: logit λ·cos(u_i, v_i), soft target σ(λ·y_i).

    With scale λ and labels y (1 / 0 / −1 by default)::

        z_i = λ · cos(u_i, v_i),   t_i = σ(λ · y_i)
        loss = 1/n Σ_i BCEWithLogits(z_i, t_i)

    so `similar` pairs aim at cosine → 1 (t ≈ 1), `dissimilar` at cosine → −1 (t ≈ 0) and `almost_similar` at
    cosine 0 (t = 0.5). Unlike CoSENT this fixes absolute similarity levels, which is why it takes no margin
    (a shifted logit is a bias, not a margin; `validate` refuses `margin` here).

    Args:
        model: the SentenceTransformer being trained.
        scale: λ, applied to both logits and targets (default 20.0). Small values give softer targets.

    References:
        - https://github.com/rodrigocaus/embedding-training, `BinaryCrossEntropyLoss`.

    Requirements:
        1. Sentence pairs with a score in [−1, 1].

    Inputs:
        +--------------------------------+------------------------+
        | Inputs                         | Labels                 |
        +================================+========================+
        | (anchor, candidate) pairs      | float similarity score |
        +--------------------------------+------------------------+

    Relations:
        - :class:`AugmentedBinaryCrossEntropyLoss` adds every cross pair as a negative.
        - :class:`CosineCrossEntropyLoss` maps the cosine to a probability linearly instead of through σ.

    Example:
        In a config::

            objectives:
              - type: similarity
                loss: cross-entropy
                loss_args: {scale: 20.0}

        In Python::

            from embedding.losses.cross_entropy import BinaryCrossEntropyLoss
            loss = BinaryCrossEntropyLoss(model, scale=20.0)
    """

    def __init__(self, model: nn.Module, scale: float = 20.0) -> None:
        super().__init__(model)
        self.scale = self._positive_scale(scale)

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        self._require_labels(labels, "the pair scores")
        logits = pairwise_cos_sim(embeddings[0], embeddings[1]) * self.scale
        targets = torch.sigmoid(self.scale * labels.to(logits.dtype).view(-1))
        return F.binary_cross_entropy_with_logits(logits, targets)

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale}

    @property
    def citation(self) -> str:
        return _citations.EMBEDDING_TRAINING
