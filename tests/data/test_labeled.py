"""The labeled shape (text, label, optional group): ranking, similarity and retrieval views."""

from __future__ import annotations

import datasets
import pytest

from embedding.data.preprocess import retrieval_data, training_rows
from embedding.errors import DataError
from tests.data.conftest import arrow_table, rows_of

INTENTS = {  # label -> (group, texts)
    "refund": ("orders", ["i want my money back", "refund my order", "how do refunds work", "return for a refund"]),
    "track": ("orders", ["where is my package", "track my order", "has my parcel shipped", "order status"]),
    "cancel": ("orders", ["cancel my order", "stop the order", "i changed my mind cancel it"]),
    "balance": ("bank", ["what is my balance", "how much money do i have", "show account balance"]),
    "transfer": ("bank", ["send money to mom", "transfer 50 dollars", "move money between accounts"]),
    "weather": ("smalltalk", ["is it raining", "weather tomorrow", "will it be sunny"]),
}
ROWS = [{"text": t, "label": label, "domain": group} for label, (group, texts) in INTENTS.items() for t in texts]
LABEL = {row["text"]: row["label"] for row in ROWS}
GROUP = {row["text"]: row["domain"] for row in ROWS}


def raw(rows=ROWS):
    return datasets.Dataset.from_list(rows)


def test_ranking_rows_pair_paraphrases_and_prefer_same_group_negatives():
    data = training_rows(raw(), "contrastive", {"negative_samples": 3}, seed=1, where="t")
    rows = rows_of(data.dataset)
    assert data.format == "labeled"
    assert data.dataset.column_names == ["anchor", "positive", "negative_1", "negative_2", "negative_3"]
    assert [r["anchor"] for r in rows] == [r["text"] for r in ROWS]  # one row per text, in data order
    for r in rows:
        negatives = [r["negative_1"], r["negative_2"], r["negative_3"]]
        assert LABEL[r["positive"]] == LABEL[r["anchor"]] and r["positive"] != r["anchor"]
        assert len(set(negatives)) == 3 and all(LABEL[n] != LABEL[r["anchor"]] for n in negatives)
        same_group = sum(LABEL[t] != LABEL[r["anchor"]] and GROUP[t] == GROUP[r["anchor"]] for t in LABEL)
        assert sum(GROUP[n] == GROUP[r["anchor"]] for n in negatives) == min(3, same_group)  # hard ones first


def test_positives_per_anchor_and_no_group_column():
    rows = rows_of(
        training_rows(
            raw(),
            "contrastive",
            {"negative_samples": 1, "positives_per_anchor": 2, "group_column": None},
            seed=1,
            where="t",
        ).dataset
    )
    assert len(rows) == 2 * len(ROWS)
    by_anchor: dict[str, set] = {}
    for r in rows:
        by_anchor.setdefault(r["anchor"], set()).add(r["positive"])
        assert LABEL[r["negative_1"]] != LABEL[r["anchor"]]
    assert all(len(p) == 2 for p in by_anchor.values())


def test_similarity_rows_are_bounded_and_labelled_by_relation():
    data = training_rows(
        raw(),
        "similarity",
        {"samples_per_anchor": {"same_label": 2, "same_group": 1, "other_group": 3}},
        seed=2,
        where="t",
    )
    rows = rows_of(data.dataset)
    assert data.dataset.column_names == ["anchor", "candidate", "label"]

    def available(text, same_label, same_group):
        return sum(
            t != text and (LABEL[t] == LABEL[text]) == same_label and (GROUP[t] == GROUP[text]) == same_group
            for t in LABEL
        )

    assert len(rows) == sum(
        min(2, available(t, True, True)) + min(1, available(t, False, True)) + min(3, available(t, False, False))
        for t in LABEL
    )  # "weather" has no same-group
    for r in rows:
        a, c = r["anchor"], r["candidate"]
        expected = 1.0 if LABEL[a] == LABEL[c] else (0.0 if GROUP[a] == GROUP[c] else -1.0)
        assert r["label"] == expected and a != c
    custom = training_rows(raw(), "similarity", {"name_to_label": {"same_group": 0.5}}, seed=2, where="t").dataset
    assert set(custom["label"]) == {1.0, 0.5, -1.0}


def test_a_text_under_two_labels_is_never_a_negative_and_repeats_are_used_once():
    rows = ROWS + [
        {"text": "refund my order", "label": "cancel", "domain": "orders"},  # ambiguous
        {"text": "track my order", "label": "track", "domain": "orders"},
    ]  # plain repeat
    data = training_rows(raw(rows), "contrastive", {"negative_samples": 3}, seed=1, where="t")
    out = rows_of(data.dataset)
    assert all("refund my order" not in r.values() for r in out)
    assert sum(r["anchor"] == "track my order" for r in out) == 1
    assert any("several labels" in note for note in data.notes) and any("repeated" in note for note in data.notes)


def test_seed_changes_samples_and_same_seed_is_byte_identical():
    args = {"negative_samples": 2}
    a = arrow_table(training_rows(raw(), "contrastive", args, seed=1, where="t").dataset)
    b = arrow_table(training_rows(raw(), "contrastive", args, seed=1, where="t").dataset)
    c = arrow_table(training_rows(raw(), "contrastive", args, seed=2, where="t").dataset)
    assert a.equals(b)
    assert a.column("anchor").equals(c.column("anchor")) and not a.equals(c)


def test_retrieval_relevant_docs_are_the_other_texts_of_the_label():
    ir = retrieval_data(raw(), {}, seed=1, where="evaluator.dataset")
    again = retrieval_data(raw(), {}, seed=1, where="evaluator.dataset")
    assert ir.queries == again.queries and ir.corpus == again.corpus
    assert not set(ir.queries.values()) & set(ir.corpus.values())
    for qid, text in ir.queries.items():
        assert {LABEL[ir.corpus[d]] for d in ir.relevant_docs[qid]} == {LABEL[text]}
    capped = retrieval_data(raw(), {"max_texts_per_label": 2}, seed=1, where="evaluator.dataset")
    assert len(capped.queries) + len(capped.corpus) == 2 * len(INTENTS)
    assert capped.stats["texts_beyond_max_texts_per_label"] == len(ROWS) - 2 * len(INTENTS)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"text": ""}, r"row 2, column `text`: expected a non-empty string, got an empty string"),
        ({"text": None}, r"row 2, column `text`: expected a non-empty string, got None"),
        ({"label": None}, r"row 2, column `label`: expected a label \(a string or an integer\), got None"),
        ({"domain": None}, r"row 2, column `domain`: expected a domain \(a string or an integer\), got None"),
    ],
)
def test_malformed_rows_name_row_and_column(bad, message):
    rows = [dict(r) for r in ROWS]
    rows[2].update(bad)
    with pytest.raises(DataError, match=rf"t: {message}"):
        training_rows(raw(rows), "contrastive", {"negative_samples": 1}, seed=1, where="t")


def test_a_list_where_a_text_is_expected_names_row_and_column(tmp_path):
    from tests.conftest import write_jsonl

    rows = [dict(r) for r in ROWS]
    rows[4]["text"] = ["two", "texts"]
    path = write_jsonl(tmp_path / "l.jsonl", rows)
    data = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "c"))
    with pytest.raises(DataError, match=r"row 4, column `text`: expected a non-empty string, got a list"):
        training_rows(data, "similarity", {}, seed=1, where="t")


def test_an_explicit_group_column_must_exist_and_num_proc_gives_the_same_rows():
    with pytest.raises(DataError, match="column\\(s\\) intent_group missing for the labeled format"):
        training_rows(raw(), "contrastive", {"group_column": "intent_group"}, seed=1, where="t")
    one = training_rows(raw(), "contrastive", {"negative_samples": 2}, seed=1, where="t")
    two = training_rows(raw(), "contrastive", {"negative_samples": 2, "num_proc": 2}, seed=1, where="t")
    assert arrow_table(one.dataset).equals(arrow_table(two.dataset))
