"""A user's own loss, loaded in the tests through `loss: custom_loss_module:MeanSquaredCosineLoss`."""

from __future__ import annotations

from sentence_transformers.util import pairwise_cos_sim
from torch import nn


class MeanSquaredCosineLoss(nn.Module):
    def __init__(self, model, target: float = 1.0) -> None:
        super().__init__()
        self.model = model
        self.target = target

    def compute_loss_from_embeddings(self, embeddings, labels):
        return ((pairwise_cos_sim(embeddings[0], embeddings[1]) - self.target) ** 2).mean()
