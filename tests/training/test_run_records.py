"""The run's records are checked before a resume trusts them: the resolved config and the checkpoint files."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from embedding.cli import main
from embedding.errors import UserError
from embedding.training.rundir.checkpoints import checkpoint_problem
from embedding.training.rundir.resume import find_resume_checkpoint
from tests.training.runs import small_config, write_config


def _checkpoint(folder, step):
    """A checkpoint folder with the files a trainer writes: weights, optimizer, trainer state."""
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True)
    save_file({"w": torch.ones(64, 64)}, str(folder / "model.safetensors"))
    torch.save({"state": {0: torch.zeros(64, 64)}}, folder / "optimizer.pt")
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step, "log_history": []}))
    return folder


def _truncate(file, keep=0.5):
    data = file.read_bytes()
    file.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("name", ["model.safetensors", "optimizer.pt", "trainer_state.json"])
def test_a_truncated_file_is_named(tmp_path, name):
    checkpoint = _checkpoint(tmp_path / "checkpoint-4", 4)
    assert checkpoint_problem(checkpoint) is None
    _truncate(checkpoint / name)
    assert checkpoint_problem(checkpoint).startswith(f"checkpoint-4/{name} is truncated or damaged")


def test_an_empty_optimizer_file_is_damaged(tmp_path):
    checkpoint = _checkpoint(tmp_path / "checkpoint-4", 4)
    (checkpoint / "optimizer.pt").write_bytes(b"")
    assert "checkpoint-4/optimizer.pt is truncated" in checkpoint_problem(checkpoint)


def test_resume_takes_the_previous_checkpoint_when_the_newest_is_damaged(tmp_path, caplog):
    run_dir = tmp_path / "run"
    _checkpoint(run_dir / "checkpoint-2", 2)
    _truncate(_checkpoint(run_dir / "checkpoint-4", 4) / "optimizer.pt")
    with caplog.at_level(logging.WARNING):
        assert find_resume_checkpoint(run_dir, "latest") == run_dir / "checkpoint-2"
    assert "skipping checkpoint-4: checkpoint-4/optimizer.pt is truncated" in caplog.text
    assert "resuming from checkpoint-2 instead" in caplog.text


def test_resume_is_refused_when_no_checkpoint_is_whole(tmp_path):
    run_dir = tmp_path / "run"
    _truncate(_checkpoint(run_dir / "checkpoint-2", 2) / "model.safetensors")
    with pytest.raises(UserError, match=r"no complete checkpoint in .*checkpoint-2/model.safetensors is truncated"):
        find_resume_checkpoint(run_dir, "latest")
    with pytest.raises(UserError, match=r"not a complete checkpoint: checkpoint-2/model.safetensors is truncated"):
        find_resume_checkpoint(run_dir, str(run_dir / "checkpoint-2"))


@pytest.fixture
def finished(tmp_path, tiny_bert, efaq_dir):
    """(config path, run dir) of a finished 4-step run with checkpoints 2 and 4."""
    cfg = write_config(tmp_path / "cfg.yaml", small_config(tiny_bert, efaq_dir, tmp_path / "out", max_steps=4))
    assert main(["train", "-c", str(cfg)]) == 0
    return cfg, tmp_path / "out" / "test-run"


@pytest.mark.parametrize("name", ["model.safetensors", "optimizer.pt", "trainer_state.json"])
def test_resume_continues_from_the_last_whole_checkpoint(finished, capsys, name):
    cfg, run_dir = finished
    shutil.rmtree(run_dir / "final")  # the run was stopped before it finished
    _truncate(run_dir / "checkpoint-4" / name)
    capsys.readouterr()
    assert main(["train", "-c", str(cfg), "--resume"]) == 0
    captured = capsys.readouterr()
    said = " ".join((captured.out + captured.err).split())  # the log lines are wrapped
    assert f"skipping checkpoint-4: checkpoint-4/{name} is truncated or damaged" in said
    assert "resuming from checkpoint-2 (step 2 of 4)" in said
    assert checkpoint_problem(run_dir / "checkpoint-4") is None  # written again by the resumed run


@pytest.mark.parametrize(
    ("text", "problem"),
    [("args: {max_steps: 4\n", "not valid YAML"), ("- a list\n- of things\n", "not a mapping of config keys")],
)
def test_an_unreadable_resolved_config_stops_the_resume(finished, capsys, text, problem):
    cfg, run_dir = finished
    record = run_dir / "config.resolved.yaml"
    record.write_text(text)
    capsys.readouterr()
    assert main(["train", "-c", str(cfg), "--resume"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--resume: {record} is {problem}" in err
    assert record.read_text() == text  # refused before anything is written
