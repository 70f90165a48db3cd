"""Symmetric ranking loss whose positive → anchor direction also ranks the hard negatives (`augmented-ranking`)."""

from __future__ import annotations

from .ranking import RankingLoss
from .shared import citations as _citations


class AugmentedRankingLoss(RankingLoss):
    """Like :class:`RankingLoss`, but each positive must also prefer its anchor over every hard negative of the
    batch, so the negatives shape both directions (`AugmentedMultipleNegativesSymmetricRankingLoss`
    of `embedding-training`).

    With anchors a_i, positives p_i, hard negatives N = [negative_1 of every row, ..., negative_k of every row],
    margin m and scale λ, ``s(x, y) = λ · (sim(x, y) − m·[y is x's own pair])``::

        L_fwd = 1/n Σ_i −log( exp s(a_i, p_i) / Σ_{c ∈ [p_1..p_n] ++ N} exp s(a_i, c) )
        L_bwd = 1/n Σ_i −log( exp s(p_i, a_i) / Σ_{b ∈ [a_1..a_n] ++ N} exp s(p_i, b) )
        loss  = (L_fwd + L_bwd) / 2

    Without negative columns it equals :class:`RankingLoss`.

    Args:
        model: the SentenceTransformer being trained.
        scale: λ = 1 / temperature (default 20.0).
        similarity: `cosine` (default), `dot`, `euclidean` or `manhattan`.
        margin: m, subtracted from each anchor's own positive similarity before scaling (default 0.0).
        gather_across_devices: multi-GPU only: use every device's candidates as negatives.

    References:
        - van den Oord et al. 2018, "Representation Learning with Contrastive Predictive Coding".
        - https://github.com/rodrigocaus/embedding-training (the augmented backward direction).

    Requirements:
        1. (anchor, positive, negative_1, ..., negative_k) with k ≥ 1, otherwise use `ranking`.

    Inputs:
        +-------------------------------------------------+--------+
        | Inputs                                          | Labels |
        +=================================================+========+
        | (anchor, positive, negative_1, ..., negative_k) | none   |
        +-------------------------------------------------+--------+

    Relations:
        - :class:`RankingLoss` ranks only the anchors in the positive → anchor direction.

    Example:
        In a config::

            objectives:
              - type: contrastive
                loss: augmented-ranking
                datasets: {train: {name: GoBotsAI/e-faq, args: {split: train},
                                   preprocess_args: {negative_samples: 3}}}

        In Python::

            from embedding.losses.augmented_ranking import AugmentedRankingLoss
            loss = AugmentedRankingLoss(model, scale=20.0)
    """

    augment_backward = True

    @property
    def citation(self) -> str:
        return _citations.join(super().citation, _citations.EMBEDDING_TRAINING)
