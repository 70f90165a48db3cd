"""Data that is not what it says: bytes that are not UTF-8, UTF-16 files, JSON arrays, NaN labels, blank
positives, `~` paths and folders without data files. Each names the file, line or row, or is counted."""

from __future__ import annotations

import json

import pytest

from embedding.config.schema import DatasetSpec
from embedding.data import local
from embedding.data.formats.beir import load_beir
from embedding.data.preprocess import training_rows
from embedding.data.rows import DROP_REASONS
from embedding.data.sources import load_split
from embedding.errors import DataError
from tests.conftest import EFAQ_ROWS, write_jsonl

WHERE = "objectives[0].datasets.train"
LABELED = [
    ("como pedir cartao", 1),
    ("pedir cartao empresa", 1),
    ("cartao da empresa", 1),
    ("prazo de entrega", 2),
    ("quando chega meu pedido", 2),
    ("rastrear encomenda", 2),
]


def jsonl_bytes(rows) -> list[bytes]:
    return [json.dumps(r, ensure_ascii=False).encode() for r in rows]


def load(name, **args):
    return load_split(DatasetSpec(name=str(name), args={"split": "train", **args}), WHERE)


def test_a_latin1_byte_names_the_file_and_line(tmp_path):  # was: cached, then a UnicodeDecodeError in train
    lines = jsonl_bytes(EFAQ_ROWS)
    lines[5] = lines[5].replace(b"cancelar pedido", b"cancelar d\xe9bito", 1)
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "train.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(DataError) as caught:
        load(tmp_path / "shop")
    message = str(caught.value)
    assert message.startswith(f"{WHERE}: {tmp_path / 'shop' / 'train.jsonl'} line 6: not UTF-8"), message
    assert "byte 0xe9" in message and "save the file as UTF-8" in message


def test_a_bad_byte_in_a_csv_file_is_found_too(tmp_path):
    path = tmp_path / "intents.csv"
    path.write_bytes(b"text,label\nola,1\ncaf\xe9 da manha,2\n")
    with pytest.raises(DataError, match=r"intents\.csv line 3: not UTF-8 text \(byte 0xe9 at column 4\)"):
        load(path)


def test_a_character_cut_between_two_reads_is_not_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "CHUNK", 5)  # every multi-byte character below straddles a read
    path = tmp_path / "train.jsonl"
    path.write_text('{"text": "ação € 😀"}\n' * 3, encoding="utf-8")
    local.check_utf8(path, WHERE)  # no error
    path.write_bytes(path.read_bytes() + b'{"text": "ab\xffc"}\n')
    with pytest.raises(DataError, match="line 4: not UTF-8 text \\(byte 0xff at column 13\\)"):
        local.check_utf8(path, WHERE)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_named_with_the_fix(tmp_path, encoding):
    path = tmp_path / "train.jsonl"
    text = "".join(json.dumps(r) + "\n" for r in EFAQ_ROWS)
    path.write_bytes((b"\xfe\xff" if encoding == "utf-16-be" else b"") + text.encode(encoding))
    with pytest.raises(DataError, match=f"{path} is UTF-16; save as UTF-8"):
        load(path)


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(jsonl_bytes(EFAQ_ROWS)) + b"\n")
    assert len(load(path)) == len(EFAQ_ROWS)


def test_a_beir_file_with_a_bad_byte_is_a_data_error(tmp_path):
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    write_jsonl(folder / "queries.jsonl", [{"_id": "q1", "text": "zebra"}])
    (folder / "corpus.jsonl").write_bytes(b'{"_id": "d1", "text": "zebra"}\n{"_id": "d2", "text": "caf\xe9"}\n')
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    with pytest.raises(DataError, match=r"corpus\.jsonl line 2: not UTF-8"):
        load_beir(folder, "test")


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_json_array_instead_of_json_lines_is_read_as_rows(tmp_path, suffix):
    path = tmp_path / f"train{suffix}"
    path.write_text(json.dumps(EFAQ_ROWS, indent=2), encoding="utf-8")
    loaded = load(path)
    assert loaded.to_list() == EFAQ_ROWS


def labeled_rows(label_at_4):
    return [{"text": t, "label": label_at_4 if i == 4 else label} for i, (t, label) in enumerate(LABELED)]


def test_a_nan_label_among_integer_labels_names_its_row(tmp_path):
    lines = [json.dumps(r) for r in labeled_rows(0)]
    lines[4] = lines[4].replace('"label": 0', '"label": NaN')
    (tmp_path / "train.jsonl").write_text("\n".join(lines) + "\n")
    raw = load(tmp_path / "train.jsonl")
    with pytest.raises(DataError, match=r"row 4, column `label`: expected a label .*got NaN"):
        training_rows(raw, "contrastive", {"format": "labeled", "negative_samples": 1}, seed=1, where=WHERE)


def test_an_empty_label_cell_in_a_csv_names_its_row(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("text,label\n" + "".join(f"{t},{'' if i == 4 else n}\n" for i, (t, n) in enumerate(LABELED)))
    raw = load(path)
    with pytest.raises(DataError, match=r"row 4, column `label`: .*got None \(an empty cell or null\)"):
        training_rows(raw, "contrastive", {"format": "labeled", "negative_samples": 1}, seed=1, where=WHERE)
    from embedding.data.formats.labeled_ir import labeled_retrieval

    with pytest.raises(DataError, match=r"row 4, column `label`"):  # the evaluator's reading of the same data
        labeled_retrieval(raw, where=WHERE)


def test_blank_positives_are_counted_as_dropped_rows(file_backed):
    rows = [dict(r) for r in EFAQ_ROWS]
    rows[2] = {**rows[2], "similar": ["prazo entrega", "   "]}  # one blank positive beside a real one
    rows[5] = {**rows[5], "similar": [" ", "", None]}  # only blank positives: counted per blank, not as "no list"
    clean = training_rows(file_backed(EFAQ_ROWS), "contrastive", {"negative_samples": 1}, seed=1, where=WHERE)
    data = training_rows(file_backed(rows), "contrastive", {"negative_samples": 1}, seed=1, where=WHERE)
    assert len(data.dataset) == len(clean.dataset) - 3  # the three real positives replaced above
    assert data.stats[DROP_REASONS[8]] == 4  # one (anchor, positive) row per blank item, the null one included
    assert data.stats[DROP_REASONS[2]] == 0
    from embedding.training.steps.inspect import training_summary

    notes = training_summary("contrastive / train", "contrastive", data).notes
    assert "rows dropped: 4" in notes, notes


def test_blank_candidates_of_similarity_rows_are_counted(file_backed):
    rows = [dict(r) for r in EFAQ_ROWS]
    rows[0] = {**rows[0], "dissimilar": ["qual prazo de entrega", "  "]}
    clean = training_rows(file_backed(EFAQ_ROWS), "similarity", {}, seed=1, where=WHERE)
    data = training_rows(file_backed(rows), "similarity", {}, seed=1, where=WHERE)
    assert len(data.dataset) == len(clean.dataset)
    assert data.stats[DROP_REASONS[8]] == 1


def test_a_tilde_dataset_folder_and_data_files_are_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_jsonl(tmp_path / "shop" / "train.jsonl", EFAQ_ROWS)
    assert len(load("~/shop")) == len(EFAQ_ROWS)  # was looked up on the Hub
    assert len(load("~/shop/train.jsonl")) == len(EFAQ_ROWS)
    assert len(load("json", data_files={"train": "~/shop/train.jsonl"})) == len(EFAQ_ROWS)
    assert len(load("json", data_files=["~/shop/*.jsonl"])) == len(EFAQ_ROWS)


@pytest.mark.parametrize("files", [{"README.txt": "about\n"}, {"train.txt": "one\ntwo\n"}, {}])
def test_a_folder_without_data_files_says_so(tmp_path, files):
    folder = tmp_path / "shop"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    with pytest.raises(DataError) as caught:
        load(folder)
    message = str(caught.value)
    assert message.startswith(f"{WHERE}.name: no data files (.jsonl, .json, .csv, .parquet) in {folder}"), message
    assert all(name in message for name in files)
