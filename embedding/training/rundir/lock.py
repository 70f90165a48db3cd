"""One writer per run dir: an advisory lock (filelock) that dies with the process holding it.

The lock file sits beside the run dir (`output_dir/.<run_name>.lock`), not inside it: `--overwrite` renames the
run dir, and the lock must cover that rename and the fresh dir after it. `filelock.FileLock` takes an OS lock
(flock on Unix) that belongs to the open file, so the kernel drops it when the holder exits however it exits
(SIGKILL included): a lock file left behind is never a stale lock. It refuses a planted symbolic link and follows
the holder through a fork (DataLoader workers do not release it). A later train() of this process on the same run
dir (tests, notebooks) finds it already held here (`_HELD`). What this module adds is the holder's record (pid,
host, start time, written into the lock file as it is taken) for the message a second process gets. In a
torchrun / accelerate launch rank 0 holds it for every rank of the launch.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import time
from pathlib import Path

from filelock import FileLock, Timeout

from ...errors import UserError
from ..distributed.coordination import broadcast, is_main
from .restarts import restart_count

logger = logging.getLogger(__name__)

# lock file -> (its FileLock, the pid that took it, the locked file's (st_dev, st_ino)). Module level, so the lock
# lives until the process exits or release_run_dir() is called.
_HELD: dict[Path, tuple[FileLock, int, tuple[int, int]]] = {}


def lock_file(run_dir: Path) -> Path:
    return Path(os.path.abspath(run_dir.with_name(f".{run_dir.name}.lock")))


# How long a group restarted by torchrun waits for the dead attempt's lock: the agent stops the old processes
# before it starts the new ones, but DataLoader workers they forked share the lock's open file until they notice
# their parent is gone (PyTorch checks every 5 s).
RESTART_WAIT_S = 60.0


def hold_run_dir(run_dir: Path) -> None:
    """Lock `run_dir` for this launch (rank 0 locks, the other ranks share it); all raise if another holds it."""
    refusal = broadcast(acquire_on_restart(run_dir) if is_main() else None)
    if refusal:
        raise UserError(refusal)


def acquire_on_restart(run_dir: Path, wait_s: float = RESTART_WAIT_S) -> str | None:
    """acquire(); on a torchrun restart, retried for up to `wait_s` while the last attempt's processes exit."""
    deadline = time.monotonic() + (wait_s if restart_count() else 0.0)
    while (refusal := acquire(run_dir)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return refusal


def acquire(run_dir: Path) -> str | None:
    """Lock `run_dir` for this process: None once held (now or by an earlier call), else who holds it."""
    path = lock_file(run_dir)
    held = _HELD.get(path)
    if held and held[1] == os.getpid() and held[0].is_locked:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(path, on_acquired=_record_holder)  # the record is written before the lock is announced
        lock.acquire(timeout=0)
        _HELD[path] = (lock, os.getpid(), _key(os.stat(path)))
    except Timeout:
        return refusal(run_dir, path)
    except OSError as exc:  # an unusable output_dir, a planted link (reported by the run dir's checks), a network
        logger.debug("%s not locked: %s", run_dir, exc)  # filesystem without locks: train unguarded, not at all
    return None


def release_run_dir(run_dir: Path) -> None:
    """Give up this process's lock on `run_dir` (a no-op when it holds none) and remove the lock file."""
    path = lock_file(run_dir)
    held = _HELD.get(path)
    if held and held[1] == os.getpid():
        _release(path)


@atexit.register
def _release_all() -> None:
    """At a normal exit remove the lock files too; the kernel drops the locks themselves in any case."""
    for path, (_, pid, _) in list(_HELD.items()):
        if pid == os.getpid():
            _release(path)


def _release(path: Path) -> None:
    lock, _, identity = _HELD.pop(path)
    try:
        if _key(os.stat(path)) == identity:
            path.unlink()  # while still locked: a process that opened it meanwhile finds it gone and retries
    except OSError:
        pass
    lock.release(force=True)


def refusal(run_dir: Path, path: Path) -> str:
    """The message for a second process: which run dir, which process holds it since when, and what to do."""
    holder = _read_holder(path)
    fix = "wait for it to finish or choose another run_name"
    if not holder:
        return f"{run_dir} is being trained by another process (it holds {path}); {fix}"
    host = holder.get("host")
    on = f" on {host}" if host and host != socket.gethostname() else ""
    return f"{run_dir} is being trained by process {holder.get('pid')}{on} (started {holder.get('started')}); {fix}"


def _record_holder(fd: int) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, (json.dumps(info) + "\n").encode())


def _read_holder(path: Path) -> dict:
    """The holder's record; it writes it right after locking, so an empty file is worth a short wait."""
    for _ in range(20):
        try:
            holder = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(holder, dict) and holder.get("pid"):
                return holder
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return {}


def _key(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_dev, stat.st_ino
