"""CoSENT with an optional ranking margin (config name `cosine`, the default similarity loss)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from .shared import citations as _citations
from .shared.base import EmbeddingLoss
from .shared.similarity import check_similarity, pairwise_similarity


def ranked_pairs_loss(scores: Tensor, labels: Tensor, margin: float = 0.0) -> Tensor:
    """``log(1 + Σ_{(p, q): y_p < y_q} exp(s_p − s_q + margin))`` over flat `scores` / `labels`, without the
    P × P difference matrix.

    Sorting by label turns "all entries with a smaller label" into a prefix, so for each q the inner
    ``log Σ_{y_p < y_q} exp(s_p)`` is one running log-sum-exp read at the first index of y_q's label level:
    O(P log P) time and O(P) memory for any labels (discrete levels or continuous scores). Ties never pair.

    Args:
        scores: (P,) scaled similarities.
        labels: (P,) gold scores; only their order matters.
        margin: added to every pair's difference (already scaled, i.e. λ·m).

    Returns:
        The scalar loss (0 with a zero gradient when no pair has distinct labels).
    """
    order = torch.argsort(labels)
    y, s = labels[order].contiguous(), scores[order]
    running = torch.logcumsumexp(s, dim=0)
    first = torch.searchsorted(y, y)  # entries before `first` have a strictly smaller label
    has_smaller = first > 0
    below = running[(first - 1).clamp(min=0)]
    terms = torch.where(has_smaller, below - s + margin, torch.full_like(s, float("-inf")))
    # The leading 0 is the "1 +": the loss is log(1 + Σ ...), 0 when no pair qualifies.
    return torch.logsumexp(torch.cat([s.new_zeros(1), terms]), dim=0)


class CoSENTMarginLoss(EmbeddingLoss):
    """CoSENT: ranks the pairs of the batch by similarity in the order of their labels, with an optional margin.

    With pairs (u_i, v_i), labels y_i, scale λ and margin m, ``s_i = λ · sim(u_i, v_i)``::

        loss = log(1 + Σ_{(i, j): y_i < y_j} exp(s_i − s_j + λ·m))

    Only the order of the labels matters (1 / 0 / −1 by default: similar / almost_similar / dissimilar).
    A constant shift of the similarities cancels in CoSENT, so the margin acts on the *differences* instead:
    a pair with the higher label must beat one with a lower label by at least m in similarity before its term
    becomes small. m = 0 (default) is sentence-transformers' ``CoSENTLoss`` exactly; m > 0 always raises the
    loss and widens the learned gaps between label levels.

    Args:
        model: the SentenceTransformer being trained.
        scale: λ (default 20.0); the inverse temperature of the pairwise softplus.
        similarity: `cosine` (default), `dot`, `euclidean` or `manhattan`.
        margin: m in similarity units (default 0.0). Set it with the objective's `margin:` key.

    References:
        - Su 2022 / Huang et al. 2024, "CoSENT: Consistent Sentence Embedding via Similarity Ranking".

    Requirements:
        1. Sentence pairs with a score: (anchor, candidate, label).

    Inputs:
        +--------------------------------+------------------------+
        | Inputs                         | Labels                 |
        +================================+========================+
        | (anchor, candidate) pairs      | float similarity score |
        +--------------------------------+------------------------+

    Relations:
        - :class:`AugmentedCoSENTLoss` also ranks every cross pair (u_i, v_j) of the batch as a negative.

    Example:
        In a config::

            objectives:
              - type: similarity
                loss: cosine
                margin: 0.05

        In Python::

            from datasets import Dataset
            from embedding.losses.cosent_margin import CoSENTMarginLoss

            data = Dataset.from_dict({"anchor": ["how do I pay?", "how do I pay?"],
                                      "candidate": ["payment methods?", "where is my order?"], "label": [1.0, -1.0]})
            loss = CoSENTMarginLoss(model, margin=0.05)
    """

    def __init__(self, model: nn.Module, scale: float = 20.0, similarity: str = "cosine", margin: float = 0.0) -> None:
        super().__init__(model)
        self.scale = self._positive_scale(scale)
        self.similarity = check_similarity(similarity)
        self.margin = float(margin)

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor) -> Tensor:
        self._require_labels(labels, "the pair scores")
        scores = pairwise_similarity(self.similarity)(embeddings[0], embeddings[1]) * self.scale
        return ranked_pairs_loss(scores, labels.to(scores.dtype).view(-1), self.scale * self.margin)

    def get_config_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "similarity": self.similarity, "margin": self.margin}

    @property
    def citation(self) -> str:
        return _citations.COSENT
