"""Rows whose anchor equals their positive: kept unless `drop_identical_pairs: true`, and every drop named truly."""

from __future__ import annotations

import datasets
import pytest

from embedding.data.preprocess import training_rows
from embedding.data.rows import DROP_REASONS
from embedding.validation import validate_mapping

WHERE = "objectives[0].datasets.train"
SELF_NEGATIVE = DROP_REASONS[7]
IDENTICAL = DROP_REASONS[9]
PAIRS = [
    {"anchor": "swiss tourist gang-raped in india", "positive": "swiss tourist gang-raped in india"},
    {"anchor": "a man plays guitar", "positive": "a man is playing a guitar"},
    {"anchor": "a dog runs", "positive": " a dog runs "},  # equal once stripped
]


def _rows(rows, **args):
    return training_rows(datasets.Dataset.from_list(rows), "contrastive", args, seed=0, where=WHERE)


def test_identical_pairs_are_kept_by_default_and_no_drop_is_reported():
    data = _rows(PAIRS)
    assert [r["anchor"] for r in data.dataset] == [r["anchor"] for r in PAIRS]
    assert not data.notes and not data.stats


def test_drop_identical_pairs_drops_them_under_their_own_reason():
    data = _rows(PAIRS, drop_identical_pairs=True)
    assert [r["anchor"] for r in data.dataset] == ["a man plays guitar"]
    assert data.stats == {IDENTICAL: 2}
    assert data.notes == [f"2 {IDENTICAL}"]
    assert "drop_identical_pairs" in IDENTICAL and "negative" not in IDENTICAL


def test_without_a_negative_column_no_row_is_said_to_have_a_bad_negative():
    for args in ({}, {"drop_identical_pairs": True}):
        assert SELF_NEGATIVE not in _rows(PAIRS, **args).stats


def test_a_negative_equal_to_the_anchor_or_positive_is_its_own_reason():
    rows = [
        {"anchor": "a", "positive": "b", "negative": "a"},  # self-negative
        {"anchor": "c", "positive": "c", "negative": "d"},  # identical pair, fine negative
        {"anchor": "e", "positive": "f", "negative": "g"},
    ]
    kept = _rows(rows)
    assert [r["anchor"] for r in kept.dataset] == ["c", "e"] and kept.stats == {SELF_NEGATIVE: 1}
    dropped = _rows(rows, drop_identical_pairs=True)
    assert [r["anchor"] for r in dropped.dataset] == ["e"] and dropped.stats == {SELF_NEGATIVE: 1, IDENTICAL: 1}


def test_the_option_changes_the_cache_key(tmp_path):
    """Rows differ with the option, so a cached result of the other setting must not be reused."""
    folder = tmp_path / "raw"
    datasets.Dataset.from_list(PAIRS).save_to_disk(str(folder))
    raw = datasets.load_from_disk(str(folder))
    kept = training_rows(raw, "contrastive", {}, seed=0, where=WHERE)
    dropped = training_rows(raw, "contrastive", {"drop_identical_pairs": True}, seed=0, where=WHERE)
    assert len(kept.dataset) == 3 and len(dropped.dataset) == 1 and not dropped.cache_hit


@pytest.mark.parametrize("value, ok", [(True, True), (False, True), ("yes", False)])
def test_validate_types_the_option(tmp_path, value, ok):
    from embedding.errors import ConfigError

    data = tmp_path / "pairs.jsonl"
    data.write_text('{"anchor": "a", "positive": "b"}\n')
    config = {
        "run_name": "r",
        "base_model": {"name": "m"},
        "output_dir": str(tmp_path),
        "objectives": [
            {
                "type": "contrastive",
                "datasets": {"train": {"name": str(data), "preprocess_args": {"drop_identical_pairs": value}}},
            }
        ],
    }
    if ok:
        validate_mapping(config)
        return
    with pytest.raises(ConfigError, match=r"objectives\[0\]\.datasets\.train\.preprocess_args\.drop_identical_pairs"):
        validate_mapping(config)
