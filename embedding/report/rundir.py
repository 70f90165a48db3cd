"""Read a run dir back: the resolved config, log events, resource samples and the evaluation summary."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config.schema import TrainConfig
from ..errors import UserError
from ..evaluation.runconfig import FILE_NAME, read_mapping, typed

REQUIRED = (FILE_NAME, "logs.jsonl")
# A Matryoshka size inside a metric key: dim_64_cosine_ndcg@10, cosine_ndcg@10_dim64, 64d/cosine_map@10 ...
DIM = re.compile(r"(?:^|(?<=[_/@-]))(?:dim[_-]?(\d+)|(\d+)d)(?=$|[_/-])")


@dataclass
class RunData:
    run_dir: Path
    config: TrainConfig | None  # None: the resolved config is empty or no longer validates (an older run)
    logs: list[dict[str, Any]]
    resources: list[dict[str, Any]] = field(default_factory=list)
    evaluation: dict[str, Any] | None = None

    def events(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.logs if r.get("event") == name]

    @property
    def train_events(self) -> list[dict[str, Any]]:
        return [r for r in self.logs if "event" not in r and ("loss" in r or any(k.startswith("loss/") for k in r))]

    @property
    def eval_events(self) -> list[dict[str, Any]]:
        return [r for r in self.logs if "event" not in r and any(k.startswith("eval_") for k in r)]


def _text(path: Path, what: str) -> str:
    """The file's text; UserError (exit 2) naming it when it is no text at all (an image copied over it, say)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}: not a text file (byte {exc.start} is no UTF-8); it should be {what}, written by "
            "`embedding train`: put the run's own file back, or move this one aside"
        ) from None


def _jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSONL file; a half-written last line (killed run) is skipped, not fatal."""
    if not path.exists():
        return []
    records = []
    for line in _text(path, "one JSON record per line").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _not_a_run(run_dir: Path, missing: list[str]) -> UserError:
    runs = sorted(p.parent.name for p in run_dir.glob("*/logs.jsonl"))[:5]
    hint = f"; runs inside it: {', '.join(runs)}" if runs else "; pass the folder output_dir/run_name of a run"
    return UserError(
        f"{run_dir}: not a run dir, {' and '.join(missing)} missing (written by `embedding train`)" + hint
    )


def _config(path: Path) -> TrainConfig | None:
    """The run's typed config; None when the file holds no config or one this version cannot validate.

    Raises:
        UserError: the file is not YAML at all (a report from it would be guesswork).
    """
    data = read_mapping(path)
    if data is None:
        try:
            yaml.safe_load(_text(path, "the run's resolved config (YAML)"))
        except yaml.YAMLError as exc:
            raise UserError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    return typed(data)


def _evaluation(path: Path) -> dict[str, Any] | None:
    """evaluation.json's metrics; None without one. It is written whole (renamed into place): a file that is no
    JSON object is another file, which the report must not pass over in silence."""
    if not path.is_file():
        return None
    text = _text(path, "the run's metrics (JSON)")
    try:
        evaluation = json.loads(text)
    except json.JSONDecodeError as exc:
        evaluation = exc
    if not isinstance(evaluation, dict):
        raise UserError(
            f"{path}: not the run's metrics (a JSON object written by `embedding train`); put the run's own file "
            "back, or move this one aside to report without the final metrics"
        )
    return evaluation


def load_run(run_dir: str | Path) -> RunData:
    """Load a run dir.

    Raises:
        UserError: the folder does not exist or lacks config.resolved.yaml / logs.jsonl.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: no such folder; pass a run dir (output_dir/run_name)")
    missing = [name for name in REQUIRED if not (run_dir / name).is_file()]
    if missing:
        raise _not_a_run(run_dir, missing)
    config = _config(run_dir / FILE_NAME)
    evaluation = _evaluation(run_dir / "evaluation.json")
    return RunData(
        run_dir,
        config,
        _jsonl(run_dir / "logs.jsonl"),
        _jsonl(run_dir / "resources.jsonl"),
        evaluation,
    )


def flat_metrics(values: Any, prefix: str = "") -> dict[str, float]:
    """Numbers of a metrics mapping, nested mappings flattened; a nested key that is a size becomes `dim_<n>_`."""
    out: dict[str, float] = {}
    if not isinstance(values, dict):
        return out
    for key, value in values.items():
        key = str(key)
        if isinstance(value, dict):
            sub = f"dim_{key}_" if key.isdigit() else f"{key}_"
            out.update(flat_metrics(value, prefix + sub))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[prefix + key] = float(value)
    return out


def split_dim(key: str) -> tuple[str, int | None]:
    """('dim_64_cosine_ndcg@10') -> ('cosine_ndcg@10', 64); keys without a size -> (key, None)."""
    match = DIM.search(key)
    if not match:
        return key, None
    base = (key[: match.start()] + key[match.end() :]).strip("_/-").replace("__", "_")
    return base, int(match.group(1) or match.group(2))
