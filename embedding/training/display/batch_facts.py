"""The banner's batch arithmetic: the rows and negatives a batch of each objective really holds.

A batch cannot hold more rows than the objective has (per process): with 4 rows and batch size 64 each anchor
meets 3 in-batch negatives, not 63. The numbers shown are capped there, and `batch_warnings` says so.
"""

from __future__ import annotations

from typing import Any


def setting(value: Any) -> Any:
    return getattr(value, "value", value)  # transformers enums (IntervalStrategy...) -> their string


def negatives_per_anchor(obj, batch: int, world: int, rows: int | None = None) -> str:
    """Candidates each anchor is ranked against, besides its own positive; '-' for scored pairs.

    With `rows` (the objective's training rows) a batch holds at most that many rows: the count is capped there.
    """
    if obj.spec.type != "contrastive":
        return "-"
    k = sum(1 for c in obj.train.dataset.column_names if c.startswith("negative"))
    devices = world if obj.spec.gather_across_devices else 1
    per_device = batch if rows is None else min(batch, -(-rows // world))  # the sampler splits rows over processes
    in_batch, hard = devices * per_device - 1, devices * per_device * k
    text = f"{in_batch + hard} ({in_batch} in-batch + {hard} hard)" if k else f"{in_batch} (in-batch)"
    return text + (f" across {devices} devices" if devices > 1 else "")


def batch_size_of(obj, args) -> int:
    return getattr(obj.spec, "batch_size", None) or args.per_device_train_batch_size


def batch_warnings(plan, args) -> list[str]:
    """One warning per objective whose batch is larger than its data (its batches are smaller than configured),
    and per contrastive objective whose rows share positives while its batches may hold both rows."""
    from ...data.groups import shared_positive_warning

    world = max(1, args.world_size)
    warnings = []
    for obj in plan.objectives:
        sampler = setting(getattr(obj.spec, "batch_sampler", None) or getattr(args, "batch_sampler", None))
        if obj.spec.type == "contrastive" and sampler in (None, "batch_sampler"):  # a text may repeat in a batch
            warnings += filter(None, [shared_positive_warning(obj.train.dataset, obj.name)])
        batch, rows = batch_size_of(obj, args), len(obj.train.dataset)
        if rows >= batch * world:
            continue
        effective = min(batch, -(-rows // world))
        negatives = negatives_per_anchor(obj, batch, world, rows)
        also = (
            f", so {negatives} negatives per anchor instead of {negatives_per_anchor(obj, batch, world)}"
            if negatives != "-"
            else ""
        )
        warnings.append(
            f"objective {obj.name}: batch size {batch}{f' x {world} processes' if world > 1 else ''} is larger "
            f"than its {rows} training rows: a batch holds at most {effective} rows{also}. Lower the batch size "
            "(args.per_device_train_batch_size or the objective's batch_size) or add data"
        )
    return warnings
