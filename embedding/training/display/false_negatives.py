"""What the in-batch false-negative switches remove, for the banner and the training log (issue 16).

`batch_sampler: one_per_group` removes every same-group pair from the batches: the banner says how many random
batches of the same size would have held per epoch. The guided mask (`loss_args.guide`) removes candidates step
by step: `GuidedMaskLog` adds each objective's masked share of the in-batch candidates since the previous log
event to that event (`guided_mask/<objective>` in logs.jsonl and the progress lines).
"""

from __future__ import annotations

from transformers import TrainerCallback

from ...data.groups import same_group_share
from ..batching.group_sampler import NAME as ONE_PER_GROUP


def _guide(objective):
    return getattr(getattr(objective.loss, "main", None), "guide", None)


def random_pairs_per_epoch(groups, batch_size: int) -> float:
    """Same-group row pairs that shuffled batches of `batch_size` hold in one epoch, in expectation."""
    full, rest = divmod(len(groups), batch_size)
    pairs = full * batch_size * (batch_size - 1) / 2 + rest * (rest - 1) / 2
    return same_group_share(groups) * pairs


def banner_row(plan, trainer) -> tuple[str, str] | None:
    """("in-batch false negatives", per objective what removes them and how many) or None when nothing does."""
    args = trainer.args
    world = max(1, args.world_size)
    parts = []
    for obj, sampler in zip(plan.objectives, trainer.batch_samplers, strict=True):
        if sampler == ONE_PER_GROUP and obj.train.groups is not None:
            size = (obj.spec.batch_size or args.per_device_train_batch_size) * world
            pairs = random_pairs_per_epoch(obj.train.groups, size)
            parts.append(f"{obj.name}: one_per_group, same-group pairs per epoch {pairs:,.0f} (random batches) -> 0")
        guide = _guide(obj)
        if guide is not None:
            parts.append(
                f"{obj.name}: guided mask (guide {guide.name}, margin {guide.margin:g}), masked share logged as "
                f"guided_mask/{obj.name}"
            )
    return ("in-batch false negatives", "; ".join(parts)) if parts else None


class GuidedMaskLog(TrainerCallback):
    """Adds `guided_mask/<objective>`: the share of in-batch candidates the guide masked since the last log event.
    Goes before the callbacks that write the log event (JSONLLogger, the progress lines)."""

    def __init__(self, plan) -> None:
        self.guides = {obj.name: guide for obj in plan.objectives if (guide := _guide(obj)) is not None}

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or "loss" not in logs:  # training log events only: eval losses run the mask too
            return
        for name, guide in self.guides.items():
            share = guide.take_fraction()
            if share is not None:
                logs[f"guided_mask/{name}"] = round(share, 6)
