"""Distillation for contrastive objectives: match the teacher's softmax over each anchor's candidates."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config.catalog.loss_args import KL_REDUCTIONS
from ..forward.targets import unpack_targets
from .shared import citations as _citations
from .shared.base import EmbeddingLoss
from .shared.similarity import check_similarity, matrix_similarity


class KLDistillationLoss(EmbeddingLoss):
    """KL divergence from the teacher's to the student's distribution over the in-batch candidates of each anchor.

    With anchors a_i, candidates c_j = [positives of every row, then negative_1 of every row, ...], scale λ and
    the teacher's embeddings T(·) read from the packed labels (see `targets.py`)::

        P_ij = softmax_j(λ · sim(T(a_i), T(c_j)))        (teacher, no gradient)
        Q_ij = softmax_j(λ · sim(a_i, c_j))              (student)
        loss = Σ_ij P_ij (log P_ij − log Q_ij) / n       (reduction `batchmean`)

    The teacher encoded the raw texts with its own tokenizer and prompts before training
    (`teacher.attach_teacher_targets`), so it may differ from the student in vocabulary and width, and it is not
    a submodule: it never reaches the optimizer.

    Args:
        model: the student SentenceTransformer.
        scale: λ for both distributions (default 20.0, temperature 0.05).
        similarity: `cosine` (default), `dot`, `euclidean` or `manhattan`, used on both sides.
        reduction: `batchmean` (default; KL per anchor, averaged), `sum`, or `mean` (over all n·m entries).

    References:
        - Lin et al. 2020, "Distilling Dense Representations for Ranking using Tightly-Coupled Teachers".

    Requirements:
        1. (anchor, positive[, negatives...]) rows whose `label` holds the packed teacher embeddings.

    Inputs:
        +-------------------------------------------------+---------------------------------------------+
        | Inputs                                          | Labels                                      |
        +=================================================+=============================================+
        | (anchor, positive, negative_1, ..., negative_k) | teacher embeddings of every column, flat    |
        +-------------------------------------------------+---------------------------------------------+

    Relations:
        - Added to a contrastive objective by its `distillation:` block (weight `alpha`).
        - :class:`SimilarityDistillationLoss` is the similarity-objective counterpart.

    Example:
        In a config::

            objectives:
              - type: contrastive
                distillation:
                  alpha: 0.5
                  teacher: {name: intfloat/multilingual-e5-large, args: {prompts: {query: "query: "}}}
                  loss_args: {scale: 20.0, similarity: cosine}

        In Python::

            from embedding.forward.teacher import attach_teacher_targets
            from embedding.losses.kl_distillation import KLDistillationLoss

            train = attach_teacher_targets(train, teacher, "contrastive")
            loss = KLDistillationLoss(student, scale=20.0)
    """

    def __init__(
        self, model: nn.Module, scale: float = 20.0, similarity: str = "cosine", reduction: str = "batchmean"
    ) -> None:
        super().__init__(model)
        self.scale = self._positive_scale(scale)
        if reduction not in KL_REDUCTIONS:
            raise ValueError(f"Invalid reduction: {reduction!r}. Valid: {', '.join(KL_REDUCTIONS)}")
        self.similarity = check_similarity(similarity)
        self.reduction = reduction

    def compute_loss_from_embeddings(
        self, embeddings: list[Tensor], labels: Tensor, rows: tuple[int, int] | None = None
    ) -> Tensor:
        """The loss from the student embeddings and the packed teacher labels; `rows` as in `RankingLoss`."""
        _, teacher = unpack_targets(labels, len(embeddings), "contrastive")
        n = embeddings[0].size(0)
        begin, end = rows or (0, n)
        sim = matrix_similarity(self.similarity)
        student = sim(embeddings[0][begin:end], torch.cat(embeddings[1:])) * self.scale
        with torch.no_grad():
            # float32 on the teacher side: the student may run in bf16, the targets need not lose precision.
            target = sim(teacher[0][begin:end].float(), torch.cat(teacher[1:]).float())
            log_p = F.log_softmax(target * self.scale, dim=1)
        log_q = F.log_softmax(student.float(), dim=1)
        total = (log_p.exp() * (log_p - log_q)).sum()
        denominator = {"batchmean": n, "sum": 1, "mean": n * student.size(1)}[self.reduction]
        return total / denominator

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "similarity": self.similarity, "reduction": self.reduction}

    @property
    def citation(self) -> str:
        return _citations.DISTILLATION
