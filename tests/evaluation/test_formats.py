"""BEIR folders, scored pairs and labeled retrieval: what they produce and the messages for bad input."""

from __future__ import annotations

import pytest
from datasets import Dataset

from embedding.data.formats.beir import is_beir_folder, load_beir
from embedding.data.formats.labeled_ir import labeled_retrieval
from embedding.data.formats.scored_pairs import scored_pairs
from embedding.errors import DataError

from .conftest import LABELED, write_beir


def test_beir_reads_title_plus_text_and_only_positive_judgements(tmp_path):
    # Given a BEIR folder whose qrels have a header, CRLF line ends and one score-0 judgement
    folder = write_beir(tmp_path / "beir")

    # When
    data = load_beir(folder, "test")

    # Then MTEB's document text, BEIR ids kept, the score-0 pair left out
    assert is_beir_folder(folder)
    assert data.corpus == {
        "d1": "Zebra the zebra runs",
        "d2": "Giraffe the giraffe sleeps",
        "d3": "Penguin a penguin on the beach",
        "d4": "a dolphin plays",
    }
    assert data.relevant_docs == {"q1": {"d1"}, "q2": {"d2"}, "q3": {"d3"}, "q4": {"d4"}}
    assert data.queries["q3"] == "penguin beach"


def test_beir_keeps_only_the_queries_of_the_split(tmp_path):
    folder = write_beir(tmp_path / "beir", {"test": "q1\td1\t1\r\n", "train": "q2\td2\t1\r\n"})
    assert set(load_beir(folder, "train").queries) == {"q2"}


def test_beir_missing_split_names_the_available_ones(tmp_path):
    folder = write_beir(tmp_path / "beir")
    with pytest.raises(DataError, match=r"tasks\[0\]\.split: split `dev` not found: no .*dev\.tsv; available: test"):
        load_beir(folder, "dev", where="tasks[0].split")


def test_beir_unknown_document_id_names_file_column_and_fix(tmp_path):
    folder = write_beir(tmp_path / "beir", {"test": "q1\td9\t1\r\n"})
    with pytest.raises(
        DataError,
        match=r"test\.tsv: column corpus-id: id `d9` is not in .*corpus\.jsonl; fix the "
        r"qrels or add the missing records",
    ):
        load_beir(folder, "test")


def test_beir_broken_json_line_names_file_and_line(tmp_path):
    folder = write_beir(tmp_path / "beir")
    with (folder / "corpus.jsonl").open("a") as handle:
        handle.write("{not json\n")
    with pytest.raises(DataError, match=r"corpus\.jsonl: line 5: invalid JSON"):
        load_beir(folder, "test")


def test_scored_pairs_maps_text_labels_and_names_bad_rows():
    rows = Dataset.from_list(
        [
            {"sentence1": "a", "sentence2": "b", "score": "similar"},
            {"sentence1": "c", "sentence2": "d", "score": "dissimilar"},
        ]
    )
    pairs = scored_pairs(rows, where="tasks[0].dataset", name_to_label={"similar": 1, "dissimilar": 0})
    assert pairs.scores == [1.0, 0.0]

    bad = Dataset.from_list(
        [{"sentence1": "a", "sentence2": "b", "score": 0.5}, {"sentence1": "c", "sentence2": "d", "score": None}]
    )
    with pytest.raises(
        DataError,
        match=r"tasks\[0\]\.dataset: row 1, column `score`: expected a finite number, "
        r"got None",
    ):
        scored_pairs(bad, where="tasks[0].dataset")


def test_labeled_retrieval_keeps_query_texts_out_of_the_corpus():
    data = labeled_retrieval(Dataset.from_list(LABELED), seed=1)
    assert len(data.queries) == 3  # 20 % of 4 texts, at least one, per label
    assert not set(data.queries.values()) & set(data.corpus.values())
    for docs in data.relevant_docs.values():
        assert len(docs) == 3
    assert labeled_retrieval(Dataset.from_list(LABELED), seed=1).queries == data.queries  # seeded
