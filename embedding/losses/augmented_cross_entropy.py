"""Binary cross-entropy over every cross pair of the batch (config name `augmented-cross-entropy`)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from sentence_transformers.util import cos_sim
from torch import Tensor, nn

from .shared import citations as _citations
from .shared.base import EmbeddingLoss


class AugmentedBinaryCrossEntropyLoss(EmbeddingLoss):
    """:class:`BinaryCrossEntropyLoss` on all n × n pairs (u_i, v_j); cross pairs (i ≠ j) get label `min_score`.

    With ``Y_ii = y_i`` and ``Y_ij = min_score`` (i ≠ j)::

        z_ij = λ · cos(u_i, v_j),   t_ij = σ(λ · Y_ij)
        loss = 1/n² Σ_ij BCEWithLogits(z_ij, t_ij)

    Memory O(n²). Cross pairs that are in fact paraphrases become false negatives. No margin (see
    :class:`BinaryCrossEntropyLoss`).

    Args:
        model: the SentenceTransformer being trained.
        scale: λ, applied to logits and targets (default 20.0).
        min_score: label of the cross pairs (default -1.0, i.e. target σ(−λ) ≈ 0).

    References:
        - https://github.com/rodrigocaus/embedding-training, `AugmentedBinaryCrossEntropyLoss`.

    Requirements:
        1. Sentence pairs with a score; batches without duplicate anchors.

    Inputs:
        +--------------------------------+------------------------+
        | Inputs                         | Labels                 |
        +================================+========================+
        | (anchor, candidate) pairs      | float similarity score |
        +--------------------------------+------------------------+

    Relations:
        - :class:`BinaryCrossEntropyLoss` uses only the diagonal pairs.

    Example:
        In a config::

            objectives:
              - type: similarity
                loss: augmented-cross-entropy
                loss_args: {min_score: -1.0}

        In Python::

            from embedding.losses.augmented_cross_entropy import AugmentedBinaryCrossEntropyLoss
            loss = AugmentedBinaryCrossEntropyLoss(model)
    """

    def __init__(self, model: nn.Module, scale: float = 20.0, min_score: float = -1.0) -> None:
        super().__init__(model)
        self.scale = self._positive_scale(scale)
        self.min_score = float(min_score)

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        self._require_labels(labels, "the pair scores")
        logits = cos_sim(embeddings[0], embeddings[1]) * self.scale
        targets = torch.full_like(logits, self.min_score)
        targets.diagonal().copy_(labels.to(logits.dtype).view(-1))
        return F.binary_cross_entropy_with_logits(logits, torch.sigmoid(self.scale * targets))

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "min_score": self.min_score}

    @property
    def citation(self) -> str:
        return _citations.EMBEDDING_TRAINING
