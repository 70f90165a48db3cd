"""Restarts by torchrun's elastic agent (`--max-restarts K`): a restarted group continues the run by itself.

When a worker dies the agent stops the others and starts the group again with TORCHELASTIC_RESTART_COUNT
raised by one. A restarted process resumes from the run dir's newest complete checkpoint as `--resume` would
(and never moves the run aside as `--overwrite` would: that flag was for the first attempt). A fresh launch
(count 0) keeps the usual rules: a run dir that holds a run needs `--resume` or `--overwrite`.

Which rank died is read from `.attempts.jsonl` in the run dir: every process of a torchrun launch appends a
`start` record and, when Python exits in any orderly way (an error included), an `exit` record; a process killed
by a signal writes no `exit`. A survivor blocked in a collective with the dead rank cannot exit in order either
(torchrun's agent ends it with SIGTERM, then SIGKILL), so the ranks named are the lost one plus any such survivor.
The step is the last one logged in logs.jsonl before the restart.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from ...safe_files import append_text
from ..distributed.coordination import is_main
from .checkpoints import newest_usable

logger = logging.getLogger(__name__)

RESTART_COUNT = "TORCHELASTIC_RESTART_COUNT"
ATTEMPTS = ".attempts.jsonl"


def restart_count() -> int:
    """How many times torchrun's agent has restarted this group (0: the first attempt, or no torchrun)."""
    try:
        return max(int(os.environ.get(RESTART_COUNT, "0")), 0)
    except ValueError:
        return 0


def restart_settings(run_dir: Path, resume: Any, overwrite: bool) -> tuple[Any, bool]:
    """The (resume, overwrite) a process starts with: the caller's, or on a restart the newest complete checkpoint.

    A group that died before its first checkpoint starts over (its partial run moved aside, as with --overwrite).
    """
    if restart_count() == 0:
        return resume, overwrite
    if newest_usable(run_dir) is not None:
        return "latest", False
    return None, True


def record_attempt(run_dir: Path) -> None:
    """Append this process's `start` record (under torchrun only) and its `exit` record at an orderly exit."""
    if RESTART_COUNT not in os.environ:
        return
    _append(run_dir, "start")
    atexit.register(_append, run_dir, "exit")
    shared = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
    if shared and os.environ.get("TORCHELASTIC_MAX_RESTARTS", "0") not in ("", "0") and is_main():
        logger.warning(
            "torchrun --max-restarts with the store shared between torchrun and the workers: a restarted group "
            "can read a dead rank's address and fail to connect (pytorch/pytorch#135712). Launch with "
            "TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1 in the environment (`embedding train --nproc` sets it)"
        )


def _append(run_dir: Path, event: str) -> None:
    record = {"attempt": restart_count(), "rank": int(os.environ.get("RANK", "0")), "pid": os.getpid()}
    try:
        append_text(run_dir / ATTEMPTS, json.dumps({**record, "event": event, "time": round(time.time(), 3)}) + "\n")
    except OSError as exc:  # a record of who died is worth less than the run itself
        logger.debug("%s not recorded: %s", event, exc)


def died(run_dir: Path, attempt: int) -> list[int]:
    """The ranks of `attempt` that started and never exited in an orderly way (ended by a signal)."""
    started, exited = set(), set()
    for record in _records(run_dir / ATTEMPTS):
        if record.get("attempt") == attempt:
            (started if record.get("event") == "start" else exited).add(record.get("pid"))
    ranks = {r.get("rank") for r in _records(run_dir / ATTEMPTS) if r.get("pid") in started - exited}
    return sorted(rank for rank in ranks if isinstance(rank, int))


def last_logged_step(run_dir: Path) -> int | None:
    steps = [r["step"] for r in _records(run_dir / "logs.jsonl") if isinstance(r.get("step"), int)]
    return steps[-1] if steps else None


def _records(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by the kill
        if isinstance(record, dict):
            records.append(record)
    return records


def note_restart(run_dir: Path, checkpoint: Path | None) -> None:
    """On a restart, say it (console and train.log) and append a `restart` event to logs.jsonl (rank 0)."""
    count = restart_count()
    if count == 0 or not is_main():
        return
    ranks, step = died(run_dir, count - 1), last_logged_step(run_dir)
    source = checkpoint.name if checkpoint is not None else "the base model (no complete checkpoint yet)"
    who = f"rank {', '.join(map(str, ranks))} ended by a signal" if ranks else "a worker died"
    after = f" after step {step} (the last one logged)" if step is not None else ""
    logger.warning("torchrun restart %d: %s%s; continuing from %s", count, who, after, source)
    event = {
        "event": "restart",
        "restart": count,
        "died_ranks": ranks,
        "last_logged_step": step,
        "checkpoint": str(checkpoint) if checkpoint is not None else None,
        "time": round(time.time(), 3),
    }
    append_text(run_dir / "logs.jsonl", json.dumps(event) + "\n")  # never through a planted link (safe_files)
