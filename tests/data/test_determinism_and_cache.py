"""Every shape: same seed => byte-identical rows, different seed => different samples, second run => cache hit."""

from __future__ import annotations

import json

import pytest

from embedding.data.preprocess import training_rows
from tests.conftest import EFAQ_ROWS
from tests.data.conftest import arrow_table

LABELED = [
    {"text": f"{word} {i}", "label": word, "domain": "a" if word in ("x", "y") else "b"}
    for word in ("x", "y", "z", "w")
    for i in range(5)
]
TRIPLETS = [{"anchor": f"q{i}", "positive": f"p{i}", "negative": f"n{i}"} for i in range(6)]
SCORED = [{"sentence1": f"s{i}", "sentence2": f"t{i}", "score": i / 5} for i in range(6)]
CASES = [  # (rows, objective, preprocess_args, whether the seed matters)
    (EFAQ_ROWS, "contrastive", {"negative_samples": 2}, True),
    (EFAQ_ROWS, "similarity", {}, False),
    (LABELED, "contrastive", {"negative_samples": 2}, True),
    (LABELED, "similarity", {}, True),
    (TRIPLETS, "contrastive", {}, False),
    (SCORED, "similarity", {"score_range": [0, 1]}, False),
]


@pytest.mark.parametrize("rows, kind, args, seeded", CASES, ids=[f"{json.dumps(c[0][0])[:20]}-{c[1]}" for c in CASES])
def test_same_seed_identical_other_seed_different_and_second_run_cached(file_backed, rows, kind, args, seeded):
    raw = file_backed(rows)
    first = training_rows(raw, kind, args, seed=11, where="t")
    again = training_rows(raw, kind, args, seed=11, where="t")
    other = training_rows(raw, kind, args, seed=12, where="t")
    assert not first.cache_hit and again.cache_hit and not other.cache_hit
    table = arrow_table(first.dataset)
    assert table.equals(arrow_table(again.dataset))
    assert json.dumps(first.dataset.to_list()) == json.dumps(again.dataset.to_list())
    assert table.equals(arrow_table(other.dataset)) is not seeded
    if seeded:  # the anchors stay; the sampled texts move
        assert table.column("anchor").equals(arrow_table(other.dataset).column("anchor"))


def test_changed_arguments_are_a_new_cache_entry(file_backed):
    raw = file_backed(EFAQ_ROWS)
    training_rows(raw, "contrastive", {"negative_samples": 1}, seed=1, where="t")
    changed = training_rows(raw, "contrastive", {"negative_samples": 2}, seed=1, where="t")
    assert not changed.cache_hit and changed.dataset.column_names[-1] == "negative_2"


def test_rows_do_not_depend_on_the_number_of_processes():
    import datasets

    rows = [{**r, "sentence": f"{r['sentence']} {i}"} for i in range(30) for r in EFAQ_ROWS]
    one = training_rows(datasets.Dataset.from_list(rows), "contrastive", {"negative_samples": 2}, seed=3, where="t")
    two = training_rows(
        datasets.Dataset.from_list(rows), "contrastive", {"negative_samples": 2, "num_proc": 2}, seed=3, where="t"
    )
    assert arrow_table(one.dataset).equals(arrow_table(two.dataset))
