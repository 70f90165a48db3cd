"""The mining statistics of each objective's rows, copied into the run dir: run_dir/mining/<objective>.json
(and <objective>.validation.json), which report.md reads. The same numbers stay beside the cached rows."""

from __future__ import annotations

from pathlib import Path

from ...safe_files import make_dir, write_json
from ..distributed.ranks import main_only
from ..plan import Plan

FOLDER = "mining"


@main_only
def write_mining_stats(plan: Plan) -> list[Path]:
    """One JSON file per mined split; returns the files written (none when nothing was mined)."""
    written = []
    for objective in plan.objectives:
        for suffix, data in (("", objective.train), (".validation", objective.validation)):
            stats = getattr(data, "mining", None)
            if not stats:
                continue
            path = plan.run_dir / FOLDER / f"{objective.name}{suffix}.json"
            make_dir(path.parent, plan.run_dir)  # never through a planted link (safe_files)
            write_json(path, {"objective": objective.name, **stats}, plan.run_dir, indent=1)
            written.append(path)
    return written
