"""How a batch's text columns go through the encoder: one merged forward, one per column, or groups in between.

Merging the columns (anchor, positive, negatives...) into one model call pays on a GPU, where a small encoder such
as MiniLM is bound by kernel launches rather than arithmetic: one forward for all columns took half the time of one
per column. But a merged batch pads every row to the widest column, and on a CPU every padded token is paid for in
arithmetic: there the merge made training slower than plain sentence-transformers (figures: benchmarks/README.md).
So `auto` merges columns only while the padding it adds stays within a device-dependent slack:

    merge a group G of columns  iff  |G| · max_{c∈G} w_c  ≤  (1 + slack) · Σ_{c∈G} w_c

with w_c the padded token width of column c. Columns are taken narrowest first, so like-width columns end up
together. The loss and gradients are the same for every grouping (padding is masked out), up to float rounding.

Whatever the grouping, the calls run in the dataset's column order (a group at its first column, its columns in
column order), so with `never` the anchor goes through the encoder first, as in sentence-transformers: dropout
masks are drawn in the same order. `stock` is exactly what a stock sentence-transformers loss does
(`embed_columns(model, features)`: the anchor alone, then the other columns in one call when they preprocess
alike); with it, training gives bit-identical weights to a stock `SentenceTransformerTrainer` script.

`sorted` (`sorted_step.py`) goes further than grouping columns: every distinct text of the step once, in
length-sorted chunks, whatever its column. `auto` uses it on CPU, where it measured faster than per-column calls
(benchmarks/sorted_step.py); on accelerators `auto` keeps the width grouping above until `sorted` is measured
there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Literal

from torch import Tensor, nn

from .packed import packed_for
from .sorted_step import SortedStep, buckets_for, chunk_rows_for, embed_sorted, plan_sorted

MergeColumns = Literal["auto", "always", "never", "stock", "sorted"]

# Extra padded tokens a merge may add, as a fraction of the per-column tokens. GPU: one call instead of k is worth
# some padding (the speed-up above was measured with about a third of the tokens padded). CPU (features `sorted`
# cannot take): arithmetic-bound, so merge only columns of equal width.
AUTO_SLACK = {"cpu": 0.0}
AUTO_SLACK_ACCELERATOR = 0.5
# Device types where `auto` means `sorted`: where benchmarks/sorted_step.py measured it faster (CPU).
SORTED_ON = {"cpu"}


def resolved(policy: MergeColumns, device_type: str) -> MergeColumns:
    """The policy that runs: `auto` is `sorted` where that measured faster."""
    return "sorted" if policy == "auto" and device_type in SORTED_ON else policy


def slack_for(policy: MergeColumns, device_type: str) -> float:
    """The padding slack a policy allows on a device type (`cpu`, `cuda`, `mps`, ...)."""
    if policy == "always":
        return math.inf
    if policy in ("never", "stock", "sorted"):  # these do not group by width (see embed_grouped)
        return -1.0
    return AUTO_SLACK.get(device_type, AUTO_SLACK_ACCELERATOR)


def describe(policy: MergeColumns, device_type: str, packed: bool | str = "auto") -> str:
    """One line for the start banner: how this run's columns will go through the encoder."""
    if resolved(policy, device_type) == "sorted":
        rows = chunk_rows_for(device_type)
        if packed is True:  # known to pack: this run's model qualifies (the banner checks it)
            how = "packed without padding"
        elif packed == "auto" and packed_for(device_type, packed):
            how = f"packed without padding (BERT, RoBERTa, XLM-R; other models in length-sorted chunks of {rows})"
        else:
            how = f"length-sorted chunks of {rows}"
        return f"{policy} ({device_type}): each distinct text of a step once, {how} (the loss sees the same batch)"
    if policy == "always":
        return "always: one encoder call for all text columns"
    if policy == "never":
        return "never: one encoder call per text column, in column order"
    if policy == "stock":
        return "stock: as sentence-transformers' losses (anchor alone, then the other columns in one call)"
    slack = slack_for(policy, device_type)
    return f"auto ({device_type}): columns share encoder calls unless that adds over {slack:.0%} padded tokens"


def group_columns(widths: list[int], slack: float) -> list[list[int]]:
    """Indices of the columns to embed together, narrowest group first (see the module docstring for the rule)."""
    groups: list[list[int]] = []
    for index in sorted(range(len(widths)), key=lambda i: widths[i]):
        if groups:
            candidate = groups[-1] + [index]
            padded = len(candidate) * widths[index]  # sorted: this column is the widest of the candidate group
            if padded <= (1.0 + slack) * sum(widths[i] for i in candidate):
                groups[-1] = candidate
                continue
        groups.append([index])
    return groups


def in_column_order(groups: list[list[int]]) -> list[list[int]]:
    """The groups as they run: each in column order, the groups by their first column (the anchor's first)."""
    return sorted((sorted(group) for group in groups), key=lambda group: group[0])


def _width(features: dict[str, Any]) -> int | None:
    for key in ("input_ids", "attention_mask"):
        value = features.get(key)
        if isinstance(value, Tensor) and value.ndim >= 2:
            return int(value.shape[1])
    return None


def _device_type(features: dict[str, Any]) -> str:
    for value in features.values():
        if isinstance(value, Tensor):
            return value.device.type
    return "cpu"


def sorted_plan(features_list: list[dict[str, Any]], policy: MergeColumns) -> SortedStep | None:
    """The step's sorted plan when `policy` runs `sorted` on the features' device and they qualify, else None.

    GradCache (`cached-ranking`) takes its mini-batches from this plan: distinct texts in length order."""
    device = _device_type(features_list[0]) if features_list else "cpu"
    return plan_sorted(features_list) if resolved(policy, device) == "sorted" else None


def embed_grouped(
    model: nn.Module,
    features_list: list[dict[str, Any]],
    policy: MergeColumns = "auto",
    *,
    chunk_rows: int | None = None,
    bucket_widths: list[int] | str | None = "auto",
    packed: bool | str = "auto",
    autocast: Callable[[], AbstractContextManager] = nullcontext,
) -> list[Tensor]:
    """One `sentence_embedding` tensor per column, from as few model calls as the policy finds worth it.

    Columns that cannot be merged at all (different feature keys, no token tensors) fall back to one call each, as
    in sentence-transformers' `embed_columns`. Calls run in column order (`in_column_order`). `chunk_rows` and
    `bucket_widths` shape the `sorted` chunks (None / `auto`: the device's defaults, `sorted_step.py`), `packed`
    and `autocast` how they run (`Execution`); features `sorted` cannot take (prompts, router tasks, non-text) go
    through the width grouping of `auto`.
    """
    from sentence_transformers.base.losses.merged_forward import embed_columns

    if policy == "stock":
        return embed_columns(model, features_list)
    device = _device_type(features_list[0]) if features_list else "cpu"
    if resolved(policy, device) == "sorted":
        rows, buckets = chunk_rows_for(device, chunk_rows), buckets_for(device, bucket_widths)
        chunked = embed_sorted(model, features_list, rows, buckets, packed_for(device, packed), autocast)
        if chunked is not None:
            return chunked
        policy = "auto"
    if len(features_list) < 2:
        return [model(features)["sentence_embedding"] for features in features_list]
    widths = [_width(features) for features in features_list]
    if any(width is None for width in widths):
        return embed_columns(model, features_list, separate_first=False)
    groups = in_column_order(group_columns(widths, slack_for(policy, device)))
    embeddings: list[Tensor | None] = [None] * len(features_list)
    for group in groups:
        # embed_columns merges (pads to the group's widest column) or falls back per column when it cannot.
        for index, tensor in zip(
            group, embed_columns(model, [features_list[i] for i in group], separate_first=False), strict=True
        ):
            embeddings[index] = tensor
    return embeddings  # type: ignore[return-value]
