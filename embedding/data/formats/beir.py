"""BEIR retrieval folders: `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv`, the layout BEIR and MTEB ship.

A document's text is ``(title + " " + text).strip()``, as MTEB embeds it, so scores match published MTEB results.
Ids are kept as the files give them (not one id per distinct text as in the e-faq transform): the qrels refer to
them, and MTEB breaks ties between equal scores by those ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field

from ...errors import DataError
from ..args import DataArgs
from ..local import check_utf8
from .base import Recipe
from .common import IRData

CORPUS = "corpus.jsonl"
QUERIES = "queries.jsonl"
QRELS = "qrels"


def is_beir_folder(path: str | Path) -> bool:
    """Whether `path` is a folder with corpus.jsonl, queries.jsonl and a qrels/ folder."""
    folder = Path(path).expanduser()
    return (
        folder.is_dir() and (folder / CORPUS).is_file() and (folder / QUERIES).is_file() and (folder / QRELS).is_dir()
    )


def splits(path: str | Path) -> list[str]:
    """The splits a BEIR folder has: one per `qrels/<split>.tsv`."""
    return sorted(p.stem for p in (Path(path).expanduser() / QRELS).glob("*.tsv"))


def beir_files(path: str | Path, split: str) -> list[Path]:
    """The three files one split reads (corpus, queries, qrels), for fingerprints and messages."""
    folder = Path(path).expanduser()
    return [folder / CORPUS, folder / QUERIES, folder / QRELS / f"{split}.tsv"]


def _jsonl(path: Path):
    """Yield (line number, object) for each non-blank line; a broken line names the file and line."""
    check_utf8(path)
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{path}: line {number}: invalid JSON ({exc.msg}, column {exc.colno}); fix or remove that line"
                ) from None
            if not isinstance(item, dict):
                raise DataError(
                    f"{path}: line {number}: expected a JSON object with `_id` and `text`, got a {type(item).__name__}"
                )
            yield number, item


def _text(item: dict[str, Any], key: str, path: Path, number: int) -> str:
    value = item.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DataError(
            f"{path}: line {number}, field `{key}`: expected a string, got a {type(value).__name__} "
            f"({str(value)[:40]!r})"
        )
    return value


def _item_id(item: dict[str, Any], path: Path, number: int) -> str:
    if "_id" not in item or item["_id"] in (None, ""):
        raise DataError(f"{path}: line {number}: field `_id` is missing; every BEIR record needs an `_id`")
    return str(item["_id"])


def read_corpus(path: Path) -> dict[str, str]:
    """{doc id: title + " " + text}, in file order."""
    corpus: dict[str, str] = {}
    for number, item in _jsonl(path):
        doc_id = _item_id(item, path, number)
        if doc_id in corpus:
            raise DataError(f"{path}: line {number}, field `_id`: duplicate id `{doc_id}`; ids must be unique")
        corpus[doc_id] = (_text(item, "title", path, number) + " " + _text(item, "text", path, number)).strip()
    return corpus


def read_queries(path: Path, wanted: set[str]) -> dict[str, str]:
    """{query id: text} for the ids in `wanted` (a queries file usually holds every split's queries)."""
    queries: dict[str, str] = {}
    for number, item in _jsonl(path):
        query_id = _item_id(item, path, number)
        if query_id in wanted:
            text = _text(item, "text", path, number).strip()
            if not text:
                raise DataError(
                    f"{path}: line {number}, field `text`: query `{query_id}` is empty; give it a text "
                    "or remove its qrels"
                )
            queries[query_id] = text
    return queries


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """{query id: {doc id: score}} from a TSV with columns query-id, corpus-id, score (header optional)."""
    check_utf8(path)
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\r\n").split("\t")  # BEIR's qrels have CRLF line ends
            if fields == [""]:
                continue
            if len(fields) < 3:
                raise DataError(
                    f"{path}: line {number}: expected 3 tab-separated columns (query-id, corpus-id, "
                    f"score), got {len(fields)}; separate the columns with tabs"
                )
            try:
                score = int(float(fields[2]))
            except ValueError:
                if number == 1:  # the header line
                    continue
                raise DataError(f"{path}: line {number}, column score: expected a number, got {fields[2]!r}") from None
            qrels.setdefault(fields[0].strip(), {})[fields[1].strip()] = score
    return qrels


def _check_known(ids: dict[str, list[str]], known: dict[str, str], what: str, qrels: Path, source: Path) -> None:
    missing = [i for i in ids if i not in known]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DataError(
            f"{qrels}: column {what}: id `{missing[0]}`{more} is not in {source}; fix the qrels or add "
            "the missing records"
        )


def load_beir(path: str | Path, split: str, *, where: str = "dataset") -> IRData:
    """Read one split of a BEIR folder as IR data.

    Args:
        path: The folder holding corpus.jsonl, queries.jsonl and qrels/.
        split: The qrels file to use (`qrels/<split>.tsv`).
        where: Config key path for error messages.

    Returns:
        IRData with every corpus document, the split's judged queries, and the pairs with a score > 0 as relevant.

    Raises:
        DataError: A missing split or file, a malformed line, or a qrels id that the corpus/queries lack.
    """
    folder = Path(path).expanduser()
    if not is_beir_folder(folder):
        raise DataError(f"{where}: `{folder}` is not a BEIR folder; it needs {CORPUS}, {QUERIES} and {QRELS}/")
    corpus_path, queries_path, qrels_path = beir_files(folder, split)
    if not qrels_path.is_file():
        raise DataError(
            f"{where}: split `{split}` not found: no {qrels_path}; available: {', '.join(splits(folder)) or 'none'}"
        )
    qrels = read_qrels(qrels_path)
    relevant = {q: {d for d, score in docs.items() if score > 0} for q, docs in qrels.items()}
    relevant = {q: docs for q, docs in relevant.items() if docs}
    if not relevant:
        raise DataError(f"{qrels_path}: no query has a relevant document (score > 0)")
    queries = read_queries(queries_path, set(relevant))
    _check_known(relevant, queries, "query-id", qrels_path, queries_path)
    corpus = read_corpus(corpus_path)
    _check_known({d: [] for docs in relevant.values() for d in docs}, corpus, "corpus-id", qrels_path, corpus_path)
    data = IRData()
    data.queries = queries
    data.corpus = corpus
    data.relevant_docs = relevant
    data.stats["empty_documents"] = sum(1 for text in corpus.values() if not text)
    return data


class BeirArgs(DataArgs):
    qrels_split: str | None = Field(
        None, min_length=1, description="The qrels file (qrels/<split>.tsv); default: the dataset's `split`."
    )


class Beir:
    """A folder, not columns: read directly (datasets.load_dataset would see three unrelated files)."""

    name = "beir"
    columns: tuple[str, ...] = ()
    args = {"retrieval": BeirArgs}
    cannot = "BEIR folders are evaluator data only"

    def check_columns(self, raw, where: str) -> None:
        if not is_beir_folder(raw):
            raise DataError(f"{where}: `{raw}` is not a BEIR folder (corpus.jsonl, queries.jsonl, qrels/)")

    def rows(self, raw, use: str, args, *, seed: int, where: str) -> Recipe:
        raise NotImplementedError("BEIR folders feed no training rows")

    def retrieval(self, raw, args, *, seed: int, where: str) -> IRData:
        self.check_columns(raw, where)
        return load_beir(raw, args.qrels_split or "test", where=where)
