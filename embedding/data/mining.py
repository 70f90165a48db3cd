"""Hard-negative mining for contrastive rows (`preprocess_args.mine_hard_negatives`). Mining runs sentence-
transformers' `util.mine_hard_negatives` over the (anchor, positive) pairs with every text of the rows (and, for
e-faq data, every almost_similar/dissimilar text) as the corpus, to rank the candidates (rescored by a
`cross_encoder` when one is named); `mining_rules` then refuses false negatives (the anchor itself, any positive of
the anchor anywhere in the data, reverse pairs, same-label texts) and the candidates the margins and score limits
refuse (`relative_margin` 0.05 by default), and counts each. Mining asks for enough extra candidates to survive
the false-negative filter. The result is a `datasets.map` over the whole table keyed by (rows' fingerprint, mining
options), so a second run reuses the Arrow cache and never loads the mining model; the statistics are stored
beside it (`mining-<key>.json`) and reused with it.
"""

from __future__ import annotations

import json
import pickle
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..safe_files import write_json
from .args import MiningArgs
from .mining_rules import select
from .rows import FALSE_NEGATIVES, cache_exists, drop_markers

# Candidates asked for beyond num_negatives to replace filtered false negatives. A row whose filtered list is
# still short is mined again in a window WIDEN times wider (up to WIDEST_WINDOW candidates) and only then dropped
# and counted (`embedding preprocess` shows it).
MAX_EXTRA_CANDIDATES = 512
WIDEN, WIDEST_WINDOW = 4, 512
# Part of the cache key: a change here that changes the mined rows must not reuse rows mined before it.
MINING_VERSION = 2

# Where the mining model's encode calls run: (model, its spec, key path) -> a context to mine in. In this process by
# default; a multi-process training run shares them with every process (training/sharded_mining.py).
ENCODING: ContextVar[Callable[[Any, Any, str], AbstractContextManager]] = ContextVar(
    "mining_encoding", default=lambda model, spec, where: nullcontext()
)


def _model(options: MiningArgs, where: str):
    from ..models import load_model

    model, _ = load_model(options.model_spec(), f"{where}.model")
    return model.eval()


def forbidden_texts(anchors: list[str], positives: list[str], related: dict[str, Any] | None) -> dict[str, set]:
    """Per anchor: itself, its positives in every row, the anchors it is a positive of, and related texts."""
    out: dict[str, set] = defaultdict(set)
    for anchor, positive in zip(anchors, positives, strict=True):
        out[anchor].update((anchor, positive))
        out[positive].add(anchor)
    for anchor in set(anchors):
        out[anchor].update((related or {}).get(anchor, ()))
    return out


def _cross_encoder(options: MiningArgs, where: str):
    """The named CrossEncoder, resolved offline-first like every model (local path, cache, package, Hub)."""
    spec = options.cross_encoder_spec()
    if spec is None:
        return None
    from ..errors import UserError
    from ..models import find_model
    from ..models.loading import refused_code

    resolution = find_model(spec.name, f"{where}.cross_encoder")
    from sentence_transformers import CrossEncoder

    try:
        return CrossEncoder(resolution.location, **spec.args).eval()
    except TypeError as exc:
        raise UserError(f"{where}.cross_encoder.args: {exc}; see CrossEncoder's constructor arguments") from None
    except OSError as exc:
        reason = str(exc).splitlines()[0]
        raise UserError(f"{where}.cross_encoder: `{spec.name}` could not be loaded ({reason})") from None
    except (ValueError, pickle.UnpicklingError) as exc:  # custom code it would have to run
        refusal = refused_code(exc, f"{where}.cross_encoder", spec.name, resolution.location)
        if refusal is None:
            raise
        raise refusal from None


def _window(options: MiningArgs, positives_per_anchor: int, extra: int) -> int:
    """Candidates to rank per anchor: range_max (else sentence-transformers' own default with margins), plus
    room for the false negatives the rules will refuse."""
    n = options.num_negatives
    base = options.range_max if options.range_max is not None else options.range_min + 10 * n + positives_per_anchor
    return base + extra


def _ranked(pairs, corpus: list[str], window: int, options: MiningArgs, where: str) -> dict:
    """(anchor, positive) -> (positive score, [(candidate, score), ...] best first), by sentence-transformers."""
    cross_encoder = _cross_encoder(options, where)
    model = _model(options, where)
    try:
        with ENCODING.get()(model, options.model_spec(), f"{where}.model"):
            mined = _mine(pairs, model, corpus, cross_encoder, window, options)
    except ValueError as exc:
        raise DataError(f"{where}: {str(exc).splitlines()[0]}") from None
    found = {}
    for row in mined:
        texts, scores = row["positive"], row["scores"]
        found[(row["anchor"], texts[0])] = (scores[0], list(zip(texts[1:], scores[1:], strict=True)))
    return found


def _mine(pairs, model, corpus: list[str], cross_encoder, window: int, options: MiningArgs):
    """sentence-transformers' `mine_hard_negatives`: every candidate in the window with its score."""
    from sentence_transformers.util import mine_hard_negatives

    return mine_hard_negatives(
        pairs,
        model,
        anchor_column_name="anchor",
        positive_column_name="positive",
        corpus=corpus,
        cross_encoder=cross_encoder,
        num_negatives=window,
        range_max=window,
        # sentence-transformers rescores only when a score rule is set; this one refuses nothing.
        min_score=float("-inf") if cross_encoder is not None else None,
        output_format="labeled-list",
        output_scores=True,
        verbose=False,
        **options.passthrough(),
    )


def _mine_table(table, indices, *, options: MiningArgs, related, extra_corpus, seed: int, where: str, sink: dict):
    """Map function over the whole table: mined negative_1..n, `_drop` 5 for rows left short; stats into `sink`."""
    import datasets
    import pyarrow as pa

    anchors, positives = table.column("anchor").to_pylist(), table.column("positive").to_pylist()
    corpus = list(
        dict.fromkeys(
            [
                *(t for c in table.column_names if not c.startswith("_") for t in table.column(c).to_pylist()),
                *(extra_corpus() if extra_corpus else ()),
            ]
        )
    )
    forbidden = forbidden_texts(anchors, positives, related() if related else None)
    known: dict[str, set] = defaultdict(set)  # ST itself masks the positives paired with the anchor
    for anchor, positive in zip(anchors, positives, strict=True):
        known[anchor].add(positive)
    # Ask for enough candidates that n survive the filter; bounded, as one huge label would widen every query.
    extra = min(max(len(forbidden[a] - known[a]) for a in known), MAX_EXTRA_CANDIDATES)
    pairs = datasets.Dataset.from_dict(
        {"anchor": [a for a in known for _ in known[a]], "positive": [p for a in known for p in sorted(known[a])]}
    )
    window = _window(options, max(len(p) for p in known.values()), extra)
    found = _ranked(pairs, corpus, window, options, where)
    columns, stats = select(anchors, positives, found, forbidden, options, seed)
    # On FAQ data the positive-aware margin refuses most near neighbours (paraphrases of one question score alike):
    # 46 % of AIA-BDE's rows had no candidate left in the default window. Their anchors get wider windows before a
    # row is dropped (not when the user set range_max: then the window is theirs).
    while options.range_max is None and window < min(len(corpus), WIDEST_WINDOW):
        short = {a for a, drop in zip(anchors, columns["_drop"], strict=True) if drop == 5}
        if not short:
            break
        window = min(window * WIDEN, len(corpus), WIDEST_WINDOW)
        again = [a for a in known if a in short]
        retry = datasets.Dataset.from_dict(
            {"anchor": [a for a in again for _ in known[a]], "positive": [p for a in again for p in sorted(known[a])]}
        )
        found.update(_ranked(retry, corpus, window, options, where))
        columns, stats = select(anchors, positives, found, forbidden, options, seed)
    scorer = options.cross_encoder_spec()
    sink["stats"] = stats.as_dict(options, f"cross-encoder {scorer.name}" if scorer else "bi-encoder (cosine)")
    return pa.table(columns)


def stats_file(rows, key: str) -> Path | None:
    """Where the statistics of a mining run live: beside its cached rows (None for rows held in memory)."""
    files = getattr(rows, "cache_files", None) or []
    return Path(files[0]["filename"]).parent / f"mining-{key}.json" if files else None


def _stored_stats(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None  # a cut-short write: mine again


def _store_stats(path: Path | None, stats: dict[str, Any]) -> None:
    if path is None:
        return
    write_json(path, stats, indent=1)  # whole, and redacted: the options name the mining model's args (a token)


def mine(data, options: MiningArgs, *, seed: int, where: str, key: str) -> None:
    """Replace `data.dataset`'s negatives with mined ones (cached); record false negatives, dropped rows and the
    mining statistics (`data.mining`, also beside the cache)."""
    rows = data.dataset
    path = stats_file(rows, key)
    stored = _stored_stats(path)
    hit = cache_exists(rows, key) and stored is not None  # rows cached before the statistics existed: mine again
    sink: dict[str, Any] = {}
    mined = rows.with_format("arrow").map(
        _mine_table,
        batched=True,
        batch_size=None,
        with_indices=True,
        remove_columns=rows.column_names,
        new_fingerprint=key,
        load_from_cache_file=hit,
        desc="mine hard negatives",
        fn_kwargs={
            "options": options,
            "related": data.related,
            "extra_corpus": data.corpus,
            "seed": seed,
            "where": where,
            "sink": sink,
        },
    )
    stats = sink.get("stats") or stored
    if "stats" in sink:
        _store_stats(path, stats)
    before = data.stats[FALSE_NEGATIVES]
    data.dataset = mined.with_format(None)
    data.cache_hit = data.cache_hit and hit
    data.mining = stats
    drop_markers(data, key)
    data.notes.append(
        f"mined {options.num_negatives} hard negatives per row with {options.model_spec().name} "
        f"({'cache hit' if hit else 'computed now'}); {data.stats[FALSE_NEGATIVES] - before} mined "
        "candidates refused as false negatives"
    )
    data.notes.append(stats_line(stats, path))


def stats_line(stats: dict[str, Any], path: Path | None) -> str:
    """One line for `embedding preprocess`: what was considered, kept and refused by which rule."""
    refused = ", ".join(f"{count} by {rule.replace('_', ' ')}" for rule, count in stats["dropped"].items() if count)
    options = stats["options"]
    return (
        f"mining ({stats['scorer']}, relative_margin {options['relative_margin']}): {stats['candidates']} "
        f"candidates, {stats['kept']} kept as negatives of {stats['rows_kept']} rows; refused: {refused or 'none'}; "
        f"{stats['rows_dropped_short']} rows left short" + (f"; statistics in {path}" if path else "")
    )
