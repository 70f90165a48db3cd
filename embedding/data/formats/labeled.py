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

from typing import Any

import numpy as np

from ...errors import DataError
from .common import IRData, python_cells, random_picks, row_keys, text_column

DEFAULT_GROUP = "domain"  # used when present and preprocess_args.group_column is not set
AUTO_GROUP = object()
DEFAULT_SAMPLES = {"same_label": 1, "same_group": 1, "other_group": 1}
DEFAULT_LABELS = {"same_label": 1.0, "same_group": 0.0, "other_group": -1.0}
OK, SINGLE, REPEAT, AMBIGUOUS = 0, 3, 4, 6


def _names(table, column: str, where: str) -> np.ndarray:
    """A label/group column as strings; a missing or non-scalar cell names its row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = table.column(column).combine_chunks()
    if pa.types.is_string(col.type) or pa.types.is_integer(col.type):
        missing = np.flatnonzero(np.asarray(pc.is_null(col).to_numpy(zero_copy_only=False)))
        if not len(missing):
            return np.asarray(col.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
    for row, value in enumerate(python_cells(col)):  # name the first bad cell
        if value is None or isinstance(value, (list, dict, float, bool)):
            got = "None" if value is None else f"a {type(value).__name__} ({str(value)[:40]!r})"
            raise DataError(
                f"{where}: row {row}, column `{column}`: expected a {column} (a string or an integer), "
                f"got {got}; give every text one"
            )
    return np.asarray([str(v) for v in python_cells(col)], dtype=object)


class Index:
    """Every distinct text laid out by (group, label); per raw row: its slot, label block and group block."""

    def __init__(self, dataset, group_column: str | None, where: str):
        import pandas as pd

        check_columns(dataset, where, group_column)
        columns = ["text", "label"] + ([group_column] if group_column else [])
        table = dataset.with_format("arrow", columns=columns)[:]
        n = len(table)
        texts = text_column(table, "text", np.arange(n), where)
        frame = pd.DataFrame({"text": texts.to_numpy(zero_copy_only=False), "label": _names(table, "label", where)})
        frame["group"] = _names(table, group_column, where) if group_column else frame["label"]
        frame["group"] = frame.groupby("label", sort=False)["group"].transform("first")  # one group per label
        ambiguous = frame.groupby("text", sort=False)["label"].transform("nunique").to_numpy() > 1
        repeat = frame.duplicated("text").to_numpy() & ~ambiguous
        self.status = np.where(ambiguous, AMBIGUOUS, np.where(repeat, REPEAT, OK)).astype(np.int8)
        used = frame[self.status == OK].sort_values(["group", "label"], kind="stable")
        self.texts = used["text"].tolist()
        self.total, self._array = len(self.texts), None
        label_size = used.groupby("label", sort=False)["text"].transform("size").to_numpy()
        group_size = used.groupby("group", sort=False)["text"].transform("size").to_numpy()
        slot = np.arange(self.total)
        label_start = slot - used.groupby("label", sort=False).cumcount().to_numpy()
        group_start = slot - used.groupby("group", sort=False).cumcount().to_numpy()
        self.slot, self.label_start, self.label_size, self.group_start, self.group_size = (
            np.full(n, -1),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
        )
        rows = used.index.to_numpy()
        self.slot[rows], self.label_start[rows], self.label_size[rows] = slot, label_start, label_size
        self.group_start[rows], self.group_size[rows] = group_start, group_size
        self.status[(self.status == OK) & (self.label_size == 1)] = SINGLE
        self.frame = frame

    def same_label(self, rows, picks):
        """Positions in the row's label block other than its own slot (picks in [0, label_size - 1))."""
        own = (self.slot[rows] - self.label_start[rows])[:, None]
        return np.where(picks < 0, -1, self.label_start[rows][:, None] + picks + (picks >= own))

    def same_group(self, rows, picks):
        """Positions in the row's group block outside its label block (picks in [0, group - label))."""
        before = (self.label_start[rows] - self.group_start[rows])[:, None]
        mapped = self.group_start[rows][:, None] + picks + np.where(picks >= before, self.label_size[rows][:, None], 0)
        return np.where(picks < 0, -1, mapped)

    def other_group(self, rows, picks):
        """Positions outside the row's group block (picks in [0, total - group))."""
        mapped = picks + np.where(picks >= self.group_start[rows][:, None], self.group_size[rows][:, None], 0)
        return np.where(picks < 0, -1, mapped)

    def label_sets(self) -> dict[str, set[str]]:
        """text -> every text of its label (one shared set per label): the false negatives of mining."""
        out: dict[str, set[str]] = {}
        starts, sizes = self.label_start[self.slot >= 0], self.label_size[self.slot >= 0]
        for start, size in sorted(set(zip(starts.tolist(), sizes.tolist(), strict=True))):
            block = set(self.texts[start : start + size])
            out.update(dict.fromkeys(self.texts[start : start + size], block))
        return out

    def take(self, positions):
        """Texts at the given slots, as an Arrow string array."""
        import pyarrow as pa

        if self._array is None:
            self._array = pa.array(self.texts, pa.string())
        return self._array.take(np.asarray(positions, dtype=np.int64))


class LazyIndex:
    """Builds the Index on first use only, so a cache hit never pays for it."""

    def __init__(self, dataset, group_column: Any, where: str):
        if group_column is AUTO_GROUP:  # resolved here: the sentinel would not survive pickling (num_proc)
            group_column = DEFAULT_GROUP if DEFAULT_GROUP in dataset.column_names else None
        self.args, self._index = (dataset, group_column, where), None

    def get(self) -> Index:
        if self._index is None:
            self._index = Index(*self.args)
        return self._index


def _with_markers(out, codes):
    """Append one marker row (`_drop` = its status) per raw row that yields nothing, in `out`'s schema."""
    import pyarrow as pa

    n = len(codes)
    blank = {
        f.name: pa.array([""] * n, f.type) if pa.types.is_string(f.type) else pa.array(np.zeros(n), f.type)
        for f in out.schema
    }
    blank["_drop"] = pa.array(np.asarray(codes, dtype=np.int8))
    return pa.concat_tables([out, pa.table(blank, schema=out.schema)])


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
        "_drop": pa.array(short.astype(np.int8)),
    }
    return _with_markers(pa.table(out), status[status != OK])


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
        }
    )
    return _with_markers(out, status[~usable])


def samples_per_anchor(args: dict[str, Any]) -> dict[str, int]:
    return {**DEFAULT_SAMPLES, **(args.get("samples_per_anchor") or {})}


def labels(args: dict[str, Any]) -> dict[str, float]:
    return {kind: float(v) for kind, v in {**DEFAULT_LABELS, **(args.get("name_to_label") or {})}.items()}


def retrieval(dataset, args: dict[str, Any], *, seed: int, where: str) -> IRData:
    """IR data with the evaluate command's labeled protocol, on at most `max_texts_per_label` texts per label.

    The bound keeps the corpus (and evaluation time) proportional to the number of labels; which texts stay is a
    seeded draw per text, so it does not depend on row order.
    """
    from ...evaluation.labeled_ir import labeled_retrieval

    check_columns(dataset, where, None)
    cap = args.get("max_texts_per_label", 100)
    dropped = 0
    if cap and cap > 0:
        ix = Index(dataset, None, where)
        frame = ix.frame.assign(key=row_keys(seed, np.arange(len(ix.frame))), status=ix.status)
        frame = frame[frame.status != REPEAT].sort_values(["label", "key"], kind="stable")
        keep = np.sort(frame[frame.groupby("label").cumcount().to_numpy() < cap].index.to_numpy())
        dropped = len(frame) - len(keep)
        dataset = dataset.select(keep) if dropped else dataset
    ir = labeled_retrieval(dataset, queries_per_label=args.get("queries_per_label"), seed=seed, where=where)
    if dropped:
        ir.stats["texts_beyond_max_texts_per_label"] = dropped
    return ir


def check_columns(dataset, where: str, group_column: str | None) -> None:
    required = ["text", "label"] + ([group_column] if group_column else [])
    missing = [c for c in required if c not in dataset.column_names]
    if missing:
        raise DataError(
            f"{where}: column(s) {', '.join(missing)} missing for the labeled format; the dataset has "
            f"{', '.join(dataset.column_names)}. Map yours with preprocess_args.columns "
            "(e.g. columns: {text: utterance, label: intent}) or set preprocess_args.group_column"
        )
