"""The check as a small table (for the terminal) and as export_report.json (in the export folder)."""

from __future__ import annotations

from pathlib import Path

from ..models.exported import REPORT_NAME
from ..safe_files import write_json
from .check import ExportCheck


def write_report(check: ExportCheck, folder: Path) -> Path:
    return write_json(folder / REPORT_NAME, check.as_json(), folder)


def _limit(value: float | None, limit: float | None, what: str) -> str:
    shown = "n/a (a distilled model: other vectors)" if value is None else f"{value:.2e}"
    return f"{what}: {shown}" + (f" (limit {limit:.0e})" if limit is not None else " (no limit for this format)")


def table(check: ExportCheck) -> str:
    """torch vs export side by side: metric, throughput (best / median, and how measured); the embedding
    differences against their limits; the verdict."""
    speed = check.speed
    rows = [
        ("", "torch", check.format, "difference"),
        (check.metric, f"{check.metric_torch:.4f}", f"{check.metric_export:.4f}", f"{-check.drop:+.4f}"),
        (
            "texts/s best / median",
            f"{speed.torch_best:.1f} / {speed.torch_median:.1f}",
            f"{speed.export_best:.1f} / {speed.export_median:.1f}",
            f"x{check.speedup:.2f}",
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    verdict = "ok" if check.passed else "FAILED: " + "; ".join(check.failures)
    lines += [
        f"speed measured on {speed.describe()}",
        _limit(check.max_cosine_difference, check.max_cosine_limit, "max (1 - cos) vs torch")
        + f" over {check.texts} texts of {check.task} ({check.split}), batch size {check.batch_size}",
        _limit(check.batch_difference, check.batch_limit, "max (1 - cos) of a text alone vs in a batch"),
        f"check: {verdict}",
    ]
    return "\n".join(lines)
