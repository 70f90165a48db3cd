"""The run report: `report.md` plus PNG plots in the run dir, written at the end of a run or by `embedding report`.

Everything is read back from the run dir's files (logs.jsonl, resources.jsonl, evaluation.json,
config.resolved.yaml), so a report can be regenerated at any time, also for an interrupted run.
"""

from __future__ import annotations

from .write import write_report

__all__ = ["write_report"]
