"""Symmetric multiple-negatives ranking loss with an additive margin (config name `ranking`)."""

from __future__ import annotations

from typing import Any

import torch
from sentence_transformers.util import all_gather_with_grad, get_rank
from torch import Tensor, nn

from . import _citations
from ._base import EmbeddingLoss
from ._similarity import check_similarity, matrix_similarity


class RankingLoss(EmbeddingLoss):
    """Symmetric InfoNCE over in-batch candidates: each anchor must pick its own positive, and each positive its
    own anchor, with an optional additive margin on the matching pair.

    With anchors a_i, candidates c_j = [positives p_1..p_n, negative_1 of every row, ..., negative_k of every row],
    margin m and scale λ, ``s(x, y) = λ · (sim(x, y) − m·[y is x's own pair])``::

        L_fwd = 1/n Σ_i −log( exp s(a_i, p_i) / Σ_j exp s(a_i, c_j) )
        L_bwd = 1/n Σ_i −log( exp s(p_i, a_i) / Σ_l exp s(p_i, b_l) ),   b = [a_1..a_n]
        loss  = (L_fwd + L_bwd) / 2

    The margin is subtracted from the own positive's similarity *before* scaling, so the effective logit margin is
    λ·m: a pair only stops contributing once it beats every in-batch candidate by m in similarity. m = 0 gives
    sentence-transformers' ``MultipleNegativesRankingLoss(directions=("query_to_doc", "doc_to_query"),
    partition_mode="per_direction")`` exactly (the v6 form of ``MultipleNegativesSymmetricRankingLoss``).

    Args:
        model: the SentenceTransformer being trained.
        scale: λ = 1 / temperature (default 20.0, i.e. temperature 0.05). Higher values sharpen the softmax.
        similarity: `cosine` (default), `dot`, `euclidean` or `manhattan` (negative distances).
        margin: m, in similarity units (default 0.0 = no margin). Larger values demand a wider gap; a negative
            value relaxes the objective.
        gather_across_devices: multi-GPU only: use every device's candidates as negatives (with gradients).

    References:
        - van den Oord et al. 2018, "Representation Learning with Contrastive Predictive Coding".
        - Wang et al. 2018, "Additive Margin Softmax for Face Verification" (the margin).

    Requirements:
        1. (anchor, positive) pairs, optionally with hard-negative columns.

    Inputs:
        +-------------------------------------------------+--------+
        | Inputs                                          | Labels |
        +=================================================+========+
        | (anchor, positive) pairs                        | none   |
        +-------------------------------------------------+--------+
        | (anchor, positive, negative_1, ..., negative_k) | none   |
        +-------------------------------------------------+--------+

    Relations:
        - :class:`AugmentedRankingLoss` also uses the hard negatives in the positive → anchor direction.
        - :class:`CachedRankingLoss` computes the same value with GradCache, for batches beyond memory.

    Example:
        In a config::

            objectives:
              - type: contrastive
                loss: ranking
                loss_args: {scale: 20.0}
                margin: 0.1

        In Python::

            from datasets import Dataset
            from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
            from embedding.losses.ranking import RankingLoss

            model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
            data = Dataset.from_dict({"anchor": ["how do I pay?", "where is my order?"],
                                      "positive": ["payment methods?", "track my package"]})
            SentenceTransformerTrainer(model=model, train_dataset=data, loss=RankingLoss(model, margin=0.1)).train()
    """

    #: Whether the positive → anchor direction also ranks the hard negatives (AugmentedRankingLoss).
    augment_backward = False

    def __init__(
        self,
        model: nn.Module,
        scale: float = 20.0,
        similarity: str = "cosine",
        margin: float = 0.0,
        gather_across_devices: bool = False,
    ) -> None:
        super().__init__(model)
        self.scale = self._positive_scale(scale)
        self.similarity = check_similarity(similarity)
        self.margin = float(margin)
        self.gather_across_devices = bool(gather_across_devices)

    def compute_loss_from_embeddings(
        self, embeddings: list[Tensor], labels: Tensor | None = None, rows: tuple[int, int] | None = None
    ) -> Tensor:
        """The loss from one embedding tensor per column; labels are unused.

        `rows` = (begin, end) restricts it to those anchor rows and returns their share of the batch loss, so that
        summing the shares of all row chunks gives the full loss (used by the GradCache path).
        """
        if len(embeddings) < 2:
            raise ValueError(
                f"{type(self).__name__} expects at least 2 columns (anchor, positive), got {len(embeddings)}"
            )
        queries, docs = embeddings[0], list(embeddings[1:])
        n, offset = queries.size(0), 0
        if self.gather_across_devices:
            queries, docs = all_gather_with_grad(queries), [all_gather_with_grad(d) for d in docs]
            offset = get_rank() * n
        begin, end = rows or (0, n)
        own = torch.arange(offset + begin, offset + end, device=queries.device)
        sim = matrix_similarity(self.similarity)
        forward_scores = sim(queries[own], torch.cat(docs))
        backward_candidates = torch.cat([queries, *docs[1:]]) if self.augment_backward else queries
        backward_scores = sim(docs[0][own], backward_candidates)
        # The own pair sits at column offset + row in both matrices (anchors and positives come first).
        return (self._nll(forward_scores, own) + self._nll(backward_scores, own)) / (2 * n)

    def _nll(self, scores: Tensor, own: Tensor) -> Tensor:
        rows = torch.arange(len(own), device=scores.device)
        shift = torch.zeros_like(scores)
        shift[rows, own] = self.margin
        logits = (scores - shift) * self.scale
        return (torch.logsumexp(logits, dim=1) - logits[rows, own]).sum()

    def get_config_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "similarity": self.similarity,
            "margin": self.margin,
            "gather_across_devices": self.gather_across_devices,
        }

    @property
    def citation(self) -> str:
        return _citations.join(_citations.INFONCE, _citations.ADDITIVE_MARGIN if self.margin else "")
