"""Stops and restarts: Ctrl-C, SIGKILL mid-trial then --resume (budget counted once), and the run-dir lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from embedding.cli import main
from embedding.training.rundir.lock import lock_file
from tests.conftest import REPO
from tests.sweep.helpers import sweep_config, write_sweep

DRIVER = """
import sys
import embedding.training.run as run
from tests.sweep.fake import FakeTrain

run.train = FakeTrain(hang=lambda config, record: config.run_name == "001")
from embedding.cli import main
sys.exit(main(["sweep", "-c", sys.argv[1]]))
"""


def trials_of(run_dir):
    study = optuna.load_study(study_name=run_dir.name, storage=f"sqlite:///{run_dir / 'study.db'}")
    return study.get_trials()


def finished_dirs(run_dir) -> list[str]:
    done = [t for t in trials_of(run_dir) if t.state == TrialState.COMPLETE]
    return sorted(t.user_attrs["dir"] for t in done)


def test_ctrl_c_stops_cleanly_and_resume_runs_the_interrupted_trial_again(
    tmp_path, tiny_bert, efaq_dir, fake_train, capsys
):
    stopped = []

    def ctrl_c_once(config, record):
        if config.run_name == "001" and not stopped:
            stopped.append(1)
            raise KeyboardInterrupt

    fake = fake_train(hang=ctrl_c_once)
    path = write_sweep(tmp_path / "cfg.yaml", sweep_config(tiny_bert, efaq_dir, tmp_path / "out"))
    assert main(["sweep", "-c", str(path)]) == 130
    out = capsys.readouterr().out
    assert f"Continue with: embedding sweep --config {path} --resume" in out
    run_dir = tmp_path / "out" / "sw"
    interrupted = [t for t in trials_of(run_dir) if t.state == TrialState.FAIL]
    assert len(interrupted) == 1 and interrupted[0].user_attrs == {**interrupted[0].user_attrs, "interrupted": True}
    assert [t.state for t in trials_of(run_dir)].count(TrialState.WAITING) == 1  # queued to run again

    assert main(["sweep", "-c", str(path), "--resume"]) == 0
    # the budget, counted once: 001 runs again in its own dir; the trials after it take the next numbers
    assert finished_dirs(run_dir) == ["000", "001", "003", "004"]
    assert [r["dir"] for r in fake.runs] == ["000", "001", "001", "003", "004"]
    retry = next(t for t in trials_of(run_dir) if t.user_attrs["dir"] == "001" and t.state == TrialState.COMPLETE)
    assert retry.params == interrupted[0].params


@pytest.mark.slow  # a second Python process (imports, SQLite) killed mid-trial: ~20 s idle, minutes when shared
def test_resume_after_sigkill_mid_trial_runs_the_budget_once(tmp_path, tiny_bert, efaq_dir, fake_train):
    path = write_sweep(tmp_path / "cfg.yaml", sweep_config(tiny_bert, efaq_dir, tmp_path / "out"))
    run_dir = tmp_path / "out" / "sw"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, str(driver), str(path)], cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 300
        while not (run_dir / "trials" / "001" / "hanging").exists():
            assert process.poll() is None and time.monotonic() < deadline, "the driver never reached trial 001"
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert finished_dirs(run_dir) == ["000"]

    assert main(["sweep", "-c", str(path)]) == 2  # the run dir holds a sweep: continuing it needs --resume
    fake = fake_train()
    assert main(["sweep", "-c", str(path), "--resume"]) == 0
    assert finished_dirs(run_dir) == ["000", "001", "003", "004"]
    assert [r["dir"] for r in fake.runs] == ["001", "003", "004"]  # 000 kept, 001 again, no trial twice
    counted = [t for t in trials_of(run_dir) if t.state == TrialState.COMPLETE]
    assert len(counted) == 4 and len({t.params["args.learning_rate"] for t in counted}) == 4


def test_a_second_sweep_on_a_locked_run_dir_is_refused(tmp_path, tiny_bert, efaq_dir, capsys):
    path = write_sweep(tmp_path / "cfg.yaml", sweep_config(tiny_bert, efaq_dir, tmp_path / "out"))
    lock = lock_file(tmp_path / "out" / "sw")
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(120)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["sweep", "-c", str(path)]) == 2
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert "is being trained by another process" in err and "only through a shared `--storage`" in err
    assert not (tmp_path / "out" / "sw" / "trials").exists()
