"""What `embedding preprocess` shows: per objective and split, rows, columns, samples, drops and cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config.schema import TrainConfig


@dataclass
class Summary:
    title: str
    rows: int
    columns: list[str]
    samples: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    cache: str | None = None


def _with_limit(args: dict[str, Any], limit: int | None) -> dict[str, Any]:
    return {**args, "limit": min(limit, args.get("limit") or limit)} if limit else args


def preprocess_all(config: TrainConfig, *, limit: int | None = None) -> list[Summary]:
    from ..data.preprocess import cache_location, retrieval_data, training_rows
    from ..data.sources import SourceCache
    from ..training.plan import objective_names, seed_of

    seed, sources, out = seed_of(config), SourceCache(), []
    for i, (name, spec) in enumerate(zip(objective_names(config), config.objectives)):
        for split in ("train", "validation"):
            ds_spec = getattr(spec.datasets, split)
            if ds_spec is None:
                continue
            where = f"objectives[{i}].datasets.{split}"
            data = training_rows(sources.get(ds_spec, where), spec.type, _with_limit(ds_spec.preprocess_args, limit),
                                 seed=seed, where=where)
            ds = data.dataset
            notes = [f"format {data.format}, {data.raw_rows} raw rows",
                     "cache hit (reused)" if data.cache_hit else "computed now and cached", *data.notes]
            out.append(Summary(f"{name} / {split}", len(ds), ds.column_names,
                               [ds[j] for j in range(min(3, len(ds)))], notes, cache_location(data)))
    if config.evaluator is not None:
        ev = config.evaluator
        ir = retrieval_data(sources.get(ev.dataset, "evaluator.dataset"), _with_limit(ev.dataset.preprocess_args, limit),
                            seed=seed, where="evaluator.dataset")
        samples = [{"query": ir.queries[q], "relevant": [ir.corpus[d] for d in sorted(ir.relevant_docs[q])][:2]}
                   for q in list(ir.queries)[:3]]
        notes = [f"{k.replace('_', ' ')}: {v}" for k, v in sorted(ir.stats.items())]
        out.append(Summary("evaluator", len(ir.queries), ["queries", "corpus", "relevant_docs"], samples,
                           [ir.summary(), *notes]))
    return out


def print_summaries(summaries: list[Summary]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for s in summaries:
        table = Table(title=f"{s.title}: {s.rows} rows, columns {', '.join(s.columns)}", show_lines=True,
                      title_justify="left")
        for column in (s.samples[0].keys() if s.samples else []):
            table.add_column(str(column), overflow="fold", max_width=50)
        for row in s.samples:
            table.add_row(*[str(v)[:200] for v in row.values()])
        console.print(table)
        for note in s.notes:
            console.print(f"  - {note}")
        if s.cache:
            console.print(f"  - cache: {s.cache}")
