"""What a training run returns: where the model is and how it evaluated before and after training."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RunResult:
    run_dir: Path
    model_dir: Path
    before: dict[str, float] = field(default_factory=dict)
    after: dict[str, float] = field(default_factory=dict)
    main_metric: str | None = None
    train_metrics: dict[str, Any] = field(default_factory=dict)
    task_rows: list[Any] = field(default_factory=list)  # evaluation.tasks: ResultRows, model "before" / "after"

    @property
    def got_worse(self) -> bool:
        """Whether the main metric is lower after training than before (`evaluation.fail_if_worse`)."""
        m = self.main_metric
        return bool(m and m in self.before and m in self.after and self.after[m] < self.before[m])


def stored_result(run_dir: Path) -> RunResult | None:
    """The result of a finished run, read back from its run dir; None when the run did not finish.

    Finished: final/ and evaluation.json are there and the last record of logs.jsonl is run_end (written after
    both; a process that continues the run logs run_start after it).
    """
    final, summary = run_dir / "final", run_dir / "evaluation.json"
    if not final.is_dir() or not summary.is_file() or _last_event(run_dir / "logs.jsonl") != "run_end":
        return None
    try:
        stored = json.loads(summary.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None  # cut short by a kill: finishing again rewrites it
    if not isinstance(stored, dict):
        return None
    return RunResult(
        run_dir=run_dir,
        model_dir=final,
        before=stored.get("before") or {},
        after=stored.get("after") or {},
        main_metric=stored.get("main_metric"),
        train_metrics=stored.get("train_metrics") or {},
    )


def _last_event(logs: Path) -> str | None:
    """The `event` of the last complete record of a JSONL log (None: no log, or its last record is no event)."""
    if not logs.is_file():
        return None
    for line in reversed(logs.read_text(encoding="utf-8", errors="replace").splitlines()):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a half-written last line
        return record.get("event") if isinstance(record, dict) else None
    return None
