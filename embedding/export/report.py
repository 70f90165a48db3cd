"""The check as a small table (for the terminal) and as export_report.json (in the export folder)."""

from __future__ import annotations

import json
from pathlib import Path

from .check import ExportCheck

REPORT_NAME = "export_report.json"


def write_report(check: ExportCheck, folder: Path) -> Path:
    path = folder / REPORT_NAME
    path.write_text(json.dumps(check.as_json(), indent=2) + "\n", encoding="utf-8")
    return path


def table(check: ExportCheck) -> str:
    """torch vs export side by side: metric, throughput; then the embedding difference and the verdict."""
    rows = [
        ("", "torch", check.format, "difference"),
        (check.metric, f"{check.metric_torch:.4f}", f"{check.metric_export:.4f}", f"{-check.drop:+.4f}"),
        (
            "texts/s",
            f"{check.texts_per_second_torch:.1f}",
            f"{check.texts_per_second_export:.1f}",
            f"x{check.speedup:.2f}",
        ),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    verdict = "ok" if check.passed else f"FAILED: metric dropped {check.drop:.4f} > --max-drop {check.max_drop}"
    lines += [
        f"max cosine difference of embeddings: {check.max_cosine_difference:.2e} "
        f"({check.texts} texts of {check.task} ({check.split}), batch size {check.batch_size})",
        f"check: {verdict}",
    ]
    return "\n".join(lines)
