"""The shared base of this package's own loss modules (`EmbeddingLoss`)."""

from __future__ import annotations

from collections.abc import Iterable

from sentence_transformers.base.losses.merged_forward import embed_columns
from torch import Tensor, nn


class EmbeddingLoss(nn.Module):
    """A loss computed from one embedding tensor per input column.

    Every loss of this package splits its work in two: :meth:`forward` embeds the columns (one merged forward
    pass where :func:`embed_columns` can), and :meth:`compute_loss_from_embeddings` computes the value from those
    embeddings alone. That split is why this class exists: `ObjectiveLoss` embeds the batch once and hands the
    same embeddings to the main loss, the distillation term and the variance penalty, and the GradCache path
    (`CachedRankingLoss`) calls `compute_loss_from_embeddings` on cached embeddings. A subclass therefore only
    writes `compute_loss_from_embeddings` (plus its `get_config_dict` and `citation`), and uses the argument
    checks below so that every loss reports a bad `scale` or a missing label column the same way.

    Args:
        model: the SentenceTransformer being trained (stored as `self.model`, a submodule).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor | None = None) -> Tensor:
        return self.compute_loss_from_embeddings(embed_columns(self.model, sentence_features), labels)

    def compute_loss_from_embeddings(self, embeddings: list[Tensor], labels: Tensor | None = None) -> Tensor:
        """The loss from `embeddings` (one (n, dim) tensor per column, in column order) and the batch `labels`."""
        raise NotImplementedError

    @staticmethod
    def _positive_scale(scale: float) -> float:
        """`scale` as a float; a ValueError unless it is > 0 (NaN included)."""
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale}")
        return float(scale)

    def _require_labels(self, labels: Tensor | None, what: str) -> Tensor:
        """`labels`, or a ValueError naming this loss and `what` its label column holds when there is none."""
        if labels is None:
            raise ValueError(f"{type(self).__name__} needs a label column ({what})")
        return labels
