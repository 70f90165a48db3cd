"""11: `embedding report` on a run dir with garbage files or one it cannot write: exit 2, one clear message."""

from __future__ import annotations

import errno
import json
import os

import pytest

from embedding.cli import main

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize("name", ["config.resolved.yaml", "logs.jsonl", "resources.jsonl", "evaluation.json"])
def test_an_image_where_a_run_file_is_expected_is_named(report_run, capsys, name):
    (report_run / name).write_bytes(PNG)
    assert main(["report", str(report_run)]) == 2
    err = capsys.readouterr().err
    assert f"{report_run / name}: not a text file" in err and "Traceback" not in err, err
    assert not (report_run / "report.md").exists()


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", ""])
def test_an_evaluation_json_that_is_no_metrics_object_is_named(report_run, capsys, text):
    (report_run / "evaluation.json").write_text(text)
    assert main(["report", str(report_run)]) == 2
    err = capsys.readouterr().err
    assert f"{report_run / 'evaluation.json'}: not the run's metrics" in err and "Traceback" not in err, err


def test_a_read_only_run_dir_is_named_with_the_fix(report_run, capsys, monkeypatch):
    if os.geteuid() == 0:  # root writes anywhere: the file system's answer is simulated
        import tempfile

        def refuse(*args, dir=None, **kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), dir)

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    else:
        report_run.chmod(0o555)
    before = sorted(p.name for p in report_run.iterdir())
    try:
        code = main(["report", str(report_run)])
    finally:
        report_run.chmod(0o755)
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{report_run}: cannot write the report there" in err and "make the run dir writable" in err, err
    assert sorted(p.name for p in report_run.iterdir()) == before


def test_the_report_of_a_good_run_dir_still_works(report_run):
    assert main(["report", str(report_run)]) == 0
    assert json.loads((report_run / "evaluation.json").read_text())["main_metric"] == "cosine_ndcg@10"
    assert "## Hard-negative mining" in (report_run / "report.md").read_text()
