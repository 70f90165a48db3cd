"""One writer per run dir: a second process is refused naming the holder; a killed holder leaves no stale lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from embedding.errors import UserError
from embedding.training.rundir import lock
from embedding.training.rundir.outputs import prepare_run_dir
from tests.conftest import REPO, base_config

# Takes the lock in a fresh process, prints acquire()'s answer ("None" = held), then holds it until stdin closes.
HOLDER = """
import sys
from pathlib import Path
from embedding.training.rundir.lock import acquire
print(acquire(Path(sys.argv[1])), flush=True)
sys.stdin.readline()
"""
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}


def start_holder(run_dir: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(run_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=REPO,
    )
    assert holder.stdout.readline().strip() == "None", "the holder process did not get the lock"
    return holder


def try_in_other_process(run_dir: Path) -> str:
    """acquire() in a fresh process that exits right after: its answer."""
    result = subprocess.run(
        [sys.executable, "-c", HOLDER, str(run_dir)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=ENV,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def run_dir(tmp_path):
    path = tmp_path / "runs" / "x"
    yield path
    lock.release_run_dir(path)  # the lock lives as long as the test process unless released


def test_a_second_process_is_refused_naming_the_holder(run_dir):
    assert lock.acquire(run_dir) is None
    answer = try_in_other_process(run_dir)
    assert answer.startswith(f"{run_dir} is being trained by process {os.getpid()} (started "), answer
    assert answer.endswith("wait for it to finish or choose another run_name"), answer
    lock.release_run_dir(run_dir)
    assert not lock.lock_file(run_dir).exists()
    assert try_in_other_process(run_dir) == "None"


def test_this_process_is_refused_while_another_holds_it(run_dir):
    holder = start_holder(run_dir)
    try:
        with pytest.raises(UserError, match=f"being trained by process {holder.pid} "):
            lock.hold_run_dir(run_dir)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert lock.acquire(run_dir) is None  # a holder that exits frees the run dir


def test_the_same_process_may_take_it_again(run_dir):
    # tests and notebooks call train() several times in one process on one run dir
    assert lock.acquire(run_dir) is None
    assert lock.acquire(run_dir) is None
    assert json.loads(lock.lock_file(run_dir).read_text())["pid"] == os.getpid()


def test_a_holder_on_another_host_is_named_with_its_host(run_dir):
    path = lock.lock_file(run_dir)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"pid": 4321, "host": "gpu-node-7", "started": "2025-01-02 03:04:05"}))
    message = lock.refusal(run_dir, path)
    assert f"{run_dir} is being trained by process 4321 on gpu-node-7 (started 2025-01-02 03:04:05)" in message


def test_other_ranks_share_rank_zeros_lock(run_dir, monkeypatch):
    holder = start_holder(run_dir)  # plays rank 0 of this launch
    try:
        monkeypatch.setattr(lock, "is_main", lambda: False)
        lock.hold_run_dir(run_dir)  # a rank other than 0 does not contend for the lock
        # ...but stops with rank 0 when rank 0 was refused (in a launch, broadcast brings rank 0's answer)
        monkeypatch.setattr(lock, "broadcast", lambda _: "runs/x is being trained by process 1234")
        with pytest.raises(UserError, match="process 1234"):
            lock.hold_run_dir(run_dir)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


def test_a_filesystem_without_locks_trains_unguarded(run_dir, monkeypatch, caplog):
    def no_locks(self, *args, **kwargs):
        raise OSError(38, "Function not implemented")  # ENOSYS: e.g. a network filesystem without flock

    monkeypatch.setattr(lock.FileLock, "acquire", no_locks)
    with caplog.at_level("DEBUG", logger=lock.__name__):
        lock.hold_run_dir(run_dir)
    assert "not locked" in caplog.text


def test_a_planted_link_at_the_lock_path_is_never_written_through(run_dir, tmp_path):
    target = tmp_path / "outside.txt"
    target.write_text("theirs")
    path = lock.lock_file(run_dir)
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    assert lock.acquire(run_dir) is None  # not locked (the run dir's own checks name the link)
    assert target.read_text() == "theirs"


def test_the_lock_is_filelocks(run_dir):
    assert lock.acquire(run_dir) is None
    held = lock._HELD[lock.lock_file(run_dir)][0]
    assert isinstance(held, lock.FileLock) and held.is_locked


def finished_run(run_dir: Path) -> SimpleNamespace:
    (run_dir / "final").mkdir(parents=True)
    return SimpleNamespace(output_dir=str(run_dir.parent), run_name=run_dir.name)


def test_overwrite_never_moves_aside_a_run_being_trained(run_dir):
    config = finished_run(run_dir)
    holder = start_holder(run_dir)
    try:
        with pytest.raises(UserError, match=f"{run_dir} is being trained by process {holder.pid} "):
            prepare_run_dir(config, overwrite=True)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert (run_dir / "final").is_dir()
    assert sorted(p.name for p in run_dir.parent.iterdir() if not p.name.startswith(".")) == ["x"]
    assert prepare_run_dir(config, overwrite=True) == run_dir  # once the other run is gone, --overwrite works
    assert len(list(run_dir.parent.glob("x.old-*"))) == 1


def test_a_refused_start_does_not_keep_the_lock(run_dir):
    config = finished_run(run_dir)
    with pytest.raises(UserError, match="already holds a run"):
        prepare_run_dir(config)
    assert try_in_other_process(run_dir) == "None"


@pytest.mark.slow
def test_a_sigkilled_holder_leaves_no_stale_lock(run_dir):
    holder = start_holder(run_dir)
    os.kill(holder.pid, signal.SIGKILL)
    assert holder.wait(timeout=60) == -signal.SIGKILL
    assert json.loads(lock.lock_file(run_dir).read_text())["pid"] == holder.pid  # its file stays behind...
    assert lock.acquire(run_dir) is None  # ...but not its lock
    assert json.loads(lock.lock_file(run_dir).read_text())["pid"] == os.getpid()


# `embedding train` that pauses once it holds the run dir (prepare_run_dir returned) until the test says go, so the
# second process meets it mid-run whatever the machine's speed.
PAUSED_TRAIN = """
import sys, time
from pathlib import Path
import embedding.training.rundir.resume as resume

original = resume.prepare_run_dir

def paused(*args, **kwargs):
    run_dir = original(*args, **kwargs)
    Path(sys.argv[2]).write_text("locked")
    deadline = time.monotonic() + 600
    while not Path(sys.argv[3]).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return run_dir

resume.prepare_run_dir = paused
from embedding.cli import main
sys.exit(main(["train", "-c", sys.argv[1]]))
"""


def wait_for(path: Path, process: subprocess.Popen, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, f"the first run exited early: {process.communicate()[1][-3000:]}"
        assert time.monotonic() < deadline, "the first run never took the run dir"
        time.sleep(0.2)


@pytest.mark.slow
def test_two_train_processes_on_one_run_dir(tmp_path, tiny_bert, efaq_dir):
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {"max_steps": 4, "per_device_train_batch_size": 4, "logging_steps": 1, "save_steps": 2}
    cfg["args"] |= {"report_to": "none", "dataloader_num_workers": 0}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(cfg))
    (tmp_path / "driver.py").write_text(PAUSED_TRAIN)
    locked, go = tmp_path / "locked", tmp_path / "go"
    first = subprocess.Popen(
        [sys.executable, str(tmp_path / "driver.py"), str(config), str(locked), str(go)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=REPO,
    )
    try:
        wait_for(locked, first)
        # --overwrite: without the lock, the second run would move the first one's run dir aside
        second = subprocess.run(
            [sys.executable, "-m", "embedding", "train", "-c", str(config), "--overwrite"],
            capture_output=True,
            text=True,
            env=ENV,
            cwd=REPO,
            timeout=600,
        )
    finally:
        go.write_text("go")
    out, err = first.communicate(timeout=600)
    run_dir = tmp_path / "out" / "test-run"
    assert second.returncode == 2, second.stderr[-3000:]
    assert "Traceback" not in second.stderr
    assert f"error: {run_dir} is being trained by process {first.pid} (started " in second.stderr, second.stderr
    assert first.returncode == 0, err[-3000:]
    events = [json.loads(line) for line in (run_dir / "logs.jsonl").read_text().splitlines()]
    assert [e["step"] for e in events if "loss" in e] == [1, 2, 3, 4]  # one writer: no interleaved steps
    assert [e.get("event") for e in events].count("run_start") == 1
    assert (run_dir / "final" / "modules.json").exists()
    # nothing moved aside, and the lock file is gone with its holder
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["test-run"]
