"""Pairs/triplets/n-tuples for contrastive objectives and scored pairs for similarity objectives."""

from __future__ import annotations

import datasets
import pytest

from embedding.data.preprocess import detect_format, retrieval_data, training_rows
from embedding.errors import DataError
from tests.conftest import write_jsonl
from tests.data.conftest import rows_of

TRIPLETS = [
    {
        "id": 1,
        "anchor": "how do i return an order",
        "positive": " return my order ",
        "negative": "track my order",
        "negative_2": "cancel my order",
    },
    {
        "id": 2,
        "anchor": "where is my package",
        "positive": "track my package",
        "negative": "refund my order",
        "negative_2": "where is my package",
    },  # a negative equal to the anchor: dropped
    {
        "id": 3,
        "anchor": "reset my password",
        "positive": "forgot password",
        "negative": "change my address",
        "negative_2": "delete my account",
    },
]
SCORED = [
    {"sentence1": "a man plays guitar", "sentence2": "a man plays piano", "score": 3.0},
    {"sentence1": "a dog runs", "sentence2": "a dog is running", "score": 5.0},
    {"sentence1": "a cat sleeps", "sentence2": "a woman sings", "score": 1.0},
]


def test_ntuples_pass_through_with_renamed_negatives_and_self_negatives_dropped():
    data = training_rows(datasets.Dataset.from_list(TRIPLETS), "contrastive", {}, seed=1, where="t")
    assert data.format == "pairs"
    assert data.dataset.column_names == ["anchor", "positive", "negative_1", "negative_2"]
    rows = rows_of(data.dataset)
    assert [r["anchor"] for r in rows] == ["how do i return an order", "reset my password"]
    assert rows[0]["positive"] == "return my order"  # stripped
    assert any("a negative equals the anchor or the positive" in note for note in data.notes)


def test_negative_samples_keeps_the_first_columns_and_refuses_more_than_there_are():
    data = training_rows(
        datasets.Dataset.from_list(TRIPLETS), "contrastive", {"negative_samples": 1}, seed=1, where="t"
    )
    assert data.dataset.column_names == ["anchor", "positive", "negative_1"]
    pairs = [{"anchor": r["anchor"], "positive": r["positive"]} for r in TRIPLETS]
    assert training_rows(
        datasets.Dataset.from_list(pairs), "contrastive", {}, seed=1, where="t"
    ).dataset.column_names == ["anchor", "positive"]
    with pytest.raises(DataError, match="negative_samples: 3 requested but the data has 2 negative column"):
        training_rows(datasets.Dataset.from_list(TRIPLETS), "contrastive", {"negative_samples": 3}, seed=1, where="t")


def test_pairs_cannot_feed_similarity_and_scored_pairs_cannot_feed_contrastive():
    with pytest.raises(DataError, match="`pairs` data cannot feed a similarity objective"):
        training_rows(datasets.Dataset.from_list(TRIPLETS), "similarity", {}, seed=1, where="t")
    with pytest.raises(DataError, match="`scored-pairs` data cannot feed a contrastive objective"):
        training_rows(datasets.Dataset.from_list(SCORED), "contrastive", {}, seed=1, where="t")


def test_malformed_pairs_name_row_and_column():
    bad = [dict(r) for r in TRIPLETS]
    bad[2]["positive"] = "   "
    with pytest.raises(DataError, match=r"t: row 2, column `positive`: expected a non-empty string, got an empty"):
        training_rows(datasets.Dataset.from_list(bad), "contrastive", {}, seed=1, where="t")
    bad[2]["positive"], bad[1]["negative"] = "ok", None
    with pytest.raises(DataError, match=r"t: row 1, column `negative`: expected a non-empty string, got None"):
        training_rows(datasets.Dataset.from_list(bad), "contrastive", {}, seed=1, where="t")


def test_pairs_retrieval_keeps_query_texts_out_of_the_corpus():
    ir = retrieval_data(datasets.Dataset.from_list(TRIPLETS), {}, seed=1, where="e")
    assert len(ir.queries) == 3 and not set(ir.queries.values()) & set(ir.corpus.values())
    qid = next(q for q, t in ir.queries.items() if t == "reset my password")
    assert [ir.corpus[d] for d in ir.relevant_docs[qid]] == ["forgot password"]


def test_scored_pairs_become_similarity_rows_with_optional_rescaling():
    assert detect_format(list(SCORED[0])) == "scored-pairs"
    rows = rows_of(training_rows(datasets.Dataset.from_list(SCORED), "similarity", {}, seed=1, where="t").dataset)
    assert rows[1] == {"anchor": "a dog runs", "candidate": "a dog is running", "label": 5.0}
    scaled = training_rows(
        datasets.Dataset.from_list(SCORED), "similarity", {"score_range": [1, 5]}, seed=1, where="t"
    ).dataset
    assert scaled["label"] == [0.5, 1.0, 0.0]


@pytest.mark.parametrize(
    "score, args, message",
    [
        (None, {}, r"row 1, column `score`: expected a finite number, got None"),
        ("high", {}, r"row 1, column `score`: expected a finite number, got 'high'; map text labels"),
        (float("nan"), {}, r"row 1, column `score`: expected a finite number, got nan"),
        (
            7.0,
            {"score_range": [1, 5]},
            r"row 1, column `score`: 7.0 is outside preprocess_args.score_range \[1.0, 5.0\]",
        ),
    ],
)
def test_bad_scores_name_row_and_column(tmp_path, score, args, message):
    rows = [dict(r) for r in SCORED]
    rows[1]["score"] = score
    # From a JSON file: with a number and a text in one column, `datasets` keeps the column as JSON text.
    raw = datasets.load_dataset(
        "json", data_files=str(write_jsonl(tmp_path / "s.jsonl", rows)), split="train", cache_dir=str(tmp_path / "c")
    )
    with pytest.raises(DataError, match=message):
        training_rows(raw, "similarity", args, seed=1, where="t")


def test_text_scores_map_through_name_to_label():
    rows = [
        {"sentence1": "a", "sentence2": "b", "score": "similar"},
        {"sentence1": "c", "sentence2": "d", "score": "dissimilar"},
    ]
    data = training_rows(
        datasets.Dataset.from_list(rows),
        "similarity",
        {"name_to_label": {"similar": 1, "dissimilar": 0}},
        seed=1,
        where="t",
    ).dataset
    assert data["label"] == [1.0, 0.0]
