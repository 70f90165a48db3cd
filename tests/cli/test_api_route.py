"""The CLI's validate / preprocess / train go through the Python API (embedding/api.py), and the exit codes are
decided in one place (cli/_common.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from embedding import api
from embedding.cli import _common, main
from embedding.errors import Interrupted, TrainingFault, UserError
from embedding.training.run import RunResult
from tests.conftest import base_config


@pytest.fixture
def config_file(tmp_path) -> Path:
    (tmp_path / "d").mkdir()
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(base_config("m", tmp_path / "d", tmp_path / "out")))
    return path


def test_validate_preprocess_and_train_call_the_api(config_file, monkeypatch):
    called = []
    real_validate = api.validate
    monkeypatch.setattr(api, "validate", lambda *a, **k: called.append("validate") or real_validate(*a, **k))
    monkeypatch.setattr(api, "preprocess", lambda *a, **k: called.append("preprocess") or [])
    monkeypatch.setattr("embedding.training.steps.inspect.print_summaries", lambda summaries: None)
    result = RunResult(Path("r"), Path("r/final"))
    monkeypatch.setattr(api, "train", lambda *a, **k: called.append(("train", k["config_path"])) or result)
    monkeypatch.setattr("embedding.training.display.summary.print_result", lambda result: None)
    assert main(["validate", "-c", str(config_file)]) == 0
    assert main(["preprocess", "-c", str(config_file)]) == 0
    assert main(["train", "-c", str(config_file)]) == 0
    assert called == ["validate", "validate", "preprocess", "validate", ("train", str(config_file))]


def test_exit_codes_are_decided_in_one_place(capsys):
    assert _common.exit_code(UserError("x")) == 2
    assert _common.exit_code(TrainingFault("nan")) == 4
    assert _common.exit_code(Interrupted(15, step=3)) == 143
    assert _common.exit_code(KeyboardInterrupt()) == _common.INTERRUPTED == 130
    assert _common.exit_code(ValueError("bug")) == _common.INTERNAL_ERROR == 1
    assert _common.refuse_result([], Path("r/final")) == _common.OK
    assert _common.refuse_result([("export onnx failed", "see report.md")], Path("r/final")) == 3
    assert "error: export onnx failed (model kept in r/final); see report.md" in capsys.readouterr().out
