"""Raw dataset -> training rows or IR data, through the registered formats. Deterministic and cached by content.

Training rows come from a batched, Arrow-level `datasets.map` whose fingerprint is derived from
(raw dataset fingerprint, format, objective type, typed preprocess args, seed, code version), so a second run with
the same inputs reuses the Arrow cache file instead of recomputing. Randomness is keyed by (seed, raw row), so
rows never depend on batch size or process count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import DataError
from .args import DataArgs
from .checks import typed_args
from .filtering import filtered_out
from .formats import FORMATS, detect, for_use
from .formats.common import IRData
from .rows import (  # noqa: F401  (re-exported: where callers have always found them)
    DROP_REASONS,
    FALSE_NEGATIVES,
    MAP_BATCH_SIZE,
    VERSION,
    WRITER_BATCH_SIZE,
    TrainingData,
    cache_exists,
    cache_location,
    drop_markers,
    fingerprint,
)

detect_format = detect


def _undetected(raw, kind: str, where: str) -> DataError:
    """No format matches: the format and mapping the rows prove (formats/guess.py), else the closest format by
    its columns, what it lacks, and a `columns:` mapping that would fix it."""
    from .formats.guess import load_hint

    columns = list(raw) if isinstance(raw, list) else raw.column_names  # a list: the streamed columns
    hint = None if isinstance(raw, list) else load_hint(raw.with_format("arrow")[:1000], kind)
    if hint:
        return DataError(f"{where}: cannot tell the data format from the columns {', '.join(columns)}; {hint}")
    formats = [name for name in for_use(kind) if FORMATS[name].columns]
    closest = max(formats, key=lambda f: sum(c in columns for c in FORMATS[f].columns))  # ties: the first listed
    missing = [c for c in FORMATS[closest].columns if c not in columns]
    known = {c for f in FORMATS.values() for c in f.columns} | {"almost_similar", "dissimilar", "domain", "negative"}
    spare = [c for c in columns if c not in known]
    example = f" (e.g. columns: {{{missing[0]}: {spare[0]}}})" if spare else ""
    return DataError(
        f"{where}: cannot tell the data format from the columns {', '.join(columns)}; the closest is "
        f"`{closest}`, which needs column(s) {', '.join(missing)}. Map yours with "
        f"preprocess_args.columns{example}, or set preprocess_args.format "
        f"({', '.join(for_use(kind))})"
    )


def _prepare(raw, args: dict[str, Any], where: str, kind: str) -> tuple[Any, str]:
    """Apply `columns` renames and `limit`, then decide the format."""
    common = typed_common(args, where)
    columns = common.columns
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
    if common.limit:
        raw = raw.select(range(min(common.limit, len(raw))))
    fmt = common.format or detect(raw.column_names)
    if fmt is None:
        raise _undetected(raw, kind, where)
    return raw, fmt


def typed_common(args: dict[str, Any], where: str) -> DataArgs:
    """The keys every format shares (format, columns, limit, num_proc), typed, before the format is known."""
    from pydantic import ValidationError

    from ..config.problems import problems_from_validation_error
    from ..errors import ConfigError

    try:
        return DataArgs.model_validate({k: v for k, v in args.items() if k in DataArgs.model_fields})
    except ValidationError as exc:  # `validate` reports the same keys before any data loads
        raise ConfigError(problems_from_validation_error(DataArgs, exc, f"{where}.preprocess_args")) from None


def training_rows(
    raw, kind: str, args: dict[str, Any], *, seed: int, where: str, batch_size: int | None = None
) -> TrainingData:
    """Rows for a `contrastive` or `similarity` objective (mined hard negatives when configured); `batch_size`
    only sizes the note on same-group pairs in random batches."""
    loaded = raw
    raw, fmt = _prepare(raw, args, where, kind)
    typed = typed_args(kind, fmt, args, where)
    form = FORMATS[fmt]
    form.check_columns(raw, where)
    key = fingerprint(raw._fingerprint, fmt, kind, typed.model_dump(exclude={"mine_hard_negatives"}), seed, VERSION)
    recipe = form.rows(raw, kind, typed, seed=seed, where=where)
    hit = cache_exists(raw, key)
    rows = raw.with_format("arrow").map(
        recipe.fn,
        batched=True,
        batch_size=MAP_BATCH_SIZE,
        with_indices=True,
        remove_columns=raw.column_names,
        new_fingerprint=key,
        writer_batch_size=WRITER_BATCH_SIZE,
        num_proc=typed.num_proc,
        desc=f"preprocess {where}",
    )
    data = TrainingData(
        rows.with_format(None), fmt, len(raw), cache_hit=hit, related=recipe.related, corpus=recipe.corpus
    )
    note_filter(data, loaded)
    drop_markers(data, key)
    mining = getattr(typed, "mine_hard_negatives", None)
    if mining is not None:
        from .mining import MINING_VERSION, mine

        at = f"{where}.preprocess_args.mine_hard_negatives"
        mine(data, mining, seed=seed, where=at, key=fingerprint(key, mining.model_dump(), MINING_VERSION))
    if len(data.dataset) == 0:
        raise DataError(
            f"{where}: preprocessing produced no rows ({len(raw)} raw rows); "
            + "; ".join(data.notes or ["check the data and preprocess_args"])
        )
    if data.groups is not None:
        from .groups import describe, register, same_group_share

        register(data.dataset, data.groups, where)
        if same_group_share(data.groups) > 0:  # only when random batches would hold in-batch false negatives
            data.notes.append(describe(data.groups, batch_size))
    return data


def note_filter(data: TrainingData, loaded) -> None:
    """Count the rows the dataset's `filter` removed at load (`raw_rows` then counts the rows as loaded)."""
    removed = filtered_out(loaded)
    if removed:
        count, text = removed
        data.raw_rows += count
        data.filtered = f"filtered out: {count:,} rows by filter {text}"
        data.stats[f"rows filtered out by filter {text}"] += count
        data.notes.append(data.filtered)


def retrieval_data(raw, args: dict[str, Any], *, seed: int, where: str) -> IRData:
    """Queries/corpus/relevant_docs for the IR evaluator. `raw` may also be the path of a BEIR folder."""
    if isinstance(raw, (str, Path)):
        fmt = args.get("format") or "beir"
        if fmt != "beir" or not _is_folder_format(raw):
            raise DataError(f"{where}: `{raw}` is not a BEIR folder (corpus.jsonl, queries.jsonl, qrels/)")
    else:
        raw, fmt = _prepare(raw, args, where, "retrieval")
    typed = typed_args("retrieval", fmt, args, where)
    FORMATS[fmt].check_columns(raw, where)
    return FORMATS[fmt].retrieval(raw, typed, seed=seed, where=where)


def _is_folder_format(path: str | Path) -> bool:
    from .formats.beir import is_beir_folder

    return is_beir_folder(path)
