"""Torch-free validation of preprocess_args (what `embedding validate` reports) for the new keys."""

from __future__ import annotations

import subprocess
import sys

import pytest

from embedding.data.checks import KEYS, MINING_KEYS, preprocess_problems


def problems(kind, args):
    return [str(p) for p in preprocess_problems(kind, args, "objectives[0].datasets.train")]


def test_valid_arguments_of_every_shape_pass():
    assert (
        problems(
            "contrastive",
            {
                "format": "labeled",
                "negative_samples": 3,
                "positives_per_anchor": 2,
                "group_column": "domain",
                "columns": {"text": "utterance"},
                "limit": 10,
            },
        )
        == []
    )
    assert (
        problems(
            "similarity",
            {
                "format": "labeled",
                "samples_per_anchor": {"same_label": 2, "other_group": 0},
                "name_to_label": {"same_group": 0.5},
            },
        )
        == []
    )
    assert (
        problems(
            "similarity",
            {"format": "scored-pairs", "score_range": [1, 5], "name_to_label": {"entailment": 1, "neutral": 0}},
        )
        == []
    )
    assert problems("retrieval", {"format": "labeled", "queries_per_label": 3, "max_texts_per_label": -1}) == []
    assert (
        problems(
            "contrastive",
            {
                "mine_hard_negatives": {
                    "model": "sentence-transformers/all-MiniLM-L6-v2",
                    "num_negatives": 5,
                    "range_min": 10,
                    "range_max": 50,
                    "max_score": 0.8,
                    "relative_margin": 0.05,
                    "sampling_strategy": "random",
                    "batch_size": 64,
                }
            },
        )
        == []
    )


@pytest.mark.parametrize(
    "kind, args, expected",
    [
        (
            "contrastive",
            {"mine_hard_negative": {}},
            "unknown preprocess argument for contrastive data (did you mean `mine_hard_negatives`?)",
        ),
        ("similarity", {"mine_hard_negatives": {"model": "m"}}, "unknown preprocess argument for similarity data"),
        (
            "contrastive",
            {"mine_hard_negatives": "all-MiniLM"},
            "mine_hard_negatives: expected a mapping with at least",
        ),
        ("contrastive", {"mine_hard_negatives": {"num_negatives": 2}}, "mine_hard_negatives.model: required"),
        (
            "contrastive",
            {"mine_hard_negatives": {"model": "m", "num_negative": 2}},
            "mine_hard_negatives.num_negative: unknown mining option (did you mean `num_negatives`?)",
        ),
        (
            "contrastive",
            {"mine_hard_negatives": {"model": "m", "num_negatives": 0}},
            "expected an integer >= 1, got 0",
        ),
        (
            "contrastive",
            {"mine_hard_negatives": {"model": "m", "num_negatives": 5, "range_max": 3}},
            "range_max - range_min must leave at least num_negatives (5) candidates",
        ),
        (
            "contrastive",
            {"mine_hard_negatives": {"model": "m", "sampling_strategy": "best"}},
            "expected `top` or `random`",
        ),
        ("contrastive", {"mine_hard_negatives": {"model": "m", "max_score": "high"}}, "max_score: expected a number"),
        (
            "contrastive",
            {"mine_hard_negatives": {"model": "m"}, "negative_samples": 2},
            "negative_samples: mine_hard_negatives supplies the negatives",
        ),
        ("contrastive", {"positives_per_anchor": 0}, "positives_per_anchor: expected an integer >= 1"),
        (
            "similarity",
            {"samples_per_anchor": {"same_lable": 1}},
            "samples_per_anchor.same_lable: unknown kind (did you",
        ),
        (
            "similarity",
            {"samples_per_anchor": {"same_label": -1}},
            "samples_per_anchor.same_label: expected an integer",
        ),
        ("similarity", {"score_range": [5, 1]}, "score_range: expected [min, max] with min < max"),
        ("similarity", {"format": "labeled", "name_to_label": {"similar": 1}}, "name_to_label.similar: unknown name"),
        ("similarity", {"name_to_label": {"entailment": 1}}, "set format: scored-pairs"),
        ("retrieval", {"max_texts_per_label": 0}, "max_texts_per_label: expected an integer >= 1"),
        ("contrastive", {"group_column": 3}, "group_column: expected a column/split name"),
    ],
)
def test_bad_arguments_are_reported_with_their_path(kind, args, expected):
    found = problems(kind, args)
    assert any(expected in p for p in found), found
    assert all(p.startswith("objectives[0].datasets.train.preprocess_args") for p in found)


def test_every_key_is_listed_and_checks_stay_torch_free():
    assert {"mine_hard_negatives", "positives_per_anchor", "group_column"} <= KEYS["contrastive"]
    assert {"samples_per_anchor", "score_range"} <= KEYS["similarity"]
    assert {
        "model",
        "num_negatives",
        "range_min",
        "range_max",
        "max_score",
        "relative_margin",
        "sampling_strategy",
        "batch_size",
    } <= set(MINING_KEYS)
    code = (
        "import sys, embedding.data.checks; "
        "sys.exit(any(m in sys.modules for m in ('torch', 'datasets', 'sentence_transformers')))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
