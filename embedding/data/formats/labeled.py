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

DEFAULT_GROUP = "domain"
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
            raise DataError(f"{where}: row {row}, column `{column}`: expected a {column} (a string or an integer), "
                            f"got {got}; give every text one")
    return np.asarray([str(v) for v in python_cells(col)], dtype=object)


class Index:
    """Every distinct text laid out by (group, label); per raw row: its slot, label block and group block."""

    def __init__(self, dataset, group_column: str | None, where: str):
        import pandas as pd

        if group_column == DEFAULT_GROUP and DEFAULT_GROUP not in dataset.column_names:
            group_column = None  # the default group column is optional
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
        self.total = len(self.texts)
        label_size = used.groupby("label", sort=False)["text"].transform("size").to_numpy()
        group_size = used.groupby("group", sort=False)["text"].transform("size").to_numpy()
        slot = np.arange(self.total)
        label_start = slot - used.groupby("label", sort=False).cumcount().to_numpy()
        group_start = slot - used.groupby("group", sort=False).cumcount().to_numpy()
        self.slot, self.label_start, self.label_size, self.group_start, self.group_size = (
            np.full(n, -1), np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64))
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
        for start, size in sorted(set(zip(starts.tolist(), sizes.tolist()))):
            block = set(self.texts[start:start + size])
            out.update(dict.fromkeys(self.texts[start:start + size], block))
        return out

    def take(self, positions) -> list[str]:
        return [self.texts[p] for p in positions]


class LazyIndex:
    """Builds the Index on first use only, so a cache hit never pays for it."""

    def __init__(self, dataset, group_column: str | None, where: str):
        self.args, self._index = (dataset, group_column, where), None

    def get(self) -> Index:
        if self._index is None:
            self._index = Index(*self.args)
        return self._index


def _markers(pa, columns: list[str], codes) -> Any:
    return pa.table({**{c: pa.array([""] * len(codes), pa.string()) for c in columns},
                     "_drop": pa.array(np.asarray(codes, dtype=np.int8))})


def ranking_batch(batch, indices, *, index: LazyIndex, k: int, seed: int, positives: int, where: str):
    """Batched map: per anchor text, `positives` rows (anchor, positive, negative_1..k); markers for the rest."""
    import pyarrow as pa

    ix, rows = index.get(), np.asarray(indices, dtype=np.int64)
    names = ["anchor", "positive", *(f"negative_{j + 1}" for j in range(k))]
    status = ix.status[rows]
    good = rows[status == OK]
    keys = row_keys(seed, good)
    pos = ix.same_label(good, random_picks(keys, np.zeros(len(good)), ix.label_size[good] - 1, positives))
    out_row, draw = np.nonzero(pos >= 0)  # one output row per valid positive pick
    r, rk = good[out_row], keys[out_row]
    hard_size = ix.group_size[r] - ix.label_size[r]
    n_hard = np.minimum(k, hard_size)
    short = (k - n_hard) > (ix.total - ix.group_size[r])
    hard = ix.same_group(r, random_picks(rk, 2 + 2 * draw, hard_size, k))
    plain = ix.other_group(r, random_picks(rk, 3 + 2 * draw, ix.total - ix.group_size[r], k))
    column = np.arange(k)[None, :]
    from_plain = np.take_along_axis(plain, np.clip(column - n_hard[:, None], 0, max(k - 1, 0)), axis=1)
    negatives = np.where(column < n_hard[:, None], hard, from_plain)
    table = {"anchor": ix.take(ix.slot[r]), "positive": ix.take(pos[out_row, draw])}
    for j in range(k):
        table[f"negative_{j + 1}"] = ["" if s else t for s, t in zip(short, ix.take(np.maximum(negatives[:, j], 0)))]
    out = pa.table({**{n: pa.array(v, pa.string()) for n, v in table.items()},
                    "_drop": pa.array(short.astype(np.int8))})
    return pa.concat_tables([out, _markers(pa, names, status[status != OK])])


def similarity_batch(batch, indices, *, index: LazyIndex, seed: int, samples: dict[str, int],
                     labels: dict[str, float], where: str):
    """Batched map: per anchor text, up to `samples` candidates of each kind, labelled by `labels`."""
    import pyarrow as pa

    ix, rows = index.get(), np.asarray(indices, dtype=np.int64)
    status = ix.status[rows]
    good = rows[(status == OK) | (status == SINGLE)]
    keys = row_keys(seed, good)
    sizes = {"same_label": ix.label_size[good] - 1, "same_group": ix.group_size[good] - ix.label_size[good],
             "other_group": ix.total - ix.group_size[good]}
    parts = []
    for draw, (kind, mapper) in enumerate((("same_label", ix.same_label), ("same_group", ix.same_group),
                                           ("other_group", ix.other_group))):
        picked = mapper(good, random_picks(keys, np.full(len(good), draw), sizes[kind], samples.get(kind, 0)))
        which, _ = np.nonzero(picked >= 0)
        parts.append((which, picked[picked >= 0], np.full(len(which), labels[kind])))
    which = np.concatenate([p[0] for p in parts])
    order = np.argsort(which, kind="stable")  # per anchor: same label, same group, other group
    out = pa.table({"anchor": pa.array(ix.take(ix.slot[good][which[order]]), pa.string()),
                    "candidate": pa.array(ix.take(np.concatenate([p[1] for p in parts])[order]), pa.string()),
                    "label": pa.array(np.concatenate([p[2] for p in parts])[order], pa.float64()),
                    "_drop": pa.array(np.zeros(len(which), np.int8))})
    dropped = status[(status != OK) & (status != SINGLE)]
    return pa.concat_tables([out, _markers(pa, ["anchor", "candidate"], dropped).append_column(
        "label", pa.array(np.zeros(len(dropped)), pa.float64())).select(["anchor", "candidate", "label", "_drop"])])


def samples_per_anchor(args: dict[str, Any], where: str) -> dict[str, int]:
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
        raise DataError(f"{where}: column(s) {', '.join(missing)} missing for the labeled format; the dataset has "
                        f"{', '.join(dataset.column_names)}. Map yours with preprocess_args.columns "
                        "(e.g. columns: {text: utterance, label: intent}) or set preprocess_args.group_column")
