"""One writer per run dir: an advisory lock that dies with the process holding it.

The lock file sits beside the run dir (`output_dir/.<run_name>.lock`), not inside it: `--overwrite` renames the
run dir, and the lock must cover that rename and the fresh dir after it. flock() locks belong to the open file,
so the kernel drops them when the holder exits however it exits (SIGKILL included): a lock file left behind is
never a stale lock. In a torchrun / accelerate launch rank 0 holds it for every rank of the launch.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import time
from pathlib import Path

from ...errors import UserError
from ..distributed.coordination import broadcast, is_main
from .restarts import restart_count

try:
    import fcntl
except ImportError:  # Windows: no flock; runs there are not guarded against a second writer
    fcntl = None

logger = logging.getLogger(__name__)

# (st_dev, st_ino) of a lock file -> (fd, pid that locked it, path). Module level, so the lock lives until the
# process exits or release_run_dir() is called, and a later train() of this process on the same run dir (tests,
# notebooks) finds it already held instead of refusing itself.
_HELD: dict[tuple[int, int], tuple[int, int, Path]] = {}


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
    if fcntl is None:
        logger.debug("no fcntl on this platform: %s is not locked against a second run", run_dir)
        return None
    path = lock_file(run_dir)
    for _ in range(5):  # the holder may remove the file between our open and our flock: then lock the new one
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)  # never a planted link
        except OSError as exc:  # an unusable output_dir: the run dir's write check reports it with the fix
            logger.debug("%s not locked: %s", run_dir, exc)
            return None
        held = _HELD.get(_key(os.fstat(fd)))
        if held and held[1] == os.getpid():
            os.close(fd)  # another open file of ours: closing it leaves the flock of the held one in place
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return refusal(run_dir, path)
        except OSError as exc:  # e.g. a network filesystem without locks: train unguarded rather than not at all
            os.close(fd)
            logger.debug("%s not locked: %s", run_dir, exc)
            return None
        if _is_file_at(fd, path):
            _record_holder(fd)
            _HELD[_key(os.fstat(fd))] = (fd, os.getpid(), path)
            return None
        os.close(fd)
    return refusal(run_dir, path)


def release_run_dir(run_dir: Path) -> None:
    """Give up this process's lock on `run_dir` (a no-op when it holds none) and remove the lock file."""
    path = lock_file(run_dir)
    for key, (_, pid, held) in list(_HELD.items()):
        if held == path and pid == os.getpid():
            _release(key)


@atexit.register
def _release_all() -> None:
    """At a normal exit remove the lock files too; the kernel drops the locks themselves in any case."""
    for key, (_, pid, _) in list(_HELD.items()):
        if pid == os.getpid():
            _release(key)


def _release(key: tuple[int, int]) -> None:
    fd, _, path = _HELD.pop(key)
    if _is_file_at(fd, path):
        path.unlink(missing_ok=True)  # while still locked: a process that opened it meanwhile sees it gone, retries
    os.close(fd)


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


def _is_file_at(fd: int, path: Path) -> bool:
    """Whether the open file `fd` is still the one at `path` (not removed or replaced since it was opened)."""
    try:
        return _key(os.stat(path)) == _key(os.fstat(fd))
    except OSError:
        return False
