"""Distillation for similarity objectives: CoSENT on the teacher's pair scores."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ..forward.targets import unpack_targets
from .cosent_margin import ranked_pairs_loss
from .shared import citations as _citations
from .shared.base import EmbeddingLoss
from .shared.similarity import check_similarity, pairwise_similarity


class SimilarityDistillationLoss(EmbeddingLoss):
    """Makes the student rank the batch's pairs in the order the teacher scores them (CoSENT on teacher scores).

    With pairs (u_i, v_i), scale λ and the teacher's embeddings T(·) read from the packed labels::

        t_i  = sim(T(u_i), T(v_i))                  (teacher score, no gradient)
        s_i  = λ · sim(u_i, v_i)                    (student)
        loss = log(1 + Σ_{(i, j): t_i < t_j} exp(s_i − s_j))

    The dataset's own labels are not used by this term (they stay first in the packed label, for the main loss):
    only the teacher's ordering of the pairs is distilled. `similarity` applies to both sides, cosine by default
    (a dot product on one side only would compare unnormalised student scores with cosine teacher scores).

    Args:
        model: the student SentenceTransformer.
        scale: λ (default 20.0).
        similarity: `cosine` (default), `dot`, `euclidean` or `manhattan`, for teacher and student.

    References:
        - Huang et al. 2024, "CoSENT: Consistent Sentence Embedding via Similarity Ranking".

    Requirements:
        1. (anchor, candidate) rows whose `label` is ``[y, T(anchor)..., T(candidate)...]``.

    Inputs:
        +--------------------------------+------------------------------------------+
        | Inputs                         | Labels                                   |
        +================================+==========================================+
        | (anchor, candidate) pairs      | own label, then the teacher embeddings   |
        +--------------------------------+------------------------------------------+

    Relations:
        - Added to a similarity objective by its `distillation:` block (weight `alpha`).
        - :class:`KLDistillationLoss` is the contrastive counterpart.

    Example:
        In a config::

            objectives:
              - type: similarity
                distillation:
                  alpha: 1.0
                  teacher: {name: BAAI/bge-m3}

        In Python::

            from embedding.forward.teacher import attach_teacher_targets
            from embedding.losses.similarity_distillation import SimilarityDistillationLoss

            train = attach_teacher_targets(train, teacher, "similarity")
            loss = SimilarityDistillationLoss(student)
    """

    def __init__(self, model: nn.Module, scale: float = 20.0, similarity: str = "cosine") -> None:
        super().__init__(model)
        self.scale = self._positive_scale(scale)
        self.similarity = check_similarity(similarity)

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        _, teacher = unpack_targets(labels, len(embeddings), "similarity")
        sim = pairwise_similarity(self.similarity)
        with torch.no_grad():
            targets = sim(teacher[0].float(), teacher[1].float())
        scores = sim(embeddings[0], embeddings[1]) * self.scale
        return ranked_pairs_loss(scores, targets)  # the targets only order the pairs

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "similarity": self.similarity}

    @property
    def citation(self) -> str:
        return _citations.COSENT
