"""`embedding evaluate` says what it is doing: a start and an end line per model x task, encoding with an ETA."""

from __future__ import annotations

import re

from embedding.cli import main
from embedding.evaluation import encode
from tests.evaluation.conftest import *  # noqa: F403 (tiny_model, data_dir)


def test_each_model_and_task_has_start_end_and_encoding_lines(tiny_model, data_dir, tmp_path, capsys):
    argv = ["evaluate", "--model", str(tiny_model), "--model", "bm25", "--task", "ir"]
    argv += ["--dataset", str(data_dir / "efaq"), "--output-dir", str(tmp_path / "out")]

    assert main(argv) == 0

    err = capsys.readouterr().err
    for where, name in (("models[0]", str(tiny_model)), ("models[1]", "bm25")):
        assert re.search(rf"{re.escape(where)} {re.escape(name)} on tasks\[0\] .*: started", err), err
        assert re.search(rf"{re.escape(where)} {re.escape(name)} on tasks\[0\] .*: done in [\d.]+ s", err), err
    assert re.search(r"encoded \d+ queries in \d+:\d\d", err) and re.search(r"encoded \d+ documents in ", err), err


def test_long_encodings_report_done_total_and_eta(tiny_model, monkeypatch):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_model), device="cpu")
    monkeypatch.setattr(encode, "PROGRESS_EVERY_S", 0.0)  # every batch is "10 s later"
    lines: list[str] = []
    with encode.progress_to(lines.append):
        encode.encode_sorted(model, [f"text {i} " * (i % 5 + 1) for i in range(10)], kind="document", batch_size=3)
    assert any(re.fullmatch(r"  documents: \d/10 \(\d+%\), ETA \d+:\d\d", line) for line in lines), lines
    assert lines[-1].startswith("  encoded 10 documents in ")
    lines.clear()
    encode.encode_sorted(model, ["outside progress_to"], batch_size=1)
    assert lines == []  # inside training nothing is reported
