"""The banner's "global batch" row: what a multi-process batch means for each anchor's negatives."""

from __future__ import annotations

from types import SimpleNamespace

from embedding.training.display.global_batch import global_batch_row
from tests.ux.test_batch_facts import contrastive


def args(world: int, batch: int = 4, accumulation: int = 1):
    return SimpleNamespace(
        world_size=world, per_device_train_batch_size=batch, gradient_accumulation_steps=accumulation
    )


def plan(*objectives):
    return SimpleNamespace(objectives=list(objectives))


def test_gathered_anchors_meet_every_process_rows():
    row = global_batch_row(plan(contrastive(100, 1, gather=True)), args(2))
    assert row == (
        "global batch",
        "faq: 2 processes x 4 rows = 8 anchors, each ranked against the candidates of all of them: "
        "15 (7 in-batch + 8 hard) across 2 devices",
    )


def test_without_gather_each_process_ranks_its_own_rows_and_says_what_gather_would_give():
    obj = contrastive(100)
    obj.spec.loss = None  # the contrastive default (`ranking`) can gather
    label, text = global_batch_row(plan(obj), args(4, accumulation=2))
    assert label == "global batch"
    assert text.startswith("faq: each process ranks its own 4 rows: 3 (in-batch); gather_across_devices: true would")
    assert "would use all 16" in text and "gradient accumulation adds no negatives" in text


def test_no_row_in_one_process_or_without_contrastive_objectives():
    assert global_batch_row(plan(contrastive(100, gather=True)), args(1)) is None
    similarity = SimpleNamespace(name="sts", spec=SimpleNamespace(type="similarity"))
    assert global_batch_row(plan(similarity), args(2)) is None
