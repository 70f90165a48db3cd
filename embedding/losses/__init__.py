"""Losses: config names -> modules. Importing this package must not import torch (`validate` stays instant).

The table of losses is `embedding.config.catalog.losses` (torch-free; their rules: `catalog/loss_rules.py`),
`embedding.losses.build` builds the modules. The loss classes of the table are importable from this package too;
they load torch on first access only.

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

from ..config.catalog import losses as _registry


def _class_exports() -> dict[str, str]:
    """Class name -> module of every loss in the registry table and of the extra terms."""
    entries = [*_registry.LOSSES.values(), *_registry.DISTILLATION.values(), *_registry.VARIATION_PENALTY.values()]
    return {e.class_name: e.target.partition(":")[0] for e in entries}


_EXPORTS = {
    **_class_exports(),
    "ObjectiveLoss": "objective",
    "build_objective_loss": "build",
    "attach_teacher_targets": "teacher",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
