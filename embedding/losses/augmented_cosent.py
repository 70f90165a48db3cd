"""CoSENT over every cross pair of the batch (config name `augmented-cosine`), in O(n²) memory."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from .cosent_margin import ranked_pairs_loss
from .shared import citations as _citations
from .shared.base import EmbeddingLoss
from .shared.similarity import check_similarity, matrix_similarity


class AugmentedCoSENTLoss(EmbeddingLoss):
    """CoSENT on all n × n pairs (u_i, v_j) of the batch; the cross pairs (i ≠ j) count as unrelated (`min_score`).

    With ``S_ij = λ · sim(u_i, v_j)``, ``Y_ii = y_i`` and ``Y_ij = min_score`` for i ≠ j, both flattened to n²
    entries, and margin m::

        loss = log(1 + Σ_{(p, q): Y_p < Y_q} exp(S_p − S_q + λ·m))

    Comparing every pair of entries directly needs the n² × n² difference matrix (O(n⁴) memory: 6.9·10¹⁰ entries at
    batch 512); this computes the same value with a sort and a running log-sum-exp over the n² entries
    (:func:`ranked_pairs_loss`), O(n²) memory.
    Beware false negatives: two rows that are paraphrases of each other are still ranked as unrelated.

    Args:
        model: the SentenceTransformer being trained.
        scale: λ (default 20.0).
        similarity: `cosine` (default), `dot`, `euclidean` or `manhattan`.
        min_score: label of the cross pairs (default -1.0, the `dissimilar` label); it should not exceed the
            lowest real label, or cross pairs would outrank labelled negatives.
        margin: m, required similarity gap between label levels (default 0.0); the objective's `margin:` key.

    References:
        - Huang et al. 2024, "CoSENT: Consistent Sentence Embedding via Similarity Ranking".
        - https://github.com/rodrigocaus/embedding-training (the augmentation).

    Requirements:
        1. Sentence pairs with a score; batches without duplicate anchors (cross pairs are assumed unrelated).

    Inputs:
        +--------------------------------+------------------------+
        | Inputs                         | Labels                 |
        +================================+========================+
        | (anchor, candidate) pairs      | float similarity score |
        +--------------------------------+------------------------+

    Relations:
        - :class:`CoSENTMarginLoss` ranks only the n labelled pairs.

    Example:
        In a config::

            objectives:
              - type: similarity
                loss: augmented-cosine
                loss_args: {min_score: -1.0}

        In Python::

            from embedding.losses.augmented_cosent import AugmentedCoSENTLoss
            loss = AugmentedCoSENTLoss(model, min_score=-1.0)
    """

    def __init__(
        self,
        model: nn.Module,
        scale: float = 20.0,
        similarity: str = "cosine",
        min_score: float = -1.0,
        margin: float = 0.0,
    ) -> None:
        super().__init__(model)
        self.scale = self._positive_scale(scale)
        self.similarity = check_similarity(similarity)
        self.min_score = float(min_score)
        self.margin = float(margin)

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        self._require_labels(labels, "the pair scores")
        scores = matrix_similarity(self.similarity)(embeddings[0], embeddings[1]) * self.scale
        targets = torch.full_like(scores, self.min_score)
        targets.diagonal().copy_(labels.to(scores.dtype).view(-1))
        return ranked_pairs_loss(scores.reshape(-1), targets.reshape(-1), self.scale * self.margin)

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "similarity": self.similarity, "min_score": self.min_score, "margin": self.margin}

    @property
    def citation(self) -> str:
        return _citations.join(_citations.COSENT, _citations.EMBEDDING_TRAINING)
