"""Which mined candidates become negatives, and the statistics of that choice (`mining/<objective>.json`).

sentence-transformers ranks (and, with a cross-encoder, rescores) the candidates; the rules are applied here, one
candidate at a time in rank order, so that every candidate is counted under the first rule that refused it:
false negatives (the anchor's positives anywhere in the data, reverse pairs, same-label texts), then
`absolute_margin`, `relative_margin`, `max_score`, `min_score` with `util.mine_hard_negatives`' own formulas and
its positive score (the anchor's lowest positive score). Of the candidates left, the `range_min` closest are
skipped and `num_negatives` are taken from the next ones up to `range_max` (`top`: the closest; `random`: a draw
seeded per row).
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from .args import MiningArgs

RULES = ("false_negative", "absolute_margin", "relative_margin", "max_score", "min_score")
BINS = 20


def verdict(text: str, score: float, positive: float, forbidden: set, options: MiningArgs) -> str | None:
    """The first rule that refuses the candidate; None when it may be a negative."""
    if text in forbidden:
        return "false_negative"
    if options.absolute_margin is not None and score + options.absolute_margin > positive:
        return "absolute_margin"
    if options.relative_margin is not None and score > positive - abs(positive) * options.relative_margin:
        return "relative_margin"
    if options.max_score is not None and score > options.max_score:
        return "max_score"
    if options.min_score is not None and score < options.min_score:
        return "min_score"
    return None


def choose(eligible: list[tuple[str, float]], options: MiningArgs, row_seed: str) -> list[int]:
    """Indices into `eligible` (rank order) of the negatives: after range_min, within range_max."""
    end = len(eligible) if options.range_max is None else min(options.range_max, len(eligible))
    window = list(range(min(options.range_min, end), end))
    n = options.num_negatives
    if options.sampling_strategy == "random" and len(window) > n:
        return sorted(random.Random(row_seed).sample(window, n))  # rank order, as sentence-transformers re-sorts
    return window[:n]


class MiningStats:
    """Counts per outcome and the scores behind the histograms, collected row by row."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.scores: dict[str, list[float]] = {"positive": [], "kept": [], "dropped": []}

    def add_row(self, positive: float | None, refused: list[tuple[str, float]], picked: list[float], **outcome):
        """One row: the candidates refused (rule, score), the negatives picked, and how many were skipped."""
        short = outcome["short"]
        self.counts["rows"] += 1
        self.counts["rows_dropped_short"] += short
        self.counts["candidates"] += len(refused) + len(picked) + outcome["skipped"] + outcome["unused"]
        self.counts["in_short_rows" if short else "kept"] += len(picked)
        self.counts["skipped_range_min"] += outcome["skipped"]
        self.counts["unused"] += outcome["unused"]
        for rule, score in refused:
            self.counts[rule] += 1
            self.scores["dropped"].append(score)
        if positive is not None:
            self.scores["positive"].append(positive)
        if not short:
            self.scores["kept"].extend(picked)

    def as_dict(self, options: MiningArgs, scorer: str) -> dict[str, Any]:
        c = self.counts
        return {
            "model": options.model_spec().name,
            "scorer": scorer,
            "options": options.model_dump(mode="json"),
            "rows": c["rows"],
            "rows_kept": c["rows"] - c["rows_dropped_short"],
            "rows_dropped_short": c["rows_dropped_short"],
            "negatives_per_row": options.num_negatives,
            "candidates": c["candidates"],
            "kept": c["kept"],
            "in_short_rows": c["in_short_rows"],
            "skipped_range_min": c["skipped_range_min"],
            "unused": c["unused"],
            "dropped": {rule: c[rule] for rule in RULES},
            "histogram": histogram(self.scores),
        }


def histogram(scores: dict[str, list[float]]) -> dict[str, Any]:
    """Counts per series over one set of equal-width bins spanning every score (cross-encoder logits included)."""
    import numpy as np

    every = [s for series in scores.values() for s in series]
    if not every:
        return {"edges": [], **{name: [] for name in scores}}
    low, high = min(every), max(every)
    edges = np.linspace(low, high if high > low else low + 1e-6, BINS + 1)
    return {
        "edges": [round(float(e), 6) for e in edges],
        **{name: np.histogram(series, bins=edges)[0].tolist() for name, series in scores.items()},
    }


def select(anchors: list[str], positives: list[str], found: dict, forbidden: dict[str, set], options, seed: int):
    """Columns anchor, positive, negative_1..n, `_drop` (5: row left short), `_false_negatives`; and the stats.

    `found[(anchor, positive)]` = (positive score, [(candidate, score), ...] best first).
    """
    n = options.num_negatives
    columns: dict[str, list] = {"anchor": [], "positive": [], **{f"negative_{j + 1}": [] for j in range(n)}}
    columns |= {"_drop": [], "_false_negatives": []}
    lowest: dict[str, float] = {}
    for (anchor, _), (score, _) in found.items():
        lowest[anchor] = min(score, lowest.get(anchor, score))
    stats = MiningStats()
    for anchor, positive in zip(anchors, positives, strict=True):
        own, candidates = found.get((anchor, positive), (None, []))
        refused, eligible = [], []
        for text, score in candidates:
            if text == anchor:
                continue  # the anchor itself is no candidate worth counting
            rule = verdict(text, score, lowest.get(anchor, 0.0), forbidden[anchor], options)
            (refused if rule else eligible).append((rule, score) if rule else (text, score))
        picked = choose(eligible, options, f"{seed}:{anchor}:{positive}")
        short = len(picked) < n
        skipped = min(options.range_min, len(eligible))
        taken = [eligible[i][0] for i in picked] + [""] * (n - len(picked))
        unused = len(eligible) - skipped - len(picked)
        stats.add_row(own, refused, [eligible[i][1] for i in picked], short=short, skipped=skipped, unused=unused)
        fn = sum(rule == "false_negative" for rule, _ in refused)
        for name, value in zip(columns, [anchor, positive, *taken, 5 if short else 0, fn], strict=True):
            columns[name].append(value)
    return columns, stats
