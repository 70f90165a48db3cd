"""The Arrow/numpy e-faq preprocessors against a plain per-row reference, on messy data."""

from __future__ import annotations

import json

import datasets
import pytest

from embedding.data import preprocess
from embedding.data.formats.efaq import EfaqRow
from embedding.data.preprocess import training_rows
from embedding.errors import DataError
from tests.conftest import EFAQ_ROWS, write_jsonl
from tests.data.conftest import arrow_table, rows_of

# Same length and same bytes at start, middle and end: the fingerprints of these texts collide.
CLASH_A = "abcdefgh--X--mnopqrst--Y--uvwxyz12"
CLASH_B = "abcdefgh--Q--mnopqrst--Z--uvwxyz12"
MESSY = [
    {
        "sentence": "  a  ",
        "similar": ["b", " b", "a", None, "", "c"],
        "almost_similar": ["c", "d", "a", "d"],
        "dissimilar": ["e", "b", "f", "g"],
    },
    {
        "sentence": CLASH_A,
        "similar": [CLASH_B, CLASH_A, CLASH_B],
        "almost_similar": [CLASH_A, CLASH_B, "h"],
        "dissimilar": ["i", "j", "k"],
    },
    {"sentence": "x", "similar": None, "almost_similar": ["y"], "dissimilar": []},
    {"sentence": "z", "similar": ["z1"], "almost_similar": None, "dissimilar": ["x", "y", "w", "v"]},
]


def reference_similarity(rows):
    """The per-row semantics: candidates in mapping order, first label wins, never the anchor itself."""
    out = []
    for i, raw in enumerate(rows):
        row = EfaqRow(raw, i, "t")
        seen = {row.anchor}
        for column, label in (("similar", 1.0), ("almost_similar", 0.0), ("dissimilar", -1.0)):
            for text in dict.fromkeys(t.strip() for t in raw.get(column) or () if t and t.strip()):
                if text not in seen:
                    seen.add(text)
                    out.append({"anchor": row.anchor, "candidate": text, "label": label})
    return out


def test_similarity_rows_equal_the_per_row_reference():
    data = training_rows(datasets.Dataset.from_list(MESSY), "similarity", {}, seed=1, where="t")
    assert rows_of(data.dataset) == reference_similarity(MESSY)


def test_ranking_rows_follow_the_per_row_rules_even_with_fingerprint_clashes():
    import pyarrow as pa

    from embedding.data.formats.common import text_fingerprints

    first, second = text_fingerprints(pa.array([CLASH_A, CLASH_B]))
    assert first == second  # the data below really exercises the exact re-check
    data = training_rows(datasets.Dataset.from_list(MESSY), "contrastive", {"negative_samples": 2}, seed=3, where="t")
    got = rows_of(data.dataset)
    expected_pairs = [
        (r.anchor, p) for i, raw in enumerate(MESSY) for r in [EfaqRow(raw, i, "t")] for p in r.positives
    ]
    assert [(g["anchor"], g["positive"]) for g in got] == expected_pairs
    assert ("abcdefgh--X--mnopqrst--Y--uvwxyz12", CLASH_B) in expected_pairs  # the clash did not merge texts
    for g in got:
        row = next(EfaqRow(raw, i, "t") for i, raw in enumerate(MESSY) if raw["sentence"].strip() == g["anchor"])
        negatives = [g["negative_1"], g["negative_2"]]
        assert len(set(negatives)) == 2 and not {row.anchor, *row.positives} & set(negatives)
        if len(row.negatives) >= 2:
            assert set(negatives) <= set(row.negatives)  # own negatives first; the pool only fills gaps
    # false negatives kept out: row 0's 'c', 'a' (almost_similar) and 'b' (dissimilar); row 1's anchor and positive
    assert data.stats[preprocess.FALSE_NEGATIVES] == 3 + 2
    assert any("without a positive" in note for note in data.notes)  # row 2


def test_rows_do_not_depend_on_the_batch_size(monkeypatch):
    rows = [{**r, "sentence": f"{r['sentence']} {i}"} for i in range(40) for r in EFAQ_ROWS]
    for kind, args in (("contrastive", {"negative_samples": 3}), ("similarity", {})):
        whole = arrow_table(training_rows(datasets.Dataset.from_list(rows), kind, args, seed=5, where="t").dataset)
        monkeypatch.setattr(preprocess, "MAP_BATCH_SIZE", 7)
        small = arrow_table(training_rows(datasets.Dataset.from_list(rows), kind, args, seed=5, where="t").dataset)
        monkeypatch.undo()
        assert whole.equals(small)


def test_short_rows_are_filled_from_the_pool_deterministically():
    rows = [
        {"sentence": "a", "similar": ["b"], "almost_similar": [], "dissimilar": ["c"]},
        {"sentence": "d", "similar": ["e"], "almost_similar": ["f", "g", "h"], "dissimilar": []},
    ]
    first = rows_of(
        training_rows(
            datasets.Dataset.from_list(rows), "contrastive", {"negative_samples": 2}, seed=1, where="t"
        ).dataset
    )
    again = rows_of(
        training_rows(
            datasets.Dataset.from_list(rows), "contrastive", {"negative_samples": 2}, seed=1, where="t"
        ).dataset
    )
    assert first == again and len(first) == 2
    assert "c" in (first[0]["negative_1"], first[0]["negative_2"])
    assert {first[0]["negative_1"], first[0]["negative_2"]} <= {"c", "f", "g", "h"}


@pytest.mark.parametrize(
    "row, column, message",
    [
        ({"sentence": None}, "sentence", "expected a non-empty string, got None"),
        ({"sentence": ["a list"]}, "sentence", "expected a non-empty string, got a list"),
        ({"similar": "one text"}, "similar", "expected a list of strings, got a str"),
        ({"similar": ["ok", 3]}, "similar", "expected strings in the list, got a int ('3')"),
    ],
)
def test_malformed_cells_from_json_files_name_row_and_column(tmp_path, row, column, message):
    # Mixed types make `datasets` store the column as JSON text; the error must still show the real value.
    rows = [dict(r) for r in EFAQ_ROWS]
    rows[3] = {**rows[3], **row}
    path = write_jsonl(tmp_path / "faq.jsonl", rows)
    raw = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    with pytest.raises(
        DataError, match=rf"t: row 3, column `{column}`: {message}".replace("(", r"\(").replace(")", r"\)")
    ):
        training_rows(raw, "contrastive", {"negative_samples": 1}, seed=1, where="t")


def test_undetectable_columns_name_the_mapping_the_rows_prove():
    raw = datasets.Dataset.from_list([{"question": "q", "similar": ["a"], "dissimilar": ["b"]}])
    with pytest.raises(DataError) as err:
        training_rows(raw, "contrastive", {}, seed=1, where="t")
    text = str(err.value)
    assert "load as `efaq` with preprocess_args {format: efaq, columns: {sentence: question}}" in text
    assert "`similar` holds lists of texts" in text


def test_unprovable_columns_name_the_closest_format_and_a_mapping():
    raw = datasets.Dataset.from_list([{"question": "q", "count": 3}])
    with pytest.raises(DataError) as err:
        training_rows(raw, "contrastive", {}, seed=1, where="t")
    assert "the closest is `efaq`, which needs column(s) sentence" in str(err.value)
    assert "columns: {sentence: question}" in str(err.value)
    assert json.dumps("scored-pairs") not in str(err.value)  # not a contrastive format
