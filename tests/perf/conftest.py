"""Fixtures of the performance tests: the trainer with length grouping wired in, whether or not run.py does it."""

from __future__ import annotations

import pytest


@pytest.fixture
def grouping_trainer(monkeypatch):
    """EmbeddingTrainer with LengthGroupingMixin right before SentenceTransformerTrainer in its bases (the wiring
    the trainer is meant to have, added here if trainer.py lacks it); records the grouped samplers it trains with."""
    from sentence_transformers import SentenceTransformerTrainer

    from embedding.training.batching.dataloading import LengthGroupingMixin
    from embedding.training.batching.length_groups import LengthGroupedBatchSampler
    from embedding.training.trainer.base import EmbeddingTrainer

    bases = EmbeddingTrainer.__bases__
    if LengthGroupingMixin not in EmbeddingTrainer.__mro__:  # __bases__ is no plain attribute: restored by hand
        EmbeddingTrainer.__bases__ = (LengthGroupingMixin, SentenceTransformerTrainer)
    built: list = []
    original = LengthGroupingMixin.training_batch_sampler

    def recording(self, *args, **kwargs):
        sampler = original(self, *args, **kwargs)
        if isinstance(sampler, LengthGroupedBatchSampler):
            built.append(sampler)
        return sampler

    monkeypatch.setattr(LengthGroupingMixin, "training_batch_sampler", recording)
    try:
        yield built
    finally:
        EmbeddingTrainer.__bases__ = bases
