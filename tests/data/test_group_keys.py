"""Group keys: every format says which training rows are in-batch false negatives for each other (issue 16)."""

from __future__ import annotations

import datasets
import numpy as np

from embedding.data import groups
from embedding.data.preprocess import training_rows
from tests.conftest import EFAQ_ROWS
from tests.data.conftest import rows_of


def _by_group(data) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for key, row in zip(data.groups.tolist(), rows_of(data.dataset), strict=True):
        out.setdefault(key, []).append(row)
    return out


def test_efaq_rows_of_one_faq_share_a_group_and_the_key_is_no_model_input(file_backed):
    data = training_rows(file_backed(EFAQ_ROWS), "contrastive", {"negative_samples": 1}, seed=1, where="t")
    assert groups.COLUMN not in data.dataset.column_names  # never tokenized as a text column
    assert len(data.groups) == len(data.dataset)
    by_group = _by_group(data)
    anchors = {key: {r["anchor"] for r in rows} for key, rows in by_group.items()}
    assert all(len(a) == 1 for a in anchors.values())  # one FAQ row = one anchor text
    assert len(by_group) == len(EFAQ_ROWS)
    assert sorted(len(rows) for rows in by_group.values()) == [len(r["similar"]) for r in EFAQ_ROWS]
    assert any(note.startswith("groups: 8 over 16 rows (largest 2)") for note in data.notes)  # `preprocess` says so


def test_efaq_similarity_rows_group_by_faq_row(file_backed):
    data = training_rows(file_backed(EFAQ_ROWS), "similarity", {}, seed=1, where="t")
    for rows in _by_group(data).values():
        assert len({r["anchor"] for r in rows}) == 1


def test_labeled_rows_group_by_label(file_backed):
    texts = [("a1", "x"), ("a2", "x"), ("a3", "x"), ("b1", "y"), ("b2", "y"), ("c1", "z"), ("c2", "z")]
    raw = file_backed([{"text": t, "label": label} for t, label in texts])
    data = training_rows(raw, "contrastive", {"negative_samples": 1}, seed=3, where="t")
    label_of = dict(texts)
    for rows in _by_group(data).values():
        assert len({label_of[r["anchor"]] for r in rows} | {label_of[r["positive"]] for r in rows}) == 1
    assert len(_by_group(data)) == 3


def test_pairs_group_column_else_anchor(file_backed):
    rows = [
        {"anchor": "q1", "positive": "p1", "group": "g"},
        {"anchor": "q2", "positive": "p2", "group": "g"},
        {"anchor": "q3", "positive": "p3", "group": None},
        {"anchor": "q3", "positive": "p4", "group": None},
        {"anchor": "q4", "positive": "p5", "group": "h"},
    ]
    data = training_rows(file_backed(rows), "contrastive", {}, seed=0, where="t")
    keys = data.groups.tolist()
    assert keys[0] == keys[1] and keys[2] == keys[3]
    assert len({keys[0], keys[2], keys[4]}) == 3
    plain = training_rows(file_backed([{k: r[k] for k in ("anchor", "positive")} for r in rows]), "contrastive", {},
                          seed=0, where="t")  # fmt: skip
    assert len(set(plain.groups.tolist())) == 4  # without the column: the anchor text (q3 twice)


def test_scored_pairs_group_by_anchor(file_backed):
    rows = [
        {"sentence1": "a", "sentence2": "b", "score": 1.0},
        {"sentence1": "a", "sentence2": "c", "score": 0.0},
        {"sentence1": "d", "sentence2": "b", "score": 0.5},
    ]
    keys = training_rows(file_backed(rows), "similarity", {}, seed=0, where="t").groups.tolist()
    assert keys[0] == keys[1] != keys[2]


def test_keys_are_deterministic_and_survive_the_cache(file_backed):
    raw = file_backed(EFAQ_ROWS)
    first = training_rows(raw, "contrastive", {"negative_samples": 1}, seed=1, where="t")
    again = training_rows(raw, "contrastive", {"negative_samples": 1}, seed=1, where="t")
    assert again.cache_hit
    assert np.array_equal(first.groups, again.groups)


def test_lookup_by_content_survives_added_columns_and_refuses_reordered_rows(file_backed):
    data = training_rows(file_backed(EFAQ_ROWS), "contrastive", {"negative_samples": 1}, seed=2, where="t")
    labelled = data.dataset.add_column("label", [0.0] * len(data.dataset))
    found = groups.groups_of(labelled)
    assert np.array_equal(found.keys, data.groups) and found.where == "t"
    assert groups.groups_of(data.dataset.select(range(len(data.dataset))[::-1])) is None
    assert groups.groups_of(datasets.Dataset.from_dict({"anchor": ["x"], "positive": ["y"]})) is None


def test_preprocess_note_counts_same_group_pairs():
    keys = np.array([1, 1, 1, 2, 2, 3])  # 3·2 + 2·1 = 8 ordered same-group pairs of 6·5 = 30
    assert groups.same_group_share(keys) == 8 / 30
    note = groups.describe(keys, batch_size=4)
    assert "3 over 6 rows (largest 3)" in note
    assert f"{8 / 30:.2%}" in note and f"{8 / 30 * 6:.2f} pairs per batch of 4" in note
    assert "one_per_group: 0" in note


def test_keys_stay_aligned_when_mining_drops_rows(tiny_bert):
    # `big` has 6 texts, so only 4 texts of other labels: its rows are left short of 6 negatives and dropped.
    rows = [{"text": f"{word} {i}", "label": word} for word, n in (("big", 6), ("a", 2), ("b", 2)) for i in range(n)]
    mining = {"model": str(tiny_bert), "num_negatives": 6, "relative_margin": None}
    data = training_rows(
        datasets.Dataset.from_list(rows), "contrastive", {"mine_hard_negatives": mining}, seed=1, where="t"
    )
    label_of = {r["text"]: r["label"] for r in rows}
    assert {r["anchor"].split()[0] for r in rows_of(data.dataset)} == {"a", "b"}  # the `big` rows dropped
    assert len(data.groups) == len(data.dataset)
    labels = [{label_of[r["anchor"]] for r in group} for group in _by_group(data).values()]
    assert sorted(map(sorted, labels)) == [["a"], ["b"]]
