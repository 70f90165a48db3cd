"""Several `embedding sweep` processes on one study in a real PostgreSQL (a throw-away server on a socket)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.conftest import REPO
from tests.sweep.helpers import sweep_config, write_sweep

pytestmark = pytest.mark.slow  # a database server and two sweep processes


def _tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if not found:
        pytest.fail(f"{name} not found: install PostgreSQL (.ci/run does: apt-get install postgresql)")
    return found


@pytest.fixture
def postgres():
    """A PostgreSQL server on a Unix socket in a temp dir (as user postgres when the tests run as root)."""
    root = Path(tempfile.mkdtemp(prefix="sweep-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", 54329
    subprocess.run(
        [*as_user, _tool("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"], check=True, capture_output=True
    )
    options = f"-k {root} -c listen_addresses='' -p {port}"
    subprocess.run(
        [*as_user, _tool("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@/postgres?host={root}&port={port}"
    finally:
        subprocess.run(
            [*as_user, _tool("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


def start(config: Path, storage: str, out: Path, **env: str) -> subprocess.Popen:
    environ = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
        "SWEEP_FAKE": "1",
        "EMBEDDING_SWEEP_HEARTBEAT_S": "2",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "sweep" / "driver.py"), "-c", str(config), "--storage", storage],
        cwd=REPO,
        env=environ,
        stdout=open(out, "w"),
        stderr=subprocess.STDOUT,
    )


def finished(storage: str) -> list[optuna.trial.FrozenTrial]:
    study = optuna.load_study(study_name="sw", storage=storage.replace("postgresql://", "postgresql+psycopg://"))
    return [t for t in study.get_trials() if t.state == TrialState.COMPLETE]


def logs(folder: Path) -> str:
    """Both processes' output, for a failure message."""
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(folder.glob("?.log")))


def best_line(path: Path) -> str:
    return next(line for line in path.read_text().splitlines() if line.startswith("best trial"))


def test_two_processes_share_one_study(tmp_path, tiny_bert, efaq_dir, postgres):
    cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / "out", trials=6)
    path = write_sweep(tmp_path / "cfg.yaml", cfg)
    first = start(path, postgres, tmp_path / "a.log", SWEEP_TRIAL_S="2")
    second = start(path, postgres, tmp_path / "b.log", SWEEP_TRIAL_S="7")  # both create the tables: one waits
    codes = first.wait(timeout=600), second.wait(timeout=600)
    assert codes == (0, 0), logs(tmp_path)
    done = finished(postgres)
    assert len(done) == 6 and len({t.params["args.learning_rate"] for t in done}) == 6  # none twice
    hosts = {"a": (tmp_path / "a.log").read_text(), "b": (tmp_path / "b.log").read_text()}
    assert all(" finished | " in text for text in hosts.values())  # both ran trials
    # the quicker process waits for the other's last trial: both report the same, complete sweep
    assert all(text.split("sweep sw:")[-1].count("│ finished │") == 6 for text in hosts.values()), logs(tmp_path)
    assert best_line(tmp_path / "a.log") == best_line(tmp_path / "b.log")


def test_a_killed_process_trial_is_run_again_by_the_other(tmp_path, tiny_bert, efaq_dir, postgres):
    cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / "out", trials=4)
    path = write_sweep(tmp_path / "cfg.yaml", cfg)
    doomed = start(path, postgres, tmp_path / "a.log", SWEEP_HANG="000")
    marker = tmp_path / "out" / "sw" / "trials" / "000" / "hanging"
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert doomed.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    survivor = start(path, postgres, tmp_path / "b.log", SWEEP_TRIAL_S="1")
    time.sleep(2)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    assert survivor.wait(timeout=600) == 0, logs(tmp_path)
    done = finished(postgres)
    assert len(done) == 4 and len({t.params["args.learning_rate"] for t in done}) == 4
    assert "000" in {t.user_attrs["dir"] for t in done}  # the killed trial, run again by the survivor
    assert "best trial" in (tmp_path / "b.log").read_text()


def open_storage(url: str, barrier: threading.Barrier, errors: list[str]) -> None:
    from embedding.sweep.study import make_storage

    barrier.wait()
    try:
        make_storage(url, 2)
    except Exception as exc:  # noqa: BLE001 - collected for the assertion
        errors.append(str(exc))


def test_workers_creating_the_tables_at_once_all_open_the_storage(postgres):
    """Workers started together all create Optuna's tables: the ones that lose the race wait, none exits 2."""
    import sqlalchemy

    admin = sqlalchemy.create_engine(
        postgres.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    for round in range(4):
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f"CREATE DATABASE fresh{round}"))
        url = postgres.replace("/postgres?", f"/fresh{round}?")
        barrier, errors = threading.Barrier(6), []
        threads = [threading.Thread(target=open_storage, args=(url, barrier, errors)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
    admin.dispose()
