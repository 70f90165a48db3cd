"""Multi-objective batch mixing: weighted sampling of which objective the next batch comes from."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from sentence_transformers.base.sampler import MultiDatasetDefaultBatchSampler


class WeightedBatchSampler(MultiDatasetDefaultBatchSampler):
    """Each batch comes from objective i with probability weight_i / sum(weights).

    One epoch has as many batches as all objectives together; an objective whose batches run out starts over
    (a reshuffled pass), so a small, heavily weighted dataset is upsampled rather than dropped.
    """

    def __init__(
        self,
        dataset,
        batch_samplers,
        generator: torch.Generator | None = None,
        seed: int = 0,
        weights: list[float] | None = None,
    ) -> None:
        super().__init__(dataset, batch_samplers=batch_samplers, generator=generator, seed=seed)
        weights = weights or [1.0] * len(batch_samplers)
        if len(weights) != len(batch_samplers):
            raise ValueError(f"{len(weights)} weights for {len(batch_samplers)} datasets")
        self.weights = torch.tensor(weights, dtype=torch.float64)

    def __iter__(self) -> Iterator[list[int]]:
        if self.generator is not None and self.seed is not None:
            self.generator.manual_seed(self.seed + self.epoch)
        offsets = [0]
        for sub in self.dataset.datasets[:-1]:
            offsets.append(offsets[-1] + len(sub))
        iterators = [iter(sampler) for sampler in self.batch_samplers]
        choices = torch.multinomial(self.weights, len(self), replacement=True, generator=self.generator)
        for index in choices.tolist():
            try:
                batch = next(iterators[index])
            except StopIteration:
                iterators[index] = iter(self.batch_samplers[index])
                batch = next(iterators[index])
            yield [i + offsets[index] for i in batch]

    def __len__(self) -> int:
        return sum(len(sampler) for sampler in self.batch_samplers)


def expected_shares(mixing: str, num_batches: list[int], weights: list[float]) -> list[float]:
    """Expected fraction of steps per objective under each mixing mode."""
    if mixing == "round_robin":
        return [1 / len(num_batches)] * len(num_batches)
    basis = weights if mixing == "weighted" else num_batches
    total = sum(basis) or 1
    return [b / total for b in basis]
