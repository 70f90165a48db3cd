"""Hard-negative mining for contrastive rows (`preprocess_args.mine_hard_negatives`). Mining runs sentence-
transformers' `util.mine_hard_negatives` over the (anchor, positive) pairs with every text of the rows (and, for
e-faq data, every almost_similar/dissimilar text) as the corpus, then filters false negatives: a candidate is
refused when it is the anchor itself, any positive of the anchor anywhere in the data (other rows, reverse pairs)
or, for labeled data, any text of the anchor's label. Mining asks for enough extra candidates to survive that
filter. The result is a `datasets.map` over the whole table keyed by (rows' fingerprint, mining options), so a
second run reuses the Arrow cache and never loads the mining model.
"""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from typing import Any

from ..errors import DataError
from .args import MiningArgs
from .rows import FALSE_NEGATIVES, cache_exists, drop_markers

# Candidates asked for beyond num_negatives to replace filtered false negatives. A row whose filtered list is
# still short is dropped and counted (`embedding preprocess` shows it).
MAX_EXTRA_CANDIDATES = 512


@contextlib.contextmanager
def _seeded(seed: int):
    """ST's random sampling strategy draws from the global `random`; seed it without leaking the state."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


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


def _mine_table(table, indices, *, options: MiningArgs, related, extra_corpus, seed: int, where: str):
    """Map function over the whole table: mined negative_1..n, `_drop` 5 for rows left short."""
    import datasets
    import pyarrow as pa
    from sentence_transformers.util import mine_hard_negatives

    n = options.num_negatives
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
    want = n + extra
    if options.range_max is not None:
        want = min(want, options.range_max - options.range_min)
    pairs = datasets.Dataset.from_dict(
        {"anchor": [a for a in known for _ in known[a]], "positive": [p for a in known for p in sorted(known[a])]}
    )
    try:
        with _seeded(seed):
            mined = mine_hard_negatives(
                pairs,
                _model(options, where),
                anchor_column_name="anchor",
                positive_column_name="positive",
                corpus=corpus,
                num_negatives=want,
                output_format="labeled-list",
                verbose=False,
                **options.passthrough(),
            )
    except ValueError as exc:
        raise DataError(f"{where}: {str(exc).splitlines()[0]}") from None
    found = {(row["anchor"], docs[0]): docs[1:] for row in mined for docs in [row["positive"]]}
    return pa.table(_kept(anchors, positives, found, forbidden, n))


def _kept(anchors: list[str], positives: list[str], found: dict, forbidden: dict[str, set], n: int) -> dict[str, list]:
    """Per row the first n mined candidates that are no false negative; `_drop` 5 when fewer are left."""
    columns: dict[str, list] = {
        "anchor": [],
        "positive": [],
        **{f"negative_{j + 1}": [] for j in range(n)},
        "_drop": [],
        "_false_negatives": [],
    }
    for anchor, positive in zip(anchors, positives, strict=True):
        taken, refused = [], 0
        for text in found.get((anchor, positive), ()):
            if text in forbidden[anchor]:
                refused += text != anchor  # the anchor itself is no false negative worth reporting
                continue
            taken.append(text)
            if len(taken) == n:
                break
        short = len(taken) < n
        taken += [""] * (n - len(taken))
        for name, text in zip(columns, [anchor, positive, *taken, 5 if short else 0, refused], strict=True):
            columns[name].append(text)
    return columns


def mine(data, options: MiningArgs, *, seed: int, where: str, key: str) -> None:
    """Replace `data.dataset`'s negatives with mined ones (cached); record false negatives and dropped rows."""
    rows = data.dataset
    hit = cache_exists(rows, key)
    mined = rows.with_format("arrow").map(
        _mine_table,
        batched=True,
        batch_size=None,
        with_indices=True,
        remove_columns=rows.column_names,
        new_fingerprint=key,
        desc="mine hard negatives",
        fn_kwargs={
            "options": options,
            "related": data.related,
            "extra_corpus": data.corpus,
            "seed": seed,
            "where": where,
        },
    )
    before = data.stats[FALSE_NEGATIVES]
    data.dataset = mined.with_format(None)
    data.cache_hit = data.cache_hit and hit
    drop_markers(data, key)
    data.notes.append(
        f"mined {options.num_negatives} hard negatives per row with {options.model_spec().name} "
        f"({'cache hit' if hit else 'computed now'}); {data.stats[FALSE_NEGATIVES] - before} mined "
        "candidates refused as false negatives"
    )
