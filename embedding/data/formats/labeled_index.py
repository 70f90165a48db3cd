"""The labeled shape's index: every distinct text laid out by (group, label, first row), for range sampling."""

from __future__ import annotations

import math

import numpy as np

from ...errors import DataError
from ..rows import Drop
from .common import python_cells, text_column

DEFAULT_GROUP = "domain"  # used when present and preprocess_args.group_column is `auto`
OK, SINGLE, REPEAT, AMBIGUOUS = Drop.KEPT, Drop.LABEL_ALONE, Drop.REPEATED_TEXT, Drop.TEXT_UNDER_SEVERAL_LABELS


def _names(table, column: str, where: str) -> np.ndarray:
    """A label/group column as strings; a missing or non-scalar cell names its row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = table.column(column).combine_chunks()
    if pa.types.is_string(col.type) or pa.types.is_integer(col.type):
        missing = np.flatnonzero(np.asarray(pc.is_null(col).to_numpy(zero_copy_only=False)))
        if not len(missing):
            return np.asarray(col.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
    cells = python_cells(col)
    row = next((i for i, value in enumerate(cells) if label_problem(value)), None)
    if row is None:  # only whole-number floats (1.0): the column is numeric; name its first cell
        row = next((i for i, value in enumerate(cells) if isinstance(value, float)), None)
    if row is not None:
        raise DataError(
            f"{where}: row {row}, column `{column}`: expected a {column} (a string or an integer), "
            f"got {label_problem(cells[row]) or _got(cells[row])}; give every text one"
        )
    return np.asarray([str(v) for v in cells], dtype=object)


def label_problem(value) -> str | None:
    """What is wrong with a label cell ('None', 'NaN (an empty cell)', ...), or None when it is usable.

    Checked before whole-number floats: one empty CSV cell (or a JSON NaN) turns a column of integer labels into
    floats, and the cell to blame is the empty one, not the first row.
    """
    if value is None:
        return "None (an empty cell or null)"
    if isinstance(value, float) and math.isnan(value):
        return "NaN (an empty cell?)"
    if isinstance(value, (list, dict, bool)) or (isinstance(value, float) and not value.is_integer()):
        return _got(value)
    return None


def _got(value) -> str:
    return f"a {type(value).__name__} ({str(value)[:40]!r})"


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

    def __init__(self, dataset, group_column: str | None, where: str):
        if group_column == "auto":
            group_column = DEFAULT_GROUP if DEFAULT_GROUP in dataset.column_names else None
        self.args, self._index = (dataset, group_column, where), None

    def get(self) -> Index:
        if self._index is None:
            self._index = Index(*self.args)
        return self._index


def check_columns(dataset, where: str, group_column: str | None) -> None:
    required = ["text", "label"] + ([group_column] if group_column else [])
    missing = [c for c in required if c not in dataset.column_names]
    if missing:
        raise DataError(
            f"{where}: column(s) {', '.join(missing)} missing for the labeled format; the dataset has "
            f"{', '.join(dataset.column_names)}. Map yours with preprocess_args.columns "
            "(e.g. columns: {text: utterance, label: intent}) or set preprocess_args.group_column"
        )
