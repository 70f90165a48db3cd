"""The labeled shape: rows of `text`, `label` and an optional group column (e.g. CLINC150's `domain`).

Texts of one label are paraphrases; other labels of the same group are hard negatives; other groups are plain
negatives (without a group column every label is its own group). Three views:
- ranking rows (anchor, positive, negative_1..k): hard negatives first, plain ones when the group runs short;
- similarity rows (anchor, candidate, label): a bounded sample per anchor of same label (1), same group (0) and
  other group (-1) texts;
- retrieval data for the evaluator (queries, corpus, relevant = the other texts of the query's label).

All distinct texts are laid out sorted by (group, label, first row), so "the group minus my label" and "every
text outside my group" are two contiguous ranges around a hole: sampling from them needs no per-anchor lists.
A text listed under several labels is never used (it would be a same-label negative); repeats are used once.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from pydantic import Field, field_validator

from ...config.schema import Strict
from ..args import DataArgs, MinedRows
from ..rows import Drop
from .base import Recipe
from .common import IRData, random_picks, row_keys, with_markers
from .labeled_index import AMBIGUOUS, DEFAULT_GROUP, OK, REPEAT, SINGLE, Index, LazyIndex, check_columns  # noqa: F401


def ranking_batch(batch, indices, *, index: LazyIndex, k: int, seed: int, positives: int, where: str):
    """Batched map: per anchor text, `positives` rows (anchor, positive, negative_1..k); markers for the rest."""
    import pyarrow as pa

    ix, rows = index.get(), np.asarray(indices, dtype=np.int64)
    status = ix.status[rows]
    good = rows[status == OK]
    keys = row_keys(seed, good)
    pos = ix.same_label(good, random_picks(keys, np.zeros(len(good)), ix.label_size[good] - 1, positives))
    out_row, draw = np.nonzero(pos >= 0)  # one output row per valid positive pick
    r, rk = good[out_row], keys[out_row]
    hard_size = ix.group_size[r] - ix.label_size[r]
    n_hard = np.minimum(k, hard_size)  # hard negatives first; plain ones complete the k
    short = (k - n_hard) > (ix.total - ix.group_size[r])
    hard = ix.same_group(r, random_picks(rk, 2 + 2 * draw, hard_size, k))
    plain = ix.other_group(r, random_picks(rk, 3 + 2 * draw, ix.total - ix.group_size[r], k))
    column = np.arange(k)[None, :]
    from_plain = np.take_along_axis(plain, np.clip(column - n_hard[:, None], 0, max(k - 1, 0)), axis=1)
    negatives = np.maximum(np.where(column < n_hard[:, None], hard, from_plain), 0)  # short rows are dropped
    out = {
        "anchor": ix.take(ix.slot[r]),
        "positive": ix.take(pos[out_row, draw]),
        **{f"negative_{j + 1}": ix.take(negatives[:, j]) for j in range(k)},
        "_drop": pa.array(np.where(short, Drop.TOO_FEW_NEGATIVES, Drop.KEPT).astype(np.int8)),
        "_group": pa.array(ix.label_start[r]),  # the label (its block in the index)
    }
    return with_markers(pa.table(out), status[status != OK])


def similarity_batch(
    batch, indices, *, index: LazyIndex, seed: int, samples: dict[str, int], labels: dict[str, float], where: str
):
    """Batched map: per anchor text, up to `samples` candidates of each kind, labelled by `labels`."""
    import pyarrow as pa

    ix, rows = index.get(), np.asarray(indices, dtype=np.int64)
    status = ix.status[rows]
    usable = (status == OK) | (status == SINGLE)  # a lone text still has other-label candidates
    good = rows[usable]
    keys = row_keys(seed, good)
    sizes = {
        "same_label": ix.label_size[good] - 1,
        "same_group": ix.group_size[good] - ix.label_size[good],
        "other_group": ix.total - ix.group_size[good],
    }
    which, texts, values = [], [], []
    for draw, (kind, mapper) in enumerate(
        (("same_label", ix.same_label), ("same_group", ix.same_group), ("other_group", ix.other_group))
    ):
        picked = mapper(good, random_picks(keys, np.full(len(good), draw), sizes[kind], samples.get(kind, 0)))
        which.append(np.nonzero(picked >= 0)[0])
        texts.append(picked[picked >= 0])
        values.append(np.full(len(which[-1]), labels[kind]))
    order = np.argsort(np.concatenate(which), kind="stable")  # per anchor: same label, same group, other group
    out = pa.table(
        {
            "anchor": ix.take(ix.slot[good][np.concatenate(which)[order]]),
            "candidate": ix.take(np.concatenate(texts)[order]),
            "label": pa.array(np.concatenate(values)[order], pa.float64()),
            "_drop": pa.array(np.zeros(len(order), np.int8)),
            "_group": pa.array(ix.label_start[good][np.concatenate(which)[order]]),  # the anchor's label
        }
    )
    return with_markers(out, status[~usable])


def retrieval(dataset, args: LabeledRetrievalArgs, *, seed: int, where: str) -> IRData:
    """IR data with the evaluate command's labeled protocol, on at most `max_texts_per_label` texts per label.

    The bound keeps the corpus (and evaluation time) proportional to the number of labels; which texts stay is a
    seeded draw per text, so it does not depend on row order.
    """
    from .labeled_ir import labeled_retrieval

    check_columns(dataset, where, None)
    cap = args.max_texts_per_label
    dropped = 0
    if cap and cap > 0:
        ix = Index(dataset, None, where)
        frame = ix.frame.assign(key=row_keys(seed, np.arange(len(ix.frame))), status=ix.status)
        frame = frame[frame.status != REPEAT].sort_values(["label", "key"], kind="stable")
        keep = np.sort(frame[frame.groupby("label").cumcount().to_numpy() < cap].index.to_numpy())
        dropped = len(frame) - len(keep)
        dataset = dataset.select(keep) if dropped else dataset
    ir = labeled_retrieval(dataset, queries_per_label=args.queries_per_label, seed=seed, where=where)
    if dropped:
        ir.stats["texts_beyond_max_texts_per_label"] = dropped
    return ir


GROUP_COLUMN = Field(
    "auto",
    description="Column grouping labels (hard negatives come from the same group); `auto` = `domain` when "
    "the data has it, null = no groups.",
)


class SamplesPerAnchor(Strict):
    same_label: int = Field(1, ge=0, description="Pairs per anchor with a text of its label (label same_label).")
    same_group: int = Field(1, ge=0, description="Pairs with a text of another label of its group.")
    other_group: int = Field(1, ge=0, description="Pairs with a text of another group.")


class PairLabels(Strict):
    same_label: float = Field(1.0, description="Label of same-label pairs.")
    same_group: float = Field(0.0, description="Label of same-group pairs.")
    other_group: float = Field(-1.0, description="Label of other-group pairs.")


class LabeledRankingArgs(MinedRows):
    group_column: str | None = GROUP_COLUMN
    positives_per_anchor: int = Field(1, ge=1, description="Same-label paraphrases paired with each text.")
    negative_samples: int = Field(
        0, ge=0, description="Negatives per row: other labels of the same group first, then other groups."
    )


class LabeledSimilarityArgs(DataArgs):
    group_column: str | None = GROUP_COLUMN
    samples_per_anchor: SamplesPerAnchor = Field(default_factory=SamplesPerAnchor, description="Pairs per text.")
    name_to_label: PairLabels = Field(default_factory=PairLabels, description="Label of each kind of pair.")


class LabeledRetrievalArgs(DataArgs):
    queries_per_label: int | None = Field(
        None, ge=1, description="Queries per label (the rest is its corpus); default: 20 % of its texts, at least 1."
    )
    max_texts_per_label: int | None = Field(
        100, description="Seeded cap on texts per label (bounds evaluation time); -1 or null = no cap."
    )

    @field_validator("max_texts_per_label")
    @classmethod
    def check_cap(cls, value: int | None) -> int | None:
        if value is not None and value != -1 and value < 1:
            raise ValueError(f"expected an integer >= 1 (-1 or null = no cap), got {value}")
        return value


class Labeled:
    name = "labeled"
    columns = ("text", "label")
    args = {"contrastive": LabeledRankingArgs, "similarity": LabeledSimilarityArgs, "retrieval": LabeledRetrievalArgs}
    cannot = ""

    def check_columns(self, raw, where: str) -> None:
        check_columns(raw, where, None)

    def rows(self, raw, use: str, args, *, seed: int, where: str) -> Recipe:
        index = LazyIndex(raw, args.group_column, where)
        if use == "contrastive":
            batch = partial(
                ranking_batch,
                index=index,
                k=args.negative_samples,
                seed=seed,
                where=where,
                positives=args.positives_per_anchor,
            )
            return Recipe(batch, related=lambda: index.get().label_sets())
        samples, labels = args.samples_per_anchor.model_dump(), args.name_to_label.model_dump()
        return Recipe(partial(similarity_batch, index=index, seed=seed, where=where, samples=samples, labels=labels))

    def retrieval(self, raw, args, *, seed: int, where: str) -> IRData:
        return retrieval(raw, args, seed=seed, where=where)
