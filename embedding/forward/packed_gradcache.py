"""GradCache mini-batches run packed (`execution.packed`), for the cached losses on the `sorted` path.

GradCache (sentence-transformers' `CachedLossMixin`) embeds a step in mini-batches twice: once without gradients,
then again with them, replaying each mini-batch's RNG state so that dropout draws the same masks. On a sorted step
(`objective.py`: the step's distinct texts, length-sorted, as one right-padded column) each mini-batch can run as
unpadded tokens instead (`packed.py`); the RNG state is taken and restored around the packed forward exactly
as around the padded one, so the replay stays exact (tests/losses/test_sorted_cached.py).
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch
from sentence_transformers.base.losses.gradcache import RandContext, _create_minibatch
from torch import Tensor, nn

from .execution import Execution
from .packed import embed_packed, packed_encoder


class PackedMiniBatches:
    """Mixin before `CachedLossMixin`: its `embed_minibatch`, packed when the step is sorted and the run packs.

    Constructed with the run's `Execution` (decided once, `execution.py`). The loss it is mixed into provides
    `model` and sets `sorted_step_rows` for the step being embedded: each column's rows in the sorted step, or None
    when the step is not a sorted one (per-column features, maybe with prompts: never packed here).
    """

    def __init__(self, *args: Any, execution: Execution, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execution = execution
        self.sorted_step_rows: list[Tensor] | None = None

    def embed_minibatch(
        self,
        sentence_feature: dict[str, Tensor],
        begin: int,
        end: int,
        with_grad: bool,
        copy_random_state: bool,
        random_state: Any = None,
    ) -> tuple[Tensor, Any]:
        """GradCache step (1) / (3) for one mini-batch: packed (`execution.packed`) when the step is a sorted one and
        the run packs, else sentence-transformers' padded call. The dropout replay is the same either way: the RNG
        state is taken before the mini-batch's forward and restored for its second pass. The packed forward runs
        under the run's autocast, as the padded call does through the trainer's wrapped `forward`."""
        encoder = self._packed_minibatch_encoder()
        mask = sentence_feature.get("attention_mask")
        if encoder is None or mask is None or not bool(mask[begin:end].sum(dim=1).all()):  # an empty row: padded
            return super().embed_minibatch(
                sentence_feature, begin, end, with_grad, copy_random_state, random_state=random_state
            )
        minibatch = _create_minibatch(sentence_feature, begin, end)
        rows = {key: value for key, value in minibatch.items() if key in ("input_ids", "token_type_ids")}
        lengths = minibatch["attention_mask"].sum(dim=1).tolist()
        with nullcontext() if random_state is None else random_state:
            with nullcontext() if with_grad else torch.no_grad():
                random_state = RandContext(*minibatch.values()) if copy_random_state else None
                with self.execution.autocast():
                    reps = embed_packed(self.model, encoder, rows, lengths).float()
        return reps, random_state

    def _packed_minibatch_encoder(self) -> nn.Module | None:
        if self.sorted_step_rows is None or not self.execution.packed:
            return None
        return packed_encoder(self.model)  # None once the trainer has swapped in a wrapped (DDP) model
