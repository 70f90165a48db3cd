from __future__ import annotations

import datasets
import pytest

from embedding.data.formats import efaq
from embedding.data.preprocess import retrieval_data, training_rows
from embedding.errors import DataError
from tests.conftest import EFAQ_ROWS, SHARED


def raw(rows=EFAQ_ROWS):
    return datasets.Dataset.from_list(rows)


def rows_of(ds) -> list[dict]:
    return [dict(r) for r in ds]


def test_ranking_rows_shape_and_counts():
    data = training_rows(raw(), "contrastive", {"negative_samples": 2}, seed=1, where="t")
    assert data.dataset.column_names == ["anchor", "positive", "negative_1", "negative_2"]
    assert len(data.dataset) == sum(len(r["similar"]) for r in EFAQ_ROWS)


def test_negatives_are_never_the_anchor_or_its_positives():
    rows = rows_of(training_rows(raw(), "contrastive", {"negative_samples": 3}, seed=7, where="t").dataset)
    positives = {r["sentence"]: set(r["similar"]) for r in EFAQ_ROWS}
    for row in rows:
        negatives = [row["negative_1"], row["negative_2"], row["negative_3"]]
        assert len(set(negatives)) == 3
        assert row["anchor"] not in negatives
        assert not positives[row["anchor"]] & set(negatives)


def test_same_seed_same_rows_different_seed_different_negatives():
    a = rows_of(training_rows(raw(), "contrastive", {"negative_samples": 3}, seed=1, where="t").dataset)
    b = rows_of(training_rows(raw(), "contrastive", {"negative_samples": 3}, seed=1, where="t").dataset)
    c = rows_of(training_rows(raw(), "contrastive", {"negative_samples": 3}, seed=2, where="t").dataset)
    assert a == b
    assert a != c and [r["anchor"] for r in a] == [r["anchor"] for r in c]


def test_too_many_negatives_is_a_clear_error():
    with pytest.raises(DataError, match="negative_samples: 50 negatives per row requested but the dataset has only"):
        training_rows(raw(), "contrastive", {"negative_samples": 50}, seed=1, where="objectives[0].datasets.train")


def test_similarity_rows_and_label_mapping():
    data = training_rows(raw(), "similarity", {}, seed=1, where="t").dataset
    assert data.column_names == ["anchor", "candidate", "label"]
    first = rows_of(data)[:4]
    assert [r["label"] for r in first] == [1.0, 1.0, 0.0, -1.0]
    custom = training_rows(
        raw(), "similarity", {"name_to_label": {"similar": 5, "dissimilar": 0}}, seed=1, where="t"
    ).dataset
    assert set(custom["label"]) == {5.0, 0.0}


def test_malformed_rows_name_row_and_column():
    bad = [dict(EFAQ_ROWS[0]), {**EFAQ_ROWS[1], "sentence": ""}]
    with pytest.raises(DataError, match=r"t: row 1, column `sentence`: expected a non-empty string, got an empty"):
        training_rows(raw(bad), "contrastive", {}, seed=1, where="t")
    bad = [{**EFAQ_ROWS[0], "similar": "just one text"}]
    with pytest.raises(DataError, match=r"row 0, column `similar`: expected a list of strings, got a str"):
        training_rows(raw(bad), "similarity", {}, seed=1, where="t")


def test_missing_column_lists_existing_and_columns_mapping_fixes_it():
    renamed = raw().rename_column("sentence", "question")
    with pytest.raises(DataError, match="column\\(s\\) sentence missing for the e-faq format; the dataset has"):
        training_rows(renamed, "contrastive", {"format": "efaq"}, seed=1, where="t")
    data = training_rows(renamed, "contrastive", {"columns": {"sentence": "question"}}, seed=1, where="t")
    assert len(data.dataset) == 16


def test_pool_fill_terminates_and_drops_rows_that_cannot_be_served():
    rows = [
        {"sentence": "a", "similar": ["b"], "almost_similar": [], "dissimilar": ["c"]},
        {"sentence": "c", "similar": ["d"], "almost_similar": [], "dissimilar": ["a"]},
    ]
    data = training_rows(raw(rows), "contrastive", {"negative_samples": 1}, seed=1, where="t")
    assert len(data.dataset) == 2
    # Row 0's only candidate besides its own texts is 'c'; with k=2 the global pool {a, c} cannot serve it.
    with pytest.raises(DataError, match="produced no rows"):
        training_rows(raw(rows), "contrastive", {"negative_samples": 2}, seed=1, where="t")


def test_retrieval_keeps_query_texts_out_of_the_corpus():
    ir = retrieval_data(raw(), {"negative_samples": -1}, seed=1, where="evaluator.dataset")
    queries = set(ir.queries.values())
    assert not queries & set(ir.corpus.values())
    assert len(set(ir.corpus.values())) == len(ir.corpus)  # one id per distinct text
    qid = next(q for q, t in ir.queries.items() if t == "cancelar pedido")
    assert {ir.corpus[d] for d in ir.relevant_docs[qid]} == {"como cancelar pedido", "cancelar meu pedido"}


def test_retrieval_negative_samples_is_seeded():
    rows = [{**EFAQ_ROWS[0], "dissimilar": [f"neg {i}" for i in range(10)]}]
    a = retrieval_data(raw(rows), {"negative_samples": 3}, seed=1, where="e")
    b = retrieval_data(raw(rows), {"negative_samples": 3}, seed=1, where="e")
    c = retrieval_data(raw(rows), {"negative_samples": -1}, seed=1, where="e")
    assert a.corpus == b.corpus and len(a.corpus) == 2 + 3
    assert len(c.corpus) == 2 + 10 + 1  # -1 keeps every negative (the seed dropped the last one)


def test_second_run_reuses_the_cache(tmp_path):
    path = tmp_path / "d.jsonl"
    raw().to_json(str(path))
    first = training_rows(
        datasets.load_dataset("json", data_files=str(path), split="train"),
        "contrastive",
        {"negative_samples": 1},
        seed=3,
        where="t",
    )
    second = training_rows(
        datasets.load_dataset("json", data_files=str(path), split="train"),
        "contrastive",
        {"negative_samples": 1},
        seed=3,
        where="t",
    )
    assert not first.cache_hit and second.cache_hit
    assert rows_of(first.dataset) == rows_of(second.dataset)


@pytest.mark.skipif(not (SHARED / "aia-bde" / "efaq").exists(), reason="needs ../shared/datasets")
def test_real_efaq_retrieval_protocol():
    real = datasets.load_dataset(str(SHARED / "aia-bde" / "efaq"), split="test")
    ir = efaq.retrieval(real, negative_samples=-1, seed=42)
    distinct = len(set(real["sentence"]))
    assert len(ir.queries) == distinct - ir.stats["queries_without_relevant_docs"] > 160
    assert not set(ir.queries.values()) & set(ir.corpus.values())
