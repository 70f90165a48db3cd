"""Helpers for the data tests: file-backed datasets (the only ones `datasets` caches) and exact comparisons."""

from __future__ import annotations

import itertools

import datasets
import pytest

_count = itertools.count()


@pytest.fixture
def file_backed(tmp_path):
    """rows -> a Dataset read from an Arrow file in tmp_path, so map results are cached next to it."""

    def make(rows):
        folder = tmp_path / f"raw{next(_count)}"
        datasets.Dataset.from_list(rows).save_to_disk(str(folder))
        return datasets.load_from_disk(str(folder))

    return make


def arrow_table(ds):
    """The materialised rows as one Arrow table (equal tables = byte-identical rows)."""
    return ds.with_format("arrow")[:]


def rows_of(ds) -> list[dict]:
    return [dict(r) for r in ds]
