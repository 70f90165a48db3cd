"""What a training run returns: where the model is and how it evaluated before and after training."""

from __future__ import annotations

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
