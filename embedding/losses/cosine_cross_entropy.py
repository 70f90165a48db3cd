"""Binary cross-entropy on the cosine mapped linearly to a probability (config name `cosine-cross-entropy`)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from sentence_transformers.util import pairwise_cos_sim
from torch import Tensor, nn

from .shared import citations as _citations
from .shared.base import EmbeddingLoss


class CosineCrossEntropyLoss(EmbeddingLoss):
    """Reads (cos + 1) / 2 as the probability that a pair is similar and fits it to the soft target σ(λ·y).

    With scale λ::

        p_i = clip((cos(u_i, v_i) + 1) / 2, 0, 1),   t_i = σ(λ · y_i)
        loss = 1/n Σ_i BCE(p_i, t_i)            (torch clamps log(0) at −100)

    λ only sharpens the targets here (the probability is not scaled). No margin (absolute levels, as
    :class:`BinaryCrossEntropyLoss`).

    Args:
        model: the SentenceTransformer being trained.
        scale: λ of the soft targets (default 20.0: similar → ≈1, almost_similar → 0.5, dissimilar → ≈0).

    References:
        - https://github.com/rodrigocaus/embedding-training, `CosineCrossEntropyLoss`.

    Requirements:
        1. Sentence pairs with a score in [−1, 1].

    Inputs:
        +--------------------------------+------------------------+
        | Inputs                         | Labels                 |
        +================================+========================+
        | (anchor, candidate) pairs      | float similarity score |
        +--------------------------------+------------------------+

    Relations:
        - :class:`BinaryCrossEntropyLoss` uses λ·cos as a logit instead.

    Example:
        In a config::

            objectives:
              - type: similarity
                loss: cosine-cross-entropy

        In Python::

            from embedding.losses.cosine_cross_entropy import CosineCrossEntropyLoss
            loss = CosineCrossEntropyLoss(model)
    """

    def __init__(self, model: nn.Module, scale: float = 20.0) -> None:
        super().__init__(model)
        self.scale = self._positive_scale(scale)

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        self._require_labels(labels, "the pair scores")
        p = ((pairwise_cos_sim(embeddings[0], embeddings[1]) + 1) / 2).clamp(0.0, 1.0)
        t = torch.sigmoid(self.scale * labels.view(-1).to(p.dtype))
        # F.binary_cross_entropy refuses to run under bf16/fp16 autocast, so leave autocast for it (float32).
        with torch.autocast(device_type=p.device.type, enabled=False):
            return F.binary_cross_entropy(p.float(), t.float())

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale}

    @property
    def citation(self) -> str:
        return _citations.EMBEDDING_TRAINING
