"""A lost worker does not lose the run: torchrun's agent restarts the group, which resumes from a checkpoint."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading

import pytest
import yaml

from embedding.cli import build_parser
from embedding.training.rundir import restarts
from tests.conftest import REPO, base_config, write_tiny_bert
from tests.training.runs import checkpoint_steps, max_difference

# Loaded by every Python process started with this folder first on PYTHONPATH (torchrun's agent and workers):
# in a worker of the first attempt, rank KILL_RANK SIGKILLs itself at the end of step KILL_AT_STEP.
SITECUSTOMIZE = """
import os
if "KILL_AT_STEP" in os.environ and "LOCAL_RANK" in os.environ:
    import signal
    from transformers import TrainerCallback
    import embedding.training.run as run

    class Kill(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            first = os.environ.get("TORCHELASTIC_RESTART_COUNT") == "0"
            now = state.global_step == int(os.environ["KILL_AT_STEP"])
            if first and now and os.environ["RANK"] == os.environ["KILL_RANK"]:
                os.kill(os.getpid(), signal.SIGKILL)

    original = run.build_trainer
    run.build_trainer = lambda plan, callbacks: original(plan, callbacks + [Kill()])
"""


def write_config(tmp_path, model, data, name):
    cfg = base_config(model, data, tmp_path / name, early_stopping=None)
    cfg["objectives"] = [cfg["objectives"][0]]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg.pop("evaluator", None)
    cfg["args"] = {
        "max_steps": 6,
        "per_device_train_batch_size": 2,
        "learning_rate": 1e-3,
        "logging_steps": 1,
        "report_to": "none",
        "save_strategy": "steps",
        "save_steps": 2,
        "seed": 3,
        "dataloader_num_workers": 0,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, tmp_path / name / "test-run"


def train_two_processes(cfg, env):
    command = [sys.executable, "-m", "embedding", "train", "-c", str(cfg), "--nproc", "2", "--max-restarts", "1"]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_killed_worker_restarts_and_ends_like_an_uninterrupted_run(tmp_path, efaq_dir):
    model = write_tiny_bert(tmp_path / "bert", dropout=0.0)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": f"{hooks}{os.pathsep}{REPO}"}
    straight_cfg, straight_run = write_config(tmp_path, model, efaq_dir, "straight")
    killed_cfg, killed_run = write_config(tmp_path, model, efaq_dir, "killed")

    straight = train_two_processes(straight_cfg, env)
    assert straight.returncode == 0, straight.stderr[-3000:]
    # a random step after the first checkpoint (step 2), on a random rank
    rank, step = random.choice([0, 1]), random.choice([3, 4, 5])
    case = f"rank {rank} killed at step {step}"
    killed = train_two_processes(killed_cfg, {**env, "KILL_AT_STEP": str(step), "KILL_RANK": str(rank)})
    assert killed.returncode == 0, f"{case}: {killed.stderr[-3000:]}"

    assert max_difference(straight_run / "final", killed_run / "final") <= 1e-6, case
    records = [json.loads(line) for line in (killed_run / "logs.jsonl").read_text().splitlines()]
    [restart] = [r for r in records if r.get("event") == "restart"]
    # killed at the end of its step, before that step's checkpoint: the newest one saved before
    resumed_from = max(s for s in (2, 4) if s < step)
    assert restart["restart"] == 1, case
    # the killed rank; a survivor blocked in a collective with it may be ended by torchrun's signals too
    assert rank in restart["died_ranks"], case
    assert restart["last_logged_step"] in (step - 1, step), case
    assert restart["checkpoint"].endswith(f"checkpoint-{resumed_from}"), case
    logged = (killed_run / "train.log").read_text()
    assert "torchrun restart 1: rank " in logged and f"continuing from checkpoint-{resumed_from}" in logged, case
    assert [r["step"] for r in records if "loss" in r][-1] == 6
    assert checkpoint_steps(killed_run)[-1] == 6


def test_nproc_passes_max_restarts_to_torchrun(monkeypatch, tmp_path):
    from embedding.cli import train

    calls = []
    monkeypatch.delenv(train.SEPARATE_STORES, raising=False)
    monkeypatch.setattr(train.subprocess, "call", lambda command, env: calls.append((command, env)) or 0)
    args = build_parser().parse_args(["train", "-c", "cfg.yaml", "--nproc", "2", "--max-restarts", "3"])
    assert train.relaunch_with_torchrun(args, 2) == 0
    command, env = calls[0]
    assert "--max-restarts=3" in command and "--nproc_per_node=2" in command
    # the workers get neither flag: torchrun restarts them, and they train instead of relaunching
    assert "--nproc" not in command[command.index("embedding") :]
    # a fresh store per attempt: with torchrun's shared one a restarted rank may read a dead rank's address
    assert env[train.SEPARATE_STORES] == "1"


def test_each_process_records_its_start_and_its_orderly_exit(monkeypatch, tmp_path, caplog):
    at_exit = []
    monkeypatch.setattr(restarts.atexit, "register", lambda *call: at_exit.append(call))
    monkeypatch.setenv(restarts.RESTART_COUNT, "0")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("TORCHELASTIC_MAX_RESTARTS", "2")
    monkeypatch.setenv("TORCHELASTIC_USE_AGENT_STORE", "True")
    restarts.record_attempt(tmp_path)
    assert restarts.died(tmp_path, 0) == [1]  # started, not exited yet
    function, *call_args = at_exit[0]
    function(*call_args)
    assert restarts.died(tmp_path, 0) == []
    assert "TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1" in caplog.text  # the shared store is named, with the fix


def test_restart_continues_from_the_newest_complete_checkpoint(monkeypatch, tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "checkpoint-2").mkdir(parents=True)
    (run_dir / "checkpoint-2" / "model.safetensors").write_bytes(b"")
    monkeypatch.setenv(restarts.RESTART_COUNT, "0")
    assert restarts.restart_settings(run_dir, None, True) == (None, True)  # a fresh start: the caller's flags
    monkeypatch.setenv(restarts.RESTART_COUNT, "1")
    assert restarts.restart_settings(run_dir, None, True) == (None, True)  # no complete checkpoint: start over
    monkeypatch.setattr(restarts, "newest_usable", lambda path: path / "checkpoint-2")
    assert restarts.restart_settings(run_dir, None, True) == ("latest", False)  # --overwrite was attempt 0's


def test_died_ranks_are_those_without_an_orderly_exit(tmp_path):
    records = [
        {"attempt": 0, "rank": 0, "pid": 10, "event": "start"},
        {"attempt": 0, "rank": 1, "pid": 11, "event": "start"},
        {"attempt": 0, "rank": 0, "pid": 10, "event": "exit"},
        {"attempt": 1, "rank": 0, "pid": 20, "event": "start"},
    ]
    (tmp_path / restarts.ATTEMPTS).write_text("".join(json.dumps(r) + "\n" for r in records) + '{"cut')
    assert restarts.died(tmp_path, 0) == [1]
    assert restarts.died(tmp_path, 1) == [0]


def test_a_restarted_group_waits_for_the_last_attempts_lock(tmp_path, monkeypatch):
    from embedding.training.rundir import lock
    from tests.training.test_run_lock import start_holder

    run_dir = tmp_path / "runs" / "x"
    holder = start_holder(run_dir)  # e.g. a DataLoader worker of the dead attempt, still exiting
    try:
        monkeypatch.setenv(restarts.RESTART_COUNT, "0")
        assert "being trained by process" in lock.acquire_on_restart(run_dir, wait_s=30)  # a fresh start: at once
        monkeypatch.setenv(restarts.RESTART_COUNT, "1")
        threading.Timer(1.0, holder.stdin.close).start()  # the holder exits a second later
        assert lock.acquire_on_restart(run_dir, wait_s=120) is None
    finally:
        holder.kill()
        holder.wait(timeout=60)
        lock.release_run_dir(run_dir)
