"""Packed attention in a few padded buckets: a handful of attention calls per layer instead of one per text length.

Packed execution (`packed.py`) lays a step's distinct texts end to end, sorted by length. Attention must stay
within each text, and the unpadded way is one `scaled_dot_product_attention` call per run of equal-length texts:
a shuffled aia-bde step of 32 triplets holds ~90 distinct texts in ~41 runs, so ~250 attention calls per step
forward, each a dozen small operators (SDPA's math path in training: scale, matmul, mask, softmax, dropout,
matmul) and twice that backward: 44,000 aten operator calls per step, most on tensors of a few kB. Each
operator with work to split is an OpenMP parallel region whose threads must all be running to finish it; when
another process holds a core, every region waits for a time slice: thousands of them per step are the likely
cause of the contention collapse of issue 33.

Here consecutive runs are grouped into buckets (`plan`): each text of a bucket is padded to the bucket's widest
text and the bucket is ONE attention call with a key-padding mask. Padding costs attention work (score elements
grow with width²), so the grouping is the one with the fewest buckets whose score elements exceed the unpadded
ones by at most `PADDING_BUDGET` (an exact dynamic programme over the runs, ~2 ms per step); a bucket of one run
has no padding and needs no copy or mask. Only attention is padded: every linear layer still runs on the real
tokens alone, and attention is ~2 % of a MiniLM step's FLOPs on such texts (`benchmarks/roofline.py`).
At the default budget the step above makes 36 attention calls and 9,800 operator calls instead of 240 and
44,000 (`benchmarks/attention_buckets.py`).

Exactness: padded keys are masked (softmax weight exactly 0, so no gradient reaches them either), padded query
rows are computed and dropped; embeddings and gradients equal the per-run attention to float rounding
(tests/perf/test_packed_attention.py, fp32 1e-5).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

# Attention score elements that padding may add, as a share of the unpadded ones (measured on 24 shuffled aia-bde
# steps of 32 triplets: 41 runs -> 5.9 buckets on average at 0.25, 4.5 at 0.5, 9.6 at 0.1; benchmarks/README.md).
PADDING_BUDGET = 0.25
MAX_BUCKETS = 16  # the planner's search depth; with the budget it is reached only by very spread lengths


class Bucket(NamedTuple):
    """Consecutive texts of the packed sequence that run as one attention call, padded to `width`."""

    tokens: int  # real tokens of its texts: its slice of the packed sequence
    texts: int
    width: int  # each text padded to this many tokens
    gather: Tensor | None  # [texts * width] bucket-local token of each padded slot (None: no padding, a view)
    keep: Tensor | None  # [tokens] padded slot of each real token
    mask: Tensor | None  # [texts, 1, 1, width] True where the key is a real token


def _group_costs(runs: list[tuple[int, int, int]]) -> list[list[int]]:
    """costs[i][j]: score elements per head of runs[i:j] as one bucket (texts x width², width = their widest)."""
    costs = [[0] * (len(runs) + 1) for _ in runs]
    for i in range(len(runs)):
        texts = width = 0
        for j in range(i, len(runs)):
            texts += runs[j][1]
            width = max(width, runs[j][2])
            costs[i][j + 1] = texts * width * width
    return costs


def plan(
    runs: list[tuple[int, int, int]], budget: float = PADDING_BUDGET, max_buckets: int = MAX_BUCKETS
) -> list[tuple[int, int]]:
    """The buckets as [begin, end) ranges of `runs` ((first token, texts, length) in packed order): the fewest whose
    padded score elements stay within (1 + budget) x the unpadded ones; with none such among `max_buckets`, the
    `max_buckets` grouping with the least padding. budget 0: one bucket per run (no padding at all)."""
    count = len(runs)
    if budget <= 0 or count <= 1:
        return [(i, i + 1) for i in range(count)]
    costs = _group_costs(runs)
    limit = (1 + budget) * sum(texts * length * length for _, texts, length in runs)
    best = [0.0] + [float("inf")] * count  # least padded elements covering runs[:j] with k buckets
    cuts: list[list[int]] = []  # per k: the chosen start of the last bucket ending at j
    for k in range(1, min(max_buckets, count) + 1):
        row, starts = [float("inf")] * (count + 1), [0] * (count + 1)
        for j in range(k, count + 1):
            row[j], starts[j] = min((best[i] + costs[i][j], i) for i in range(k - 1, j))
        best = row
        cuts.append(starts)
        if best[count] <= limit:
            break
    ranges, end = [], count
    for starts in reversed(cuts):
        ranges.append((starts[end], end))
        end = starts[end]
    return ranges[::-1]


def _bucket(lengths: list[int], device: torch.device) -> Bucket:
    texts, width = len(lengths), max(lengths)
    if min(lengths) == width:
        return Bucket(texts * width, texts, width, None, None, None)
    length = torch.tensor(lengths)
    starts = torch.cumsum(length, 0) - length
    slots = torch.arange(width)
    real = slots[None, :] < length[:, None]
    # a padded slot reads its own text's last token (any real token would do: it is masked as a key, dropped as a
    # query), so the gather never leaves the bucket
    gather = (starts[:, None] + torch.minimum(slots[None, :], length[:, None] - 1)).flatten()
    keep = real.flatten().nonzero().squeeze(1)
    return Bucket(sum(lengths), texts, width, gather.to(device), keep.to(device), real[:, None, None, :].to(device))


def buckets(
    runs: list[tuple[int, int, int]],
    device: torch.device | str = "cpu",
    budget: float | None = None,
    max_buckets: int | None = None,
) -> list[Bucket]:
    """The attention buckets of a packed step: `plan` of its runs (budget / depth: PADDING_BUDGET / MAX_BUCKETS, read
    at call time so a benchmark can sweep them), with the index tensors each bucket needs."""
    budget = PADDING_BUDGET if budget is None else budget
    out = []
    for begin, end in plan(runs, budget, max_buckets or MAX_BUCKETS):
        lengths = [length for _, texts, length in runs[begin:end] for _ in range(texts)]
        out.append(_bucket(lengths, torch.device(device)))
    return out


def attend(query: Tensor, key: Tensor, value: Tensor, buckets: list[Bucket], heads: int, size: int, **sdpa) -> Tensor:
    """Attention of each text with itself over packed [T, heads * size] projections: one SDPA call per bucket."""
    # One stacked tensor and `split`, not a slice per bucket: a slice's backward fills a zero tensor of all T tokens
    # per bucket, split's backward is one concatenation; q / k / v travel together, one gather per bucket.
    stacked = torch.stack((query, key, value))
    outputs = []
    for part, bucket in zip(stacked.split([b.tokens for b in buckets], dim=1), buckets, strict=True):
        if bucket.gather is not None:
            part = part.index_select(1, bucket.gather)
        q, k, v = part.view(3, bucket.texts, bucket.width, heads, size).transpose(2, 3).unbind(0)
        out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bucket.mask, **sdpa)
        out = out.transpose(1, 2).reshape(bucket.texts * bucket.width, heads * size)
        outputs.append(out if bucket.keep is None else out.index_select(0, bucket.keep))
    return torch.cat(outputs) if len(outputs) > 1 else outputs[0]
