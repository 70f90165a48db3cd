from __future__ import annotations

import json

import pytest
import yaml

from embedding.cli import main
from tests.conftest import base_config


@pytest.fixture
def small_cfg(tmp_path, tiny_bert, efaq_dir):
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {
        "max_steps": 6,
        "per_device_train_batch_size": 4,
        "save_strategy": "steps",
        "save_steps": 2,
        "logging_steps": 1,
        "report_to": "none",
    }
    return cfg


def test_nan_loss_stops_naming_step_and_objective_and_keeps_last_good_checkpoint(
    tmp_path, small_cfg, monkeypatch, capsys
):
    import embedding.training.run as run

    original = run.build_trainer

    def poisoned(plan, callbacks):
        loss = plan.objectives[0].loss
        forward, calls = loss.forward, {"n": 0}

        def nan_after_three(*args, **kwargs):
            calls["n"] += 1
            out = forward(*args, **kwargs)
            if calls["n"] >= 3:
                return {k: v * float("nan") for k, v in out.items()} if isinstance(out, dict) else out * float("nan")
            return out

        loss.forward = nan_after_three
        return original(plan, callbacks)

    monkeypatch.setattr(run, "build_trainer", poisoned)
    small_cfg["objectives"] = small_cfg["objectives"][:1]
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(small_cfg))
    assert main(["train", "-c", str(path)]) == 4
    err = capsys.readouterr().err
    assert "error: step 3: the loss is not finite (objective `contrastive`); training stopped." in err
    run_dir = tmp_path / "out" / "test-run"
    assert sorted(p.name for p in run_dir.glob("checkpoint-*")) == ["checkpoint-2"]
    assert not (run_dir / "final").exists()
    assert json.loads((run_dir / "logs.jsonl").read_text().splitlines()[-1])["event"] == "non_finite"


def test_tokens_never_reach_the_resolved_config(tmp_path, small_cfg):
    small_cfg["args"]["max_steps"] = 1
    small_cfg["args"]["hub_token"] = "hf_secret_value"
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(small_cfg))
    assert main(["train", "-c", str(path)]) == 0
    run_dir = tmp_path / "out" / "test-run"
    for file in [run_dir / "config.resolved.yaml", run_dir / "logs.jsonl", *run_dir.glob("final/*.md")]:
        assert "hf_secret_value" not in file.read_text(), file
    assert yaml.safe_load((run_dir / "config.resolved.yaml").read_text())["args"]["hub_token"] == "***"


def test_unwritable_output_dir_is_a_user_error(tmp_path, small_cfg, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    small_cfg["output_dir"] = str(blocker / "sub")
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(small_cfg))
    assert main(["train", "-c", str(path)]) == 2
    assert "output_dir: cannot write to" in capsys.readouterr().err


def _disk_fills_up(monkeypatch, when):
    """Saving a model raises ENOSPC once `when(output_dir, call number)` says so."""
    import errno

    from embedding.training.trainer.base import EmbeddingTrainer

    original, calls = EmbeddingTrainer._save, {"n": 0}

    def save(self, output_dir=None, state_dict=None):
        calls["n"] += 1
        if when(str(output_dir), calls["n"]):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, output_dir, state_dict=state_dict)

    monkeypatch.setattr(EmbeddingTrainer, "_save", save)


def test_disk_full_during_a_checkpoint_names_the_intact_one(tmp_path, small_cfg, monkeypatch, capsys):
    _disk_fills_up(monkeypatch, lambda output_dir, n: n == 2)  # the second checkpoint, checkpoint-4
    small_cfg["args"]["max_steps"] = 4  # the failing checkpoint is the last one: no step trained past it
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(small_cfg))
    run_dir = tmp_path / "out" / "test-run"
    assert main(["train", "-c", str(path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        f"error: no space left on the device holding {run_dir}; checkpoint-2 is intact; free space, then --resume "
        f"(embedding train --config {path} --resume)" in err
    )
    assert not (run_dir / ".partial").exists()  # the half checkpoint is gone, its space given back
    monkeypatch.undo()
    assert main(["train", "-c", str(path), "--resume"]) == 0


def test_disk_full_during_the_final_save_leaves_a_run_that_resume_finishes(tmp_path, small_cfg, monkeypatch, capsys):
    _disk_fills_up(monkeypatch, lambda output_dir, n: output_dir.endswith(".final.tmp"))
    small_cfg["args"].update(max_steps=3, save_steps=1)  # short: only the final save matters here
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(small_cfg))
    run_dir = tmp_path / "out" / "test-run"
    assert main(["train", "-c", str(path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"no space left on the device holding {run_dir}; checkpoint-3 is intact; free space, then --resume" in err
    assert not (run_dir / ".final.tmp").exists()
    monkeypatch.undo()
    assert main(["train", "-c", str(path), "--resume"]) == 0
    assert "resuming from checkpoint-3 (step 3 of 3): training is complete" in capsys.readouterr().out
    assert sorted(p.name for p in run_dir.glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2", "checkpoint-3"]
