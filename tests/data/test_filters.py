"""Row filters of a dataset spec (`filter:`): the vocabulary, applied at load before preprocessing, cached, counted."""

from __future__ import annotations

import datasets
import pytest
import yaml

from embedding.config.common import DatasetSpec
from embedding.config.filters import describe
from embedding.data.preprocess import training_rows
from embedding.data.sources import SourceCache, load_split
from embedding.errors import DataError
from tests.conftest import write_jsonl

WHERE = "objectives[0].datasets.train"
ROWS = [
    {
        "s1": f"first sentence {i}" + "!" * i,
        "s2": f"second {i}",
        "score": i / 2,
        "topic": ["news", "captions", "forum"][i % 3],
    }
    for i in range(12)
]


@pytest.fixture
def sts_file(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    path = tmp_path / "sts.jsonl"
    write_jsonl(path, ROWS)
    return path


def _load(path, row_filter):
    return load_split(DatasetSpec.model_validate({"name": str(path), "filter": row_filter}), WHERE)


@pytest.mark.parametrize(
    "row_filter, keep",
    [
        ({"score": {"min": 4.0}}, lambda r: r["score"] >= 4.0),
        ({"score": {"max": 1.5}}, lambda r: r["score"] <= 1.5),
        ({"score": {"min": 1, "max": 3}}, lambda r: 1 <= r["score"] <= 3),
        ({"topic": {"in": ["news", "forum"]}}, lambda r: r["topic"] in ("news", "forum")),
        ({"topic": {"not_in": ["news"]}}, lambda r: r["topic"] != "news"),
        ({"s1": {"min_length": 20, "max_length": 24}}, lambda r: 20 <= len(r["s1"]) <= 24),
        (
            {"score": {"min": 2.0}, "topic": {"in": ["captions"]}},
            lambda r: r["score"] >= 2 and r["topic"] == "captions",
        ),
    ],
)
def test_each_condition_keeps_exactly_the_rows_that_pass_in_order(sts_file, row_filter, keep):
    loaded = _load(sts_file, row_filter)
    expected = [r for r in ROWS if keep(r)]
    assert 0 < len(expected) < len(ROWS)  # the case filters something and keeps something
    assert loaded.to_list() == expected
    assert loaded.filtered_out == (
        len(ROWS) - len(expected),
        describe(DatasetSpec.model_validate({"name": "x", "filter": row_filter}).filter),
    )


def test_null_cells_meet_no_condition_but_not_in_keeps_them(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    path = tmp_path / "nulls.jsonl"
    write_jsonl(path, [{"t": "a", "v": 1.0}, {"t": None, "v": None}, {"t": "b", "v": 3.0}])
    assert [r["v"] for r in _load(path, {"v": {"min": 0}})] == [1.0, 3.0]
    assert [r["t"] for r in _load(path, {"t": {"not_in": ["a"]}})] == [None, "b"]


def test_filter_runs_before_preprocessing_and_is_counted_with_a_true_reason(sts_file):
    """The filter names the data's own columns (before `columns` renames them); rows and notes say what it did."""
    spec = DatasetSpec.model_validate({"name": str(sts_file), "filter": {"score": {"min": 4.0}}})
    raw = SourceCache().get(spec, WHERE)
    args = {"format": "scored-pairs", "columns": {"sentence1": "s1", "sentence2": "s2"}}
    data = training_rows(raw, "similarity", args, seed=1, where=WHERE)
    kept = [r for r in ROWS if r["score"] >= 4.0]
    assert [r["label"] for r in data.dataset] == [r["score"] for r in kept]
    assert data.raw_rows == len(ROWS)
    assert data.filtered == f"filtered out: {len(ROWS) - len(kept)} rows by filter score.min=4.0"
    assert data.filtered in data.notes


def test_the_filter_is_part_of_the_cache_key_and_deterministic(sts_file):
    def rows(row_filter):
        raw = SourceCache().get(DatasetSpec.model_validate({"name": str(sts_file), "filter": row_filter}), WHERE)
        data = training_rows(
            raw, "similarity", {"columns": {"sentence1": "s1", "sentence2": "s2"}}, seed=1, where=WHERE
        )
        return raw._fingerprint, data

    first_fp, first = rows({"score": {"min": 4.0}})
    again_fp, again = rows({"score": {"min": 4.0}})
    other_fp, other = rows({"score": {"min": 3.0}})
    assert first_fp == again_fp and again.cache_hit and again.dataset.to_list() == first.dataset.to_list()
    assert other_fp != first_fp and not other.cache_hit and len(other.dataset) > len(first.dataset)


def test_one_source_cache_keeps_differently_filtered_specs_apart(sts_file):
    cache = SourceCache()
    low = cache.get(DatasetSpec.model_validate({"name": str(sts_file), "filter": {"score": {"max": 1.0}}}), WHERE)
    full = cache.get(DatasetSpec.model_validate({"name": str(sts_file)}), WHERE)
    assert len(low) == 3 and len(full) == len(ROWS) and len(cache) == 2


@pytest.mark.parametrize(
    "row_filter, message",
    [
        ({"scor": {"min": 4.0}}, [f"{WHERE}.filter.scor", "no column `scor`", "s1, s2, score, topic"]),
        ({"s1": {"max": 3}}, [f"{WHERE}.filter.s1.max", "not numbers"]),
        ({"score": {"min_length": 3}}, [f"{WHERE}.filter.score.min_length", "not text"]),
        ({"score": {"in": ["high"]}}, [f"{WHERE}.filter.score.in", "cannot be compared"]),
        ({"score": {"min": 100}}, [f"{WHERE}.filter", "no row of the 12 passes `score.min=100.0`"]),
    ],
)
def test_a_filter_the_data_cannot_take_names_its_key_path(sts_file, row_filter, message):
    with pytest.raises(DataError) as caught:
        _load(sts_file, row_filter)
    for part in message:
        assert part in str(caught.value)


@pytest.mark.parametrize(
    "row_filter, message",
    [
        ({"score": {}}, "give at least one of"),
        ({"score": {"between": [1, 2]}}, "unknown condition `between`"),
        ({"score": {"min": 3, "max": 1}}, "min (3.0) is larger than max (1.0)"),
        ({"s1": {"min_length": -1}}, "expected an integer >= 0"),
        ({"topic": {"in": []}}, "at least 1 item"),
        ({"score": {"min": "4"}}, "expected a number"),
    ],
)
def test_validate_checks_the_shape_with_the_key_path(tmp_path, row_filter, message):
    from embedding.errors import ConfigError
    from embedding.validation import validate_mapping

    config = {
        "run_name": "r",
        "base_model": {"name": "m"},
        "output_dir": str(tmp_path),
        "objectives": [{"type": "similarity", "datasets": {"train": {"name": "d.jsonl", "filter": row_filter}}}],
    }
    with pytest.raises(ConfigError) as caught:
        validate_mapping(config)
    text = str(caught.value)
    assert f"{WHERE}.filter.{next(iter(row_filter))}" in text and message in text


def test_preprocess_command_prints_the_filter_count(sts_file, tmp_path, capsys):
    from embedding.cli import main

    config = {
        "run_name": "r",
        "base_model": {"name": "unused"},
        "output_dir": str(tmp_path / "out"),
        "objectives": [
            {
                "type": "similarity",
                "datasets": {
                    "train": {
                        "name": str(sts_file),
                        "filter": {"topic": {"in": ["news"]}},
                        "preprocess_args": {"columns": {"sentence1": "s1", "sentence2": "s2"}},
                    }
                },
            }
        ],
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["preprocess", "-c", str(path)]) == 0
    assert "filtered out: 8 rows by filter topic.in=[news]" in capsys.readouterr().out
