"""Losses: config names -> modules. Importing this package must not import torch (`validate` stays instant).

Use `embedding.losses.registry` (torch-free checks) and `embedding.losses.build` (builds modules). The loss classes
below are importable from this package too; they load torch on first access only.

==================  ==========================  ==========================================================
objective type      data                        `loss:` (★ default)
==================  ==========================  ==========================================================
contrastive         anchor, positive, negs...   ★ ranking, augmented-ranking, cached-ranking
similarity          anchor, candidate, label    ★ cosine, augmented-cosine, cross-entropy,
                                                augmented-cross-entropy, cosine-cross-entropy
either              as the class documents      any sentence-transformers loss class, e.g. GISTEmbedLoss;
                                                `module:Class` with `allow_custom_code: true`
==================  ==========================  ==========================================================
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RankingLoss": "ranking",
    "AugmentedRankingLoss": "augmented_ranking",
    "CachedRankingLoss": "cached_ranking",
    "CoSENTMarginLoss": "cosent_margin",
    "AugmentedCoSENTLoss": "augmented_cosent",
    "BinaryCrossEntropyLoss": "cross_entropy",
    "AugmentedBinaryCrossEntropyLoss": "augmented_cross_entropy",
    "CosineCrossEntropyLoss": "cosine_cross_entropy",
    "KLDistillationLoss": "kl_distillation",
    "SimilarityDistillationLoss": "similarity_distillation",
    "InBatchNegativesVariancePenaltyLoss": "in_batch_variance_penalty",
    "LabeledNegativesVariancePenaltyLoss": "labeled_variance_penalty",
    "ObjectiveLoss": "objective",
    "build_objective_loss": "build",
    "attach_teacher_targets": "teacher",
    "objective_loss_problems": "registry",
    "DEFAULT_LOSS": "registry",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
