"""Result rows, and the results.json / results.csv files of an output folder.

A row is one number: (model, task, dataset, dataset_fingerprint, split, dim, similarity, metric) -> value, with
the date of the run that produced it. Writing merges into the existing files: a new row *replaces* an old row
with the same key, every other old row is kept. Re-running an evaluation therefore updates its numbers in place
(with the new date) and never duplicates them; results.json is the source, results.csv is rewritten from it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..safe_files import write_text

JSON_NAME = "results.json"
CSV_NAME = "results.csv"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ResultRow:
    """One metric value of one model on one task at one embedding size (dim None: BM25, no embedding)."""

    model: str
    task: str
    dataset: str
    dataset_fingerprint: str
    split: str
    dim: int | None
    similarity: str
    metric: str
    value: float
    date: str

    @property
    def key(self) -> tuple:
        return (
            self.model,
            self.task,
            self.dataset,
            self.dataset_fingerprint,
            self.split,
            self.dim,
            self.similarity,
            self.metric,
        )


COLUMNS = [f.name for f in fields(ResultRow)]


def split_metric(key: str) -> tuple[str, str]:
    """ST metric key -> (similarity, metric): 'cosine_ndcg@10' -> ('cosine', 'ndcg@10'),
    'spearman_cosine' -> ('cosine', 'spearman'), 'bm25_mrr@10' -> ('bm25', 'mrr@10')."""
    head, _, tail = key.partition("_")
    if not tail:
        return "", key
    if "@" in tail:  # IR keys: <similarity>_<metric>@k
        return head, tail
    return tail, head  # STS keys: <metric>_<similarity>


def rows_from_metrics(metrics: dict[str, float], **common: Any) -> list[ResultRow]:
    """One ResultRow per metric of an evaluator's output; `common` fills the other columns."""
    rows = []
    for key, value in metrics.items():
        similarity, metric = split_metric(key)
        rows.append(ResultRow(similarity=similarity, metric=metric, value=float(value), **common))
    return rows


def _row(item: dict[str, Any], source: Path, number: int) -> ResultRow:
    try:
        dim = item.get("dim")
        return ResultRow(**{**item, "dim": int(dim) if dim not in (None, "") else None, "value": float(item["value"])})
    except (TypeError, ValueError, KeyError) as exc:
        raise UserError(
            f"{source}: row {number} is not a results row ({exc}); move the file away or fix it "
            f"(columns: {', '.join(COLUMNS)})"
        ) from None


def read_results(folder: str | Path) -> list[ResultRow]:
    """Rows already in `folder` (results.json, else results.csv); [] if there are none."""
    folder = Path(folder)
    json_path, csv_path = folder / JSON_NAME, folder / CSV_NAME
    if json_path.exists():
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError(
                f"{json_path}: not readable as JSON ({exc}); move it away or choose another output_dir"
            ) from None
        items = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise UserError(
                f"{json_path}: not a results file of `embedding evaluate` (no `rows` list); move it "
                "away or choose another output_dir"
            )
        return [_row(item, json_path, i) for i, item in enumerate(items)]
    if csv_path.exists():
        with csv_path.open(encoding="utf-8", newline="") as handle:
            return [_row(item, csv_path, i) for i, item in enumerate(csv.DictReader(handle))]
    return []


def merge(old: list[ResultRow], new: list[ResultRow]) -> tuple[list[ResultRow], int]:
    """Old rows whose key is not in `new`, then `new`; also returns how many old rows were replaced."""
    keys = {row.key for row in new}
    kept = [row for row in old if row.key not in keys]
    return kept + list(new), len(old) - len(kept)


def _atomic_write(path: Path, text: str) -> None:
    write_text(path, text)  # readers never see a half-written file; never written through a link (safe_files)


def write_results(folder: str | Path, rows: list[ResultRow]) -> tuple[Path, Path, int]:
    """Merge `rows` into folder/results.json and folder/results.csv.

    Args:
        folder: The output folder (created if needed).
        rows: This run's rows.

    Returns:
        (json path, csv path, number of old rows replaced).

    Raises:
        UserError: The folder is not writable, or holds a results file this code cannot read.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"output_dir: cannot create {folder} ({exc.strerror}); choose a writable folder") from None
    merged, replaced = merge(read_results(folder), rows)
    json_path, csv_path = folder / JSON_NAME, folder / CSV_NAME
    head = json.dumps({"format": FORMAT_VERSION, "columns": COLUMNS})[:-1]
    body = ",\n  ".join(json.dumps(asdict(r), ensure_ascii=False) for r in merged)  # one row per line: diffable
    _atomic_write(json_path, f'{head}, "rows": [\n  {body}\n]}}\n' if merged else f'{head}, "rows": []}}\n')
    table = io.StringIO(newline="")
    csv.writer(table, lineterminator="\n").writerows(
        [COLUMNS] + [["" if getattr(r, c) is None else getattr(r, c) for c in COLUMNS] for r in merged]
    )
    _atomic_write(csv_path, table.getvalue())
    return json_path, csv_path, replaced
