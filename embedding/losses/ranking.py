"""Symmetric multiple-negatives ranking loss with an additive margin (config name `ranking`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from sentence_transformers.base.losses.merged_forward import embed_columns
from sentence_transformers.util import all_gather_with_grad, get_rank
from torch import Tensor, nn

from .guided_mask import CITATION as GIST_CITATION
from .guided_mask import Guide, masked_logits
from .shared import citations as _citations
from .shared.base import EmbeddingLoss
from .shared.similarity import check_similarity, matrix_similarity


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
        guide: `base` (a frozen copy of the model as it is now, before training) or a model name: in-batch
            candidates it scores above the own pair, less `guide_margin`, leave the softmax (`guided_mask.py`,
            GISTEmbed's rule). None (default): no mask.
        guide_margin: the margin of that rule, in the guide's cosine units (default 0.0).

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
        guide: str | None = None,
        guide_margin: float = 0.0,
    ) -> None:
        super().__init__(model)
        self.scale = self._positive_scale(scale)
        self.similarity = check_similarity(similarity)
        self.margin = float(margin)
        self.gather_across_devices = bool(gather_across_devices)
        self.guide = Guide(model, guide, guide_margin) if guide else None

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor | None = None) -> Tensor:
        features = list(sentence_features)
        guided = self.guide.embed(features) if self.guide is not None else None
        return self.compute_loss_from_embeddings(embed_columns(self.model, features), labels, guided=guided)

    def compute_loss_from_embeddings(
        self,
        embeddings: list[Tensor],
        labels: Tensor | None = None,
        rows: tuple[int, int] | None = None,
        guided: list[Tensor] | None = None,
    ) -> Tensor:
        """The loss from one embedding tensor per column; labels are unused.

        `rows` = (begin, end) restricts it to those anchor rows and returns their share of the batch loss, so that
        summing the shares of all row chunks gives the full loss (used by the GradCache path). `guided`: the
        guide's embeddings of the same columns (`Guide.embed`), required with a guide.
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
        masks = self._guide_masks(guided, own) if self.guide is not None else (None, None)
        # The own pair sits at column offset + row in both matrices (anchors and positives come first).
        return (self._nll(forward_scores, own, masks[0]) + self._nll(backward_scores, own, masks[1])) / (2 * n)

    def _guide_masks(self, guided: list[Tensor] | None, own: Tensor) -> tuple[Tensor, Tensor]:
        """The guide's (forward, backward) masks, laid out like the score matrices."""
        if guided is None:
            raise ValueError(f"{type(self).__name__} has a guide: pass the guide's embeddings (`guided`)")
        if self.gather_across_devices:
            from sentence_transformers.util import all_gather

            guided = [all_gather(g) for g in guided]
        queries, docs = guided[0], guided[1:]
        backward = torch.cat([queries, *docs[1:]]) if self.augment_backward else queries
        return self.guide.mask(queries[own], torch.cat(docs), own), self.guide.mask(docs[0][own], backward, own)

    def _nll(self, scores: Tensor, own: Tensor, masked: Tensor | None = None) -> Tensor:
        rows = torch.arange(len(own), device=scores.device)
        shift = torch.zeros_like(scores)
        shift[rows, own] = self.margin
        logits = masked_logits((scores - shift) * self.scale, masked)
        return (torch.logsumexp(logits, dim=1) - logits[rows, own]).sum()

    def get_config_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "similarity": self.similarity,
            "margin": self.margin,
            "gather_across_devices": self.gather_across_devices,
            **({"guide": self.guide.name, "guide_margin": self.guide.margin} if self.guide is not None else {}),
        }

    @property
    def citation(self) -> str:
        return _citations.join(
            _citations.INFONCE,
            _citations.ADDITIVE_MARGIN if self.margin else "",
            GIST_CITATION if self.guide is not None else "",
        )
