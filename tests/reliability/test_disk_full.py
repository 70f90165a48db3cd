"""10: torch's zip writer reports a full disk as "[enforce fail at inline_container.cc] unexpected pos": exit 2."""

from __future__ import annotations

import shutil

import pytest
import yaml

from embedding.cli import main
from embedding.errors import UserError
from embedding.training.trainer import stops
from tests.conftest import base_config

ZIP_WRITER = "[enforce fail at inline_container.cc:672] . unexpected pos 1088 vs 1030"


@pytest.fixture
def space_given_back(monkeypatch):
    """The failed save's half checkpoint is removed before the stop looks: the disk shows plenty of room."""
    monkeypatch.setattr(stops.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**12, 0, 10**12))


@pytest.mark.parametrize("message", [ZIP_WRITER, "PytorchStreamWriter failed writing file data/0: file write failed"])
def test_the_zip_writers_failed_write_is_a_full_disk(tmp_path, space_given_back, message):
    (tmp_path / "checkpoint-2" / "model.safetensors").parent.mkdir()
    with pytest.raises(UserError, match=rf"no space left on the device holding {tmp_path}"):
        with stops.disk_full_stops(tmp_path, "embedding train -c c.yaml --resume", "embedding train -c c.yaml"):
            raise RuntimeError(message)


def test_other_runtime_errors_are_no_full_disk(tmp_path, space_given_back):
    with pytest.raises(RuntimeError, match="shape mismatch"):
        with stops.disk_full_stops(tmp_path, "r", "s"):
            raise RuntimeError("shape mismatch")


@pytest.mark.slow
def test_a_checkpoint_save_failing_in_the_zip_writer_exits_2_and_resume_works(
    tmp_path, tiny_bert, efaq_dir, monkeypatch, capsys, space_given_back
):
    import torch

    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {"max_steps": 4, "per_device_train_batch_size": 4, "save_strategy": "steps", "save_steps": 2}
    cfg["args"] |= {"logging_steps": 1, "report_to": "none", "seed": 7}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    original, calls = torch.save, []

    def save(obj, f, *args, **kwargs):  # the second checkpoint's optimizer.pt hits the full disk
        calls.append(str(f))
        if "checkpoint-4" in str(f) and str(f).endswith("optimizer.pt"):
            raise RuntimeError(ZIP_WRITER)
        return original(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    run_dir = tmp_path / "out" / "test-run"
    assert main(["train", "-c", str(path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"error: no space left on the device holding {run_dir}; checkpoint-2 is intact" in err, err
    assert "internal error" not in err and any("checkpoint-4" in c for c in calls)
    monkeypatch.undo()
    assert main(["train", "-c", str(path), "--resume"]) == 0
