"""Load a task's data: a BEIR folder, or a dataset split turned into IR data or scored pairs by its format."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.schema import DatasetSpec
from ..data.formats import beir
from ..data.formats.common import IRData
from ..data.formats.scored_pairs import ScoredPairs
from ..errors import ConfigError, DataError, Problem, did_you_mean, one_of
from .schema import TaskSpec

STS_ARGS = {"format", "columns", "limit", "name_to_label"}
LOCAL_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet", ".tsv", ".arrow")


@dataclass
class TaskData:
    """What one task evaluates on, loaded once and shared by every model."""

    task: TaskSpec
    where: str
    ir: IRData | None = None
    pairs: ScoredPairs | None = None
    fingerprint: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return self.ir.summary() if self.ir is not None else self.pairs.summary()  # type: ignore[union-attr]

    @property
    def texts(self) -> int:
        """Texts one model encodes for this task (queries + documents, or both sentence columns)."""
        if self.ir is not None:
            return len(self.ir.queries) + len(self.ir.corpus)
        return 2 * len(self.pairs)  # type: ignore[arg-type]


def fingerprint(payload: Any) -> str:
    """A 16-hex-digit content hash: equal only for the same texts, ids and labels."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=sorted).encode()
    return hashlib.blake2b(blob, digest_size=8).hexdigest()


def check_preprocess_args(task: TaskSpec, where: str) -> None:
    """Refuse preprocess_args the task's data path does not read, before anything is loaded."""
    from ..data.checks import preprocess_problems

    args = task.dataset.preprocess_args
    at = f"{where}.dataset.preprocess_args"
    if task.type == "ir":
        problems = preprocess_problems("retrieval", args, f"{where}.dataset")
        if "qrels_split" in args:
            problems.append(Problem(f"{at}.qrels_split", f"set the split with `{where}.split`"))
    else:
        problems = [
            Problem(f"{at}.{key}", f"not used by sts tasks{did_you_mean(key, STS_ARGS)}; valid: {one_of(STS_ARGS)}")
            for key in args
            if key not in STS_ARGS
        ]
    if problems:
        raise ConfigError(problems)


def _check_local_split(name: str, split: str, where: str) -> None:
    """For a local folder, name the split key and the splits that exist before datasets does it vaguely."""
    folder = Path(name).expanduser()
    if not folder.is_dir():
        return
    found = {p.name.split(".")[0].split("-")[0] for p in folder.iterdir() if p.suffix in LOCAL_SUFFIXES}
    if found and split not in found:
        raise DataError(f"{where}.split: split `{split}` not found in {name}; available: {', '.join(sorted(found))}")


def load_task(task: TaskSpec, index: int, *, seed: int) -> TaskData:
    """Load and convert the data of `tasks[index]`.

    Args:
        task: The task.
        index: Its position in the config, for messages (`tasks[2].split: ...`).
        seed: Seed of negative sampling / query draws / subsamples.

    Returns:
        The task's data with a content fingerprint.

    Raises:
        UserError: Unknown preprocess_args; DataError: a missing dataset, split, column or a bad row.
    """
    where = f"tasks[{index}]"
    args = dict(task.dataset.preprocess_args)
    if beir.is_beir_folder(task.dataset.name) and args.get("format", "beir") == "beir":
        if task.type != "ir":
            raise DataError(
                f"{where}.dataset: `{task.dataset.name}` is a BEIR retrieval folder; use it with "
                "type: ir (sts needs scored pairs: sentence1, sentence2, score)"
            )
        data = TaskData(task, where, ir=beir.load_beir(task.dataset.name, task.split, where=f"{where}.split"))
    else:
        data = _load_split(task, args, where, seed)
    if data.ir is not None:
        _finish_ir(data, task, seed)
        data.fingerprint = fingerprint([data.ir.queries, data.ir.corpus, data.ir.relevant_docs])
    else:
        pairs = data.pairs
        data.fingerprint = fingerprint([pairs.sentences1, pairs.sentences2, pairs.scores])  # type: ignore[union-attr]
    return data


def _load_split(task: TaskSpec, args: dict[str, Any], where: str, seed: int) -> TaskData:
    from ..data.preprocess import retrieval_data
    from ..data.sources import load_split

    _check_local_split(task.dataset.name, task.split, where)
    spec = DatasetSpec(name=task.dataset.name, args={**task.dataset.args, "split": task.split})
    raw = load_split(spec, f"{where}.dataset")
    if task.type == "ir":
        return TaskData(task, where, ir=retrieval_data(raw, args, seed=seed, where=f"{where}.dataset"))
    return TaskData(task, where, pairs=scored_pairs_of(raw, args, f"{where}.dataset"))


def scored_pairs_of(raw, args: dict[str, Any], where: str) -> ScoredPairs:
    """`columns` renames and `limit`, then the scored-pairs rows (the only shape an sts task reads)."""
    from ..data.formats.scored_pairs import check_columns, scored_pairs
    from ..data.preprocess import detect_format

    columns = args.get("columns") or {}
    missing = [theirs for theirs in columns.values() if theirs not in raw.column_names]
    if missing:
        raise DataError(
            f"{where}.preprocess_args.columns: column(s) {', '.join(missing)} not in the dataset; "
            f"it has {', '.join(raw.column_names)}"
        )
    renames = {theirs: ours for ours, theirs in columns.items() if theirs != ours}
    if renames:
        clash = [ours for ours in renames.values() if ours in raw.column_names and ours not in renames]
        raw = raw.remove_columns(clash).rename_columns(renames)
    if args.get("limit"):
        raw = raw.select(range(min(int(args["limit"]), len(raw))))
    fmt = args.get("format") or detect_format(raw.column_names) or "scored-pairs"
    if fmt != "scored-pairs":
        raise DataError(
            f"{where}: format `{fmt}` cannot be used for an `sts` task; use scored-pairs data "
            "(sentence1, sentence2, score)"
        )
    check_columns(raw, where)
    return scored_pairs(raw, where=where, name_to_label=args.get("name_to_label"))


def _finish_ir(data: TaskData, task: TaskSpec, seed: int) -> None:
    from .retrieval import subsample

    ir = data.ir
    assert ir is not None
    for key, count in sorted(ir.stats.items()):
        if count:
            data.notes.append(f"{key.replace('_', ' ')}: {count}")
    if task.max_queries or task.max_corpus:
        data.ir = ir = subsample(ir, max_queries=task.max_queries, max_corpus=task.max_corpus, seed=seed)
        data.notes.append(f"subsampled (max_queries={task.max_queries}, max_corpus={task.max_corpus})")
    if not ir.queries:
        raise DataError(f"{data.where}.dataset: no query has a relevant document; check the data or its columns")
