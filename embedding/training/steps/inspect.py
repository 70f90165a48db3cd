"""What `embedding preprocess` shows: per objective and split, rows, columns, samples, drops and the cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...config.schema import TrainConfig


@dataclass
class Summary:
    title: str
    rows: int
    columns: list[str]
    samples: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    cache: str | None = None
    cache_hit: bool | None = None  # None: nothing cached (in-memory data, evaluator)


def _with_limit(args: dict[str, Any], limit: int | None) -> dict[str, Any]:
    return {**args, "limit": min(limit, args.get("limit") or limit)} if limit else args


def training_summary(title: str, kind: str, data) -> Summary:
    """Row counts, columns, 3 samples, false negatives, dropped rows and the cache of one TrainingData."""
    from ...data.rows import DROP_REASONS, FALSE_NEGATIVES, cache_location

    ds = data.dataset
    dropped = sum(data.stats[reason] for reason in DROP_REASONS.values())
    notes = [f"format {data.format}, {data.raw_rows} raw rows -> {len(ds)} rows"]
    if kind == "contrastive":
        notes.append(f"{FALSE_NEGATIVES}: {data.stats[FALSE_NEGATIVES]}")
    notes.append(f"rows dropped: {dropped}")
    notes += [f"  {note}" for note in data.notes]
    cache = cache_location(data)
    return Summary(
        title,
        len(ds),
        ds.column_names,
        [ds[j] for j in range(min(3, len(ds)))],
        notes,
        cache,
        data.cache_hit if cache else None,
    )


def evaluator_summary(spec, where: str, title: str, sources, seed: int, limit: int | None) -> Summary:
    from ...data.formats.beir import is_beir_folder
    from ...data.preprocess import retrieval_data

    args = _with_limit(spec.dataset.preprocess_args, limit)
    at = f"{where}.dataset"
    if spec.type == "sts":
        from ...evaluation.tasks import scored_pairs_of

        pairs = scored_pairs_of(sources.get(spec.dataset, at), args, at)
        samples = [
            {"sentence1": a, "sentence2": b, "score": s}
            for a, b, s in list(zip(pairs.sentences1, pairs.sentences2, pairs.scores, strict=True))[:3]
        ]
        return Summary(title, len(pairs), ["sentence1", "sentence2", "score"], samples, [pairs.summary()])
    if is_beir_folder(spec.dataset.name):  # BEIR folders are read directly, not through load_dataset
        ir = retrieval_data(
            spec.dataset.name,
            {**args, "qrels_split": args.get("qrels_split", spec.dataset.args.get("split", "test"))},
            seed=seed,
            where=at,
        )
    else:
        ir = retrieval_data(sources.get(spec.dataset, at), args, seed=seed, where=at)
    samples = [
        {"query": ir.queries[q], "relevant": [ir.corpus[d] for d in sorted(ir.relevant_docs[q])][:2]}
        for q in list(ir.queries)[:3]
    ]
    notes = [f"{k.replace('_', ' ')}: {v}" for k, v in sorted(ir.stats.items())]
    return Summary(title, len(ir.queries), ["queries", "corpus", "relevant_docs"], samples, [ir.summary(), *notes])


def preprocess_all(config: TrainConfig, *, limit: int | None = None) -> list[Summary]:
    from ...config.evaluator_schema import evaluator_entries
    from ...data.preprocess import training_rows
    from ...data.sources import SourceCache
    from ..plan import objective_names, seed_of

    seed, sources, out = seed_of(config), SourceCache(), []
    for i, (name, spec) in enumerate(zip(objective_names(config), config.objectives, strict=True)):
        for split in ("train", "validation"):
            ds_spec = getattr(spec.datasets, split)
            if ds_spec is None:
                continue
            where = f"objectives[{i}].datasets.{split}"
            data = training_rows(
                sources.get(ds_spec, where),
                spec.type,
                _with_limit(ds_spec.preprocess_args, limit),
                seed=seed,
                where=where,
                batch_size=spec.batch_size or config.args.get("per_device_train_batch_size", 8),
            )
            out.append(training_summary(f"{name} / {split}", spec.type, data))
    for where, name, spec in evaluator_entries(config.evaluator):
        title = f"evaluator / {name}" if isinstance(config.evaluator, list) else "evaluator"
        out.append(evaluator_summary(spec, where, title, sources, seed, limit))
    return out


def cache_line(summary: Summary) -> str | None:
    if summary.cache_hit is None:
        return "cache: none (in-memory data is not cached)" if not summary.title.startswith("evaluator") else None
    state = "hit, reused" if summary.cache_hit else "miss, computed now and stored in"
    return f"cache: {state} {summary.cache}"


def print_summaries(summaries: list[Summary]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    for s in summaries:
        table = Table(
            title=escape(f"{s.title}: {s.rows} rows, columns {', '.join(s.columns)}"),
            show_lines=True,
            title_justify="left",
        )
        for column in s.samples[0].keys() if s.samples else []:
            table.add_column(escape(str(column)), overflow="fold", max_width=50)
        for row in s.samples:
            table.add_row(*[escape(str(v)[:200]) for v in row.values()])
        console.print(table)
        for note in s.notes:
            console.print(f"  - {escape(note)}")
        line = cache_line(s)
        if line:
            console.print(f"  - {escape(line)}")
