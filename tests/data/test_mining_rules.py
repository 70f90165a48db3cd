"""The mining rules on hand-computed scores: each candidate counted under the first rule that refuses it."""

from __future__ import annotations

from embedding.data.args import MiningArgs
from embedding.data.mining_rules import select

# anchor a: positives p (0.80) and q (0.60): the margins use the lower one, 0.60 -> relative limit 0.57.
FOUND = {
    ("a", "p"): (0.80, [("a", 1.0), ("q", 0.7), ("x", 0.58), ("y", 0.56), ("z", 0.30), ("w", 0.20)]),
    ("a", "q"): (0.60, [("a", 1.0), ("p", 0.75), ("x", 0.58), ("y", 0.56), ("z", 0.30), ("w", 0.20)]),
}
FORBIDDEN = {"a": {"a", "p", "q"}}


def _select(**options):
    return select(["a", "a"], ["p", "q"], FOUND, FORBIDDEN, MiningArgs(model="m", **options), seed=0)


def test_each_refused_candidate_is_counted_once_under_its_first_rule():
    columns, stats = _select(num_negatives=2, max_score=0.5)
    assert columns["negative_1"] == ["z", "z"] and columns["negative_2"] == ["w", "w"]
    assert columns["_false_negatives"] == [1, 1] and columns["_drop"] == [0, 0]
    counts = stats.as_dict(MiningArgs(model="m", num_negatives=2, max_score=0.5), "bi-encoder (cosine)")
    # x (0.58 > 0.57): relative margin; y (0.56): below the margin, above max_score 0.5
    assert counts["dropped"] == {
        "false_negative": 2,
        "absolute_margin": 0,
        "relative_margin": 2,
        "max_score": 2,
        "min_score": 0,
    }
    assert (counts["candidates"], counts["kept"], counts["unused"], counts["rows_kept"]) == (10, 4, 0, 2)
    assert counts["histogram"]["positive"] and sum(counts["histogram"]["kept"]) == 4


def test_range_min_skips_the_closest_survivors_and_short_rows_are_marked():
    columns, _ = _select(num_negatives=2, range_min=1)
    assert columns["negative_1"] == ["z", "z"] and columns["negative_2"] == ["w", "w"]  # y (0.56) skipped
    columns, stats = _select(num_negatives=2, range_min=2)
    assert columns["negative_1"] == ["w", "w"] and columns["negative_2"] == ["", ""] and columns["_drop"] == [5, 5]
    counts = stats.as_dict(MiningArgs(model="m", num_negatives=2, range_min=2), "s")
    assert (counts["skipped_range_min"], counts["in_short_rows"], counts["kept"]) == (4, 2, 0)
    assert (counts["rows_dropped_short"], counts["rows_kept"]) == (2, 0)


def test_no_relative_margin_keeps_the_closest_non_positives():
    columns, _ = _select(num_negatives=1, relative_margin=None)
    assert columns["negative_1"] == ["x", "x"]
