"""Drop codes are named (rows.Drop): every reason has its text, and the formats count rows under the named reason."""

from __future__ import annotations

from datasets import Dataset

from embedding.data.preprocess import training_rows
from embedding.data.rows import DROP_REASONS, Drop


def test_every_drop_code_but_kept_has_its_reason():
    assert set(DROP_REASONS) == set(Drop) - {Drop.KEPT}
    assert [int(code) for code in Drop] == list(range(len(Drop)))  # stored in cached Arrow files: never renumber


def test_pairs_count_self_negatives_and_identical_pairs_under_their_names():
    raw = Dataset.from_dict(
        {
            "anchor": ["a", "b", "c", "d"],
            "positive": ["p", "b", "q", "r"],
            "negative": ["n", "m", "c", "s"],
        }
    )
    data = training_rows(raw, "contrastive", {"drop_identical_pairs": True}, seed=1, where="t")
    assert data.stats[DROP_REASONS[Drop.SELF_NEGATIVE]] == 1  # c's negative is its anchor
    assert data.stats[DROP_REASONS[Drop.IDENTICAL_PAIR]] == 1  # b -> b
    assert data.dataset["anchor"] == ["a", "d"]


def test_efaq_counts_rows_without_a_positive_and_blank_items_under_their_names():
    raw = Dataset.from_list(
        [
            {"sentence": "s1", "similar": ["x1", "x2"], "dissimilar": ["s2"]},
            {"sentence": "s2", "similar": [], "dissimilar": ["s1"]},
            {"sentence": "s3", "similar": ["  ", "y1"], "dissimilar": ["s1"]},
        ]
    )
    data = training_rows(raw, "contrastive", {}, seed=1, where="t")
    assert data.stats[DROP_REASONS[Drop.NO_POSITIVE]] == 1
    assert data.stats[DROP_REASONS[Drop.BLANK_LIST_ITEM]] == 1
