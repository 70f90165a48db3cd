"""Exact resume after SIGKILL, half-written checkpoints, and SIGINT/SIGTERM handling (CPU, tiny model)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.training.runs import small_config, write_config

DRIVER = """
import os, signal, sys
from transformers import TrainerCallback
import embedding.training.run as run

STOP_AT, SIGNUM = int(sys.argv[2]), int(sys.argv[3])

class Stop(TrainerCallback):
    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step == STOP_AT - 1:  # the signal arrives while step STOP_AT runs
            os.kill(os.getpid(), SIGNUM)

original = run.build_trainer
run.build_trainer = lambda plan, callbacks: original(plan, callbacks + [Stop()])
from embedding.cli import main
sys.exit(main(["train", "-c", sys.argv[1], *sys.argv[4:]]))
"""


def weights(model_dir: Path) -> dict:
    from safetensors.torch import load_file

    tensors = {}
    for file in sorted(model_dir.rglob("*.safetensors")):
        tensors.update({f"{file.relative_to(model_dir)}:{k}": v for k, v in load_file(file).items()})
    assert tensors, f"no weights under {model_dir}"
    return tensors


def run_driver(tmp_path, cfg_path, stop_at, signum, *extra):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, str(driver), str(cfg_path), str(stop_at), str(signum), *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )


@pytest.fixture
def cfg_paths(tmp_path, tiny_bert, efaq_dir):
    def make(name):
        path = write_config(tmp_path / f"{name}.yaml", small_config(tiny_bert, efaq_dir, tmp_path / name))
        return path, tmp_path / name / "test-run"

    return make


@pytest.mark.slow  # a second process killed mid-run and three trainings: about a minute on 2 shared cores
def test_sigkill_then_resume_is_bitwise_identical(tmp_path, cfg_paths):
    import torch

    straight_cfg, straight_run = cfg_paths("straight")
    killed_cfg, killed_run = cfg_paths("killed")
    from embedding.cli import main

    assert main(["train", "-c", str(straight_cfg)]) == 0

    killed = run_driver(tmp_path, killed_cfg, 3, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert (killed_run / "checkpoint-2" / "trainer_state.json").exists()
    assert not (killed_run / "final").exists()
    # A checkpoint half-written when the process died must be skipped, not crash the resume.
    (killed_run / "checkpoint-5").mkdir()
    (killed_run / "checkpoint-5" / "config.json").write_text("{}")

    assert main(["train", "-c", str(killed_cfg), "--resume"]) == 0
    a, b = weights(straight_run / "final"), weights(killed_run / "final")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), "resumed weights differ from the uninterrupted run"
    steps = [
        json.loads(line).get("step")
        for line in (killed_run / "logs.jsonl").read_text().splitlines()
        if "loss" in json.loads(line)
    ]
    assert steps == [1, 2, 3, 4, 5, 6]  # appended, never truncated: steps 1-2 come from the killed process


def stop_in_process(monkeypatch, cfg_path, stop_at, signum, *extra) -> int:
    """`embedding train` in this process with the signal sent while step `stop_at` runs (what DRIVER does in a
    second process, for the signals the run handles itself: no interpreter start-up, no second import)."""
    from transformers import TrainerCallback

    import embedding.training.run as run
    from embedding.cli import main

    class Stop(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == stop_at - 1:  # the signal arrives while step stop_at runs
                os.kill(os.getpid(), signum)

    original = run.build_trainer
    with monkeypatch.context() as patch:  # later runs of the same test train unpatched
        patch.setattr(run, "build_trainer", lambda plan, callbacks: original(plan, [*callbacks, Stop()]))
        return main(["train", "-c", str(cfg_path), *extra])


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_saves_checkpoint_and_says_how_to_resume(cfg_paths, monkeypatch, capsys, signum, code):
    cfg, run_dir = cfg_paths(f"sig{int(signum)}")
    assert stop_in_process(monkeypatch, cfg, 3, signum, "--set", "args.logging_steps=2") == code
    captured = capsys.readouterr()
    assert (run_dir / "checkpoint-3" / "trainer_state.json").exists()
    # the hint repeats the --set overrides: without them, --resume would continue with another config
    assert f"Resume with: embedding train --config {cfg} --set args.logging_steps=2 --resume" in captured.out
    last = json.loads((run_dir / "logs.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "interrupted" and last["step"] == 3
    assert "Traceback" not in captured.err
    assert not list(run_dir.glob(".partial*"))


def test_resume_without_checkpoint_is_a_clear_error(tmp_path, cfg_paths, capsys):
    from embedding.cli import main

    cfg, run_dir = cfg_paths("empty")
    # a run_name that never ran: refused before anything is created
    assert main(["train", "-c", str(cfg), "--resume"]) == 2
    assert "holds no checkpoint to resume" in capsys.readouterr().err
    assert not run_dir.exists()
    # only a half-written checkpoint
    (run_dir / "checkpoint-4").mkdir(parents=True)
    assert main(["train", "-c", str(cfg), "--resume"]) == 2
    assert "--resume: no complete checkpoint in" in capsys.readouterr().err
    # a checkpoint path that does not exist
    assert main(["train", "-c", str(cfg), "--resume", str(run_dir / "checkpoint-200")]) == 2
    assert "no such checkpoint folder" in capsys.readouterr().err


def _finished_run(cfg_paths, name, **args):
    from embedding.cli import main

    cfg, run_dir = cfg_paths(name)
    assert (
        main(["train", "-c", str(cfg), "--set", "args.max_steps=2", *[f"--set=args.{k}={v}" for k, v in args.items()]])
        == 0
    )
    assert (run_dir / "checkpoint-2" / "trainer_state.json").exists()
    return cfg, run_dir


def test_resume_with_another_loss_is_refused_and_nothing_changes(cfg_paths, capsys):
    from embedding.cli import main

    cfg, run_dir = _finished_run(cfg_paths, "changed")
    before = (run_dir / "config.resolved.yaml").read_text()
    code = main(
        [
            "train",
            "-c",
            str(cfg),
            "--set",
            "args.max_steps=2",
            "--set",
            "objectives.0.loss=cached-ranking",
            "--set",
            "args.learning_rate=0.01",
            "--resume",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "objectives[0].loss: None -> 'cached-ranking'" in err and "args.learning_rate: 0.001 -> 0.01" in err
    assert f"--config {run_dir / 'config.resolved.yaml'} --resume" in err
    assert (run_dir / "config.resolved.yaml").read_text() == before  # the run's record is untouched


def test_resume_may_train_longer_and_keeps_the_previous_config(cfg_paths, capsys):
    from embedding.cli import main

    cfg, run_dir = _finished_run(cfg_paths, "longer")
    assert main(["train", "-c", str(cfg), "--set", "args.max_steps=4", "--resume"]) == 0
    captured = capsys.readouterr()
    assert "args.max_steps: 2 -> 4" in " ".join((captured.out + captured.err).split())
    assert yaml.safe_load((run_dir / "config.resolved.yaml").read_text())["args"]["max_steps"] == 4
    kept = yaml.safe_load((run_dir / "config.resolved.before-checkpoint-2.yaml").read_text())
    assert kept["args"]["max_steps"] == 2
    steps = [
        json.loads(line)["step"]
        for line in (run_dir / "logs.jsonl").read_text().splitlines()
        if "loss" in json.loads(line)
    ]
    assert steps == [1, 2, 3, 4]


def test_resume_from_a_weights_only_checkpoint_says_what_is_lost(cfg_paths, capsys):
    from embedding.cli import main

    cfg, run_dir = _finished_run(cfg_paths, "weights-only", save_only_model="true")
    assert not (run_dir / "checkpoint-2" / "optimizer.pt").exists()
    assert (
        main(["train", "-c", str(cfg), "--set", "args.max_steps=3", "--set", "args.save_only_model=true", "--resume"])
        == 0
    )
    captured = capsys.readouterr()
    err = " ".join((captured.out + captured.err).split())
    assert "holds the model weights only (args.save_only_model: true)" in err
    assert "learning-rate schedule start over" in err


def test_interrupt_checkpoint_survives_rotation_and_resume_says_where_it_continues(
    tmp_path, tiny_bert, efaq_dir, monkeypatch, capsys
):
    from embedding.cli import main
    from tests.training.runs import checkpoint_steps, small_config, write_config

    # save_total_limit 1 + best-model selection: the stock trainer deletes every checkpoint but the best one at
    # the end of train(), the interrupt checkpoint included
    cfg = write_config(
        tmp_path / "rotate.yaml", small_config(tiny_bert, efaq_dir, tmp_path / "rotate", evaluator=True)
    )
    run_dir = tmp_path / "rotate" / "test-run"
    assert stop_in_process(monkeypatch, cfg, 3, signal.SIGTERM) == 143
    assert checkpoint_steps(run_dir) == [2, 3]
    capsys.readouterr()

    assert main(["train", "-c", str(cfg), "--resume"]) == 0
    assert "resuming from checkpoint-3 (step 3 of 6)" in capsys.readouterr().out
    resumed = [json.loads(line) for line in (run_dir / "logs.jsonl").read_text().splitlines()]
    assert {"event": "resume", "step": 3, "of": 6}.items() <= next(
        r for r in resumed if r.get("event") == "resume"
    ).items()
    assert [r["step"] for r in resumed if "loss" in r] == [1, 2, 3, 4, 5, 6]
