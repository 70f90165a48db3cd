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
from ..errors import DataError, UserError, did_you_mean
from .schema import TaskSpec

COMMON_ARGS = {"format", "columns", "limit"}
FORMAT_ARGS = {  # preprocess_args each (task type, format) understands, besides COMMON_ARGS
    ("ir", "efaq"): {"negative_samples"},
    ("ir", "labeled"): {"queries_per_label"},
    ("ir", "beir"): set(),
    ("sts", "scored-pairs"): {"name_to_label"},
}
LOCAL_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet", ".tsv", ".arrow")


@dataclass
class TaskData:
    """What one task evaluates on, loaded once and shared by every model."""

    task: TaskSpec
    where: str
    format: str
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


def _check_args(args: dict[str, Any], kind: str, fmt: str, where: str) -> None:
    if (kind, fmt) not in FORMAT_ARGS:
        usable = sorted(f for k, f in FORMAT_ARGS if k == kind)
        raise DataError(f"{where}.dataset: format `{fmt}` cannot be used for an `{kind}` task; use "
                        f"{', '.join(usable)} data" + (" (a BEIR folder: corpus.jsonl, queries.jsonl, qrels/)"
                                                        if kind == "ir" else ""))
    valid = FORMAT_ARGS[(kind, fmt)] | (COMMON_ARGS if fmt != "beir" else {"format"})
    for key in args:
        if key not in valid:
            raise UserError(f"{where}.dataset.preprocess_args.{key}: not used by `{kind}` tasks on {fmt} data"
                            f"{did_you_mean(key, valid)}; valid here: {', '.join(sorted(valid))}")


def _check_local_split(name: str, split: str, where: str) -> None:
    """For a local folder, name the split key and the splits that exist before datasets does it vaguely."""
    folder = Path(name)
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
        _check_args(args, task.type, "beir", where)
        data = TaskData(task, where, "beir", ir=beir.load_beir(task.dataset.name, task.split, where=f"{where}.split"))
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
    from ..data.preprocess import _prepare
    from ..data.sources import load_split

    _check_local_split(task.dataset.name, task.split, where)
    spec = DatasetSpec(name=task.dataset.name, args={**task.dataset.args, "split": task.split})
    raw = load_split(spec, f"{where}.dataset")
    raw, fmt = _prepare(raw, args, f"{where}.dataset")
    _check_args(args, task.type, fmt, where)
    data = TaskData(task, where, fmt)
    if fmt == "efaq":
        from ..data.formats import efaq

        efaq.check_columns(raw, f"{where}.dataset")
        data.ir = efaq.retrieval(raw, negative_samples=int(args.get("negative_samples", -1)), seed=seed,
                                 where=f"{where}.dataset")
    elif fmt == "labeled":
        from .labeled_ir import labeled_retrieval

        data.ir = labeled_retrieval(raw, queries_per_label=args.get("queries_per_label"), seed=seed,
                                    where=f"{where}.dataset")
    else:
        from ..data.formats.scored_pairs import check_columns, scored_pairs

        check_columns(raw, f"{where}.dataset")
        data.pairs = scored_pairs(raw, where=f"{where}.dataset", name_to_label=args.get("name_to_label"))
    return data


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
