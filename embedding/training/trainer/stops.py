"""Stops outside the training step: SIGINT/SIGTERM while the model is evaluated or saved, and a full disk.

Inside the training loop InterruptHandler finishes the step and saves a checkpoint; outside it there is nothing
to finish, so the run stops at once, says what to run next and exits 130/143 (Interrupted), instead of dying
silently (the default SIGTERM action). A full disk is no bug but something the user fixes: exit 2 (UserError),
naming the checkpoint that is intact.
"""

from __future__ import annotations

import errno
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...errors import Interrupted, UserError
from ..rundir.checkpoints import newest_usable
from ..rundir.outputs import write_run_report
from .session import Session

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
NO_SPACE_TEXT = ("No space left on device", "Disk quota exceeded")
# torch's zip writer (torch.save: optimizer.pt, training_args.bin) reports a failed write without the errno:
# "[enforce fail at inline_container.cc:672] . unexpected pos 1088 vs 1030", "PytorchStreamWriter failed writing
# file ...", "file write failed". By the time the run stops, the half checkpoint is removed and its space given
# back, so the free space no longer tells; a failed write of a checkpoint is a full disk far more often than
# anything else, and the message names what is intact either way.
TORCH_WRITE_FAILED = ("unexpected pos", "PytorchStreamWriter failed writing", "file write failed")
NEARLY_FULL = 16 * 2**20  # bytes: a bare RuntimeError / OSError with this little space left is a full disk


class _Signalled(BaseException):
    """Raised by the handler: a BaseException, so that no library's `except Exception` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise(signum, frame) -> None:
    raise _Signalled(signum)


@contextmanager
def stop_on_signals(session: Session, during: str, command: str, verb: str = "Resume with") -> Iterator[None]:
    """SIGINT/SIGTERM in the block stop the run: logged, report.md written, `verb: command` printed, Interrupted.

    `during`: what was running ("the evaluation after training"); `command`: what continues the run.
    """
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {signum: signal.signal(signum, _raise) for signum in (signal.SIGINT, signal.SIGTERM)}
    stopped = None
    try:
        yield
    except _Signalled as signalled:
        stopped = Interrupted(signalled.signum, session.trainer.state.global_step)
    finally:
        for signum, handler in previous.items():  # a second signal while reporting: the usual way out
            signal.signal(signum, handler)
    if stopped is None:
        return
    # No step before training: a run dir whose log has a step holds a run, which a plain rerun would not touch.
    step = {"step": stopped.step} if stopped.step else {}
    session.log.write({"event": "interrupted", **step, "during": during, "resume": command})
    write_run_report(session.run_dir, session.config_path)
    print(f"{stopped}, during {during}. {verb}: {command}", flush=True)
    raise stopped


@contextmanager
def disk_full_stops(run_dir: Path, resume: str, restart: str) -> Iterator[None]:
    """A full disk in the block (a checkpoint, the final model, a result file) -> UserError naming what is intact.

    `resume` continues from the newest intact checkpoint; `restart` starts over when there is none.
    """
    try:
        yield
    except Exception as exc:
        if not _no_space(exc, run_dir):
            raise
        kept = newest_usable(run_dir)
        if kept is None:
            then = f"no checkpoint was written yet; free space, then start over: {restart}"
        else:
            then = f"{kept.name} is intact; free space, then --resume ({resume})"
        raise UserError(f"no space left on the device holding {run_dir}; {then}") from None


def _no_space(exc: BaseException, run_dir: Path) -> bool:
    """Whether `exc` (or an exception it came from) says the disk is full, or a write failed on a full disk."""
    chain, seen = [], exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    if any(getattr(e, "errno", None) in NO_SPACE or any(t in str(e) for t in NO_SPACE_TEXT) for e in chain):
        return True
    if any(isinstance(e, RuntimeError) and any(t in str(e) for t in TORCH_WRITE_FAILED) for e in chain):
        return True
    if not any(isinstance(e, (OSError, RuntimeError)) for e in chain):
        return False
    try:
        return shutil.disk_usage(run_dir).free < NEARLY_FULL
    except OSError:
        return False
