"""The banner's "global batch" row: which rows' candidates an anchor is ranked against in a multi-process run.

With `gather_across_devices: true` every process's batch joins the candidates of every anchor: N processes x B
rows give each anchor N·B − 1 in-batch negatives (and N·B·k hard ones), exactly as one process with an N·B batch
(tests/losses/test_gathered_negatives.py). Without it each process ranks its own B rows alone. Gradient
accumulation adds no negatives: each micro-batch is scored on its own.
"""

from __future__ import annotations

from ...config.catalog.losses import default_loss, entry
from .batch_facts import batch_size_of, negatives_per_anchor


def global_batch_row(plan, args) -> tuple[str, str] | None:
    """("global batch", what each contrastive objective's anchors are ranked against); None in one process."""
    world = max(1, args.world_size)
    contrastive = [o for o in plan.objectives if o.spec.type == "contrastive"]
    if world == 1 or not contrastive:
        return None
    parts = [_describe(o, batch_size_of(o, args), world) for o in contrastive]
    if max(1, args.gradient_accumulation_steps) > 1:
        parts.append("gradient accumulation adds no negatives (each micro-batch is scored alone)")
    return "global batch", "; ".join(parts)


def _describe(obj, batch: int, world: int) -> str:
    rows = len(obj.train.dataset)
    per_device = min(batch, -(-rows // world))  # the sampler splits the rows over the processes
    negatives = negatives_per_anchor(obj, batch, world, rows)
    if obj.spec.gather_across_devices:
        return (
            f"{obj.name}: {world} processes x {per_device} rows = {world * per_device} anchors, each ranked "
            f"against the candidates of all of them: {negatives}"
        )
    own = entry(getattr(obj.spec, "loss", None) or default_loss(obj.spec.type))
    hint = f"; gather_across_devices: true would use all {world * per_device}" if own and own.gather else ""
    return f"{obj.name}: each process ranks its own {per_device} rows: {negatives}{hint}"
