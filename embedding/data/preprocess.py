"""Raw dataset -> training rows or IR data, per input format. Deterministic and cached by content.

Training rows come from a batched, Arrow-level `datasets.map` whose fingerprint is derived from
(raw dataset fingerprint, format, objective type, preprocess args, seed, code version), so a second run with
the same inputs reuses the Arrow cache file instead of recomputing. Randomness is keyed by (seed, raw row), so
rows never depend on batch size or process count. Rows a format cannot use are emitted as marker rows
(`_drop` > 0) that are counted here and filtered out; the counts therefore survive a cache hit.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import DataError
from .formats import efaq, labeled, pairs
from .formats.common import IRData

# Rows per map batch: large enough that the per-batch Arrow/numpy work dominates the Python overhead.
# One process by default: on the 2-core reference machine `num_proc: 2` was no faster (the vectorised map is
# bound by writing the output), so it stays an opt-in `preprocess_args.num_proc`; rows never depend on it.
MAP_BATCH_SIZE = 10_000
# Rows per Arrow record batch in the cache file: fewer, larger writes (the default 1,000 costs ~15 % here).
WRITER_BATCH_SIZE = 10_000
# Bump whenever the rows produced for the same inputs change, so stale caches are not reused.
VERSION = "v2"
DROP_REASONS = {
    1: "rows dropped: fewer than negative_samples distinct negatives available",
    2: "raw rows without a positive (empty `similar` list; a contrastive row needs at least one similar text)",
    3: "raw rows dropped: their label has no other text",
    4: "raw rows dropped: repeated text (kept once)",
    5: "rows dropped by mining: fewer than num_negatives negatives left after filtering",
    6: "raw rows dropped: text listed under several labels",
    7: "rows dropped: a negative equals the anchor or the positive",
}
FALSE_NEGATIVES = "negatives dropped as false negatives"
TRAINING_FORMATS = {
    "contrastive": ("efaq", "labeled", "pairs"),
    "similarity": ("efaq", "labeled", "scored-pairs"),
    "retrieval": ("efaq", "labeled", "pairs", "beir"),
}
REQUIRED = {
    "efaq": ("sentence", "similar"),
    "labeled": ("text", "label"),
    "pairs": ("anchor", "positive"),
    "scored-pairs": ("sentence1", "sentence2", "score"),
}


@dataclass
class TrainingData:
    """Preprocessed rows of one objective split, with what happened on the way."""

    dataset: Any
    format: str
    raw_rows: int
    cache_hit: bool = False
    notes: list[str] = field(default_factory=list)
    stats: Counter = field(default_factory=Counter)
    related: Any = None  # () -> {text: texts that must never be its negative}, beyond the rows' own positives
    corpus: Any = None  # () -> texts of the raw data that the rows may lack (mining candidates)


def detect_format(columns: list[str]) -> str | None:
    cols = set(columns)
    if {"sentence", "similar"} <= cols:
        return "efaq"
    if {"text", "label"} <= cols:
        return "labeled"
    if {"sentence1", "sentence2", "score"} <= cols:
        return "scored-pairs"
    if {"anchor", "positive"} <= cols:
        return "pairs"
    return None


def _undetected(columns: list[str], kind: str, where: str) -> DataError:
    """No format matches: name the closest one, what it lacks, and a `columns:` mapping that would fix it."""
    formats = [f for f in TRAINING_FORMATS[kind] if f in REQUIRED]
    closest = max(formats, key=lambda f: sum(c in columns for c in REQUIRED[f]))  # ties: the first listed
    missing = [c for c in REQUIRED[closest] if c not in columns]
    known = {c for f in REQUIRED.values() for c in f} | {"almost_similar", "dissimilar", "domain", "negative"}
    spare = [c for c in columns if c not in known]
    example = f" (e.g. columns: {{{missing[0]}: {spare[0]}}})" if spare else ""
    return DataError(
        f"{where}: cannot tell the data format from the columns {', '.join(columns)}; the closest is "
        f"`{closest}`, which needs column(s) {', '.join(missing)}. Map yours with "
        f"preprocess_args.columns{example}, or set preprocess_args.format "
        f"({', '.join(TRAINING_FORMATS[kind])})"
    )


def _prepare(raw, args: dict[str, Any], where: str, kind: str) -> tuple[Any, str]:
    """Apply `columns` renames and `limit`, then decide the format."""
    columns = args.get("columns") or {}
    missing = [theirs for theirs in columns.values() if theirs not in raw.column_names]
    if missing:
        raise DataError(
            f"{where}.preprocess_args.columns: column(s) {', '.join(missing)} not in the dataset; "
            f"it has {', '.join(raw.column_names)}"
        )
    renames = {theirs: ours for ours, theirs in columns.items() if theirs != ours}
    if renames:
        raw = raw.remove_columns([c for c in renames.values() if c in raw.column_names and c not in renames])
        raw = raw.rename_columns(renames)
    if args.get("limit"):
        raw = raw.select(range(min(int(args["limit"]), len(raw))))
    fmt = args.get("format") or detect_format(raw.column_names)
    if fmt is None:
        raise _undetected(raw.column_names, kind, where)
    return raw, fmt


def fingerprint(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


class Recipe(NamedTuple):
    """How one (format, objective type) makes rows, and what mining needs to know about the raw data."""

    fn: Any  # batched Arrow map function (batch, indices) -> pa.Table
    related: Any = None  # () -> {text: texts that must never be its negative}, beyond the rows' own positives
    corpus: Any = None  # () -> texts of the raw data that the rows may lack (mining candidates)


def _recipe(raw, fmt: str, kind: str, args: dict[str, Any], seed: int, where: str) -> Recipe:
    if fmt not in TRAINING_FORMATS[kind]:
        hint = {
            "pairs": "pairs have no scores; use scored-pairs or labeled data for similarity",
            "scored-pairs": "scored pairs have no positives/negatives; use pairs, labeled or e-faq data",
            "beir": "BEIR folders are evaluator data only",
        }.get(fmt, "")
        raise DataError(
            f"{where}.preprocess_args.format: `{fmt}` data cannot feed a {kind} objective"
            f"{'; ' + hint if hint else ''}; formats for {kind}: {', '.join(TRAINING_FORMATS[kind])}"
        )
    k = int(args.get("negative_samples", 0))
    if fmt == "efaq":
        efaq.check_columns(raw, where)
        if kind == "contrastive":
            pool = efaq.LazyPool(raw)
            return Recipe(partial(efaq.ranking_batch, k=k, seed=seed, pool=pool, where=where), corpus=pool.get)
        mapping = {c: float(v) for c, v in (args.get("name_to_label") or efaq.DEFAULT_LABELS).items()}
        return Recipe(partial(efaq.similarity_batch, name_to_label=mapping, where=where))
    if fmt == "labeled":
        index = labeled.LazyIndex(raw, args.get("group_column", labeled.AUTO_GROUP), where)
        if kind == "contrastive":
            return Recipe(
                partial(
                    labeled.ranking_batch,
                    index=index,
                    k=k,
                    seed=seed,
                    where=where,
                    positives=int(args.get("positives_per_anchor", 1)),
                ),
                related=lambda: index.get().label_sets(),
            )
        return Recipe(
            partial(
                labeled.similarity_batch,
                index=index,
                seed=seed,
                where=where,
                samples=labeled.samples_per_anchor(args),
                labels=labeled.labels(args),
            )
        )
    if fmt == "pairs":
        return Recipe(partial(pairs.tuples_batch, negatives=pairs.negative_columns(raw, args, where), where=where))
    pairs.check_scored_columns(raw, where)
    return Recipe(
        partial(
            pairs.scored_batch,
            score_range=args.get("score_range"),
            name_to_label=args.get("name_to_label"),
            where=where,
        )
    )


def training_rows(raw, kind: str, args: dict[str, Any], *, seed: int, where: str) -> TrainingData:
    """Rows for a `contrastive` or `similarity` objective (mined hard negatives when configured)."""
    raw, fmt = _prepare(raw, args, where, kind)
    key = fingerprint(
        raw._fingerprint, fmt, kind, {k: v for k, v in args.items() if k != "mine_hard_negatives"}, seed, VERSION
    )
    recipe = _recipe(raw, fmt, kind, args, seed, where)
    hit = cache_exists(raw, key)
    rows = raw.with_format("arrow").map(
        recipe.fn,
        batched=True,
        batch_size=MAP_BATCH_SIZE,
        with_indices=True,
        remove_columns=raw.column_names,
        new_fingerprint=key,
        writer_batch_size=WRITER_BATCH_SIZE,
        num_proc=args.get("num_proc"),
        desc=f"preprocess {where}",
    )
    rows = rows.with_format(None)
    data = TrainingData(rows, fmt, len(raw), cache_hit=hit, related=recipe.related, corpus=recipe.corpus)
    drop_markers(data, key)
    if args.get("mine_hard_negatives") and kind == "contrastive":
        from .mining import mine

        mine(
            data,
            args["mine_hard_negatives"],
            seed=seed,
            where=f"{where}.preprocess_args.mine_hard_negatives",
            key=fingerprint(key, args["mine_hard_negatives"]),
        )
    if len(data.dataset) == 0:
        raise DataError(
            f"{where}: preprocessing produced no rows ({len(raw)} raw rows); "
            + "; ".join(data.notes or ["check the data and preprocess_args"])
        )
    return data


def drop_markers(data: TrainingData, key: str, column: str = "_drop") -> None:
    """Count the marker rows by reason, note them, and filter them out (cached like the rows)."""
    import pyarrow.compute as pc

    rows = data.dataset
    if "_false_negatives" in rows.column_names:
        refused = pc.sum(rows.with_format("arrow", columns=["_false_negatives"])[:]["_false_negatives"]).as_py()
        data.stats[FALSE_NEGATIVES] += int(refused or 0)
        rows = data.dataset = rows.remove_columns("_false_negatives")
    if column not in rows.column_names:
        return
    reasons = rows.with_format("arrow", columns=[column])[:][column]
    counts = pc.value_counts(reasons).to_pylist()
    dropped = {int(c["values"]): int(c["counts"]) for c in counts if c["values"]}
    for code, count in sorted(dropped.items()):
        data.stats[DROP_REASONS[code]] += count
        data.notes.append(f"{count} {DROP_REASONS[code]}")
    if dropped:
        rows = rows.with_format("arrow").filter(
            lambda t: pc.equal(t[column], 0),
            batched=True,
            batch_size=MAP_BATCH_SIZE,
            new_fingerprint=fingerprint(key, "filter"),
        )
        rows = rows.with_format(None)
    data.dataset = rows.remove_columns(column)


def cache_exists(dataset, key: str) -> bool:
    """Whether `datasets` already holds the map result for this fingerprint (it names files cache-<fp>.arrow)."""
    files = getattr(dataset, "cache_files", None) or []
    return bool(files) and any(Path(files[0]["filename"]).parent.glob(f"cache-{key}*.arrow"))


def cache_location(data: TrainingData) -> str | None:
    files = getattr(data.dataset, "cache_files", None) or []
    return files[-1]["filename"] if files else None


def retrieval_data(raw, args: dict[str, Any], *, seed: int, where: str) -> IRData:
    """Queries/corpus/relevant_docs for the IR evaluator. `raw` may also be the path of a BEIR folder."""
    if isinstance(raw, (str, Path)):
        from .formats import beir

        if args.get("format", "beir") != "beir" or not beir.is_beir_folder(raw):
            raise DataError(f"{where}: `{raw}` is not a BEIR folder (corpus.jsonl, queries.jsonl, qrels/)")
        return beir.load_beir(raw, args.get("qrels_split", "test"), where=where)
    raw, fmt = _prepare(raw, args, where, "retrieval")
    if fmt == "efaq":
        efaq.check_columns(raw, where)
        return efaq.retrieval(raw, negative_samples=int(args.get("negative_samples", -1)), seed=seed, where=where)
    if fmt == "labeled":
        return labeled.retrieval(raw, args, seed=seed, where=where)
    if fmt == "pairs":
        return pairs.retrieval(raw, args, where=where)
    raise DataError(
        f"{where}.preprocess_args.format: `{fmt}` data cannot feed the retrieval evaluator; use e-faq, "
        "labeled, pairs or a BEIR folder"
    )
