"""A batch larger than the data: the banner shows what a batch really holds, capped by the rows, and warns."""

from __future__ import annotations

import io
import logging
from types import SimpleNamespace

import pytest

from embedding.training.display.batch_facts import batch_warnings, negatives_per_anchor
from tests.conftest import base_config


class Rows(list):
    """A dataset stand-in: `rows` items and the columns of contrastive rows."""

    def __init__(self, rows: int, negatives: int = 0):
        super().__init__(range(rows))
        self.column_names = ["anchor", "positive"] + [f"negative_{i + 1}" for i in range(negatives)]


def contrastive(rows: int, negatives: int = 0, *, gather: bool = False, batch_size=None):
    spec = SimpleNamespace(type="contrastive", gather_across_devices=gather, batch_size=batch_size)
    return SimpleNamespace(name="faq", spec=spec, train=SimpleNamespace(dataset=Rows(rows, negatives)))


def test_negatives_per_anchor_are_capped_by_the_rows():
    obj = contrastive(4)
    assert negatives_per_anchor(obj, 64, 1) == "63 (in-batch)"  # what the banner claimed with 4 rows
    assert negatives_per_anchor(obj, 64, 1, rows=4) == "3 (in-batch)"
    assert negatives_per_anchor(contrastive(4, 2), 64, 1, rows=4) == "11 (3 in-batch + 8 hard)"
    assert negatives_per_anchor(contrastive(100, 1), 8, 1, rows=100) == "15 (7 in-batch + 8 hard)"  # not capped
    # 10 rows over 4 processes: at most 3 per process, 12 gathered
    assert negatives_per_anchor(contrastive(10, gather=True), 8, 4, rows=10) == "11 (in-batch) across 4 devices"


def test_a_warning_per_objective_whose_batch_exceeds_its_rows():
    args = SimpleNamespace(per_device_train_batch_size=64, world_size=1)
    small, large = contrastive(4), contrastive(500)
    similarity = SimpleNamespace(
        name="sts", spec=SimpleNamespace(type="similarity"), train=SimpleNamespace(dataset=Rows(10))
    )
    warnings = batch_warnings(SimpleNamespace(objectives=[small, large, similarity]), args)
    assert len(warnings) == 2
    assert warnings[0] == (
        "objective faq: batch size 64 is larger than its 4 training rows: a batch holds at most 4 rows, so "
        "3 (in-batch) negatives per anchor instead of 63 (in-batch). Lower the batch size "
        "(args.per_device_train_batch_size or the objective's batch_size) or add data"
    )
    assert warnings[1].startswith("objective sts: batch size 64 is larger than its 10 training rows: a batch holds")
    # the objective's own batch size counts
    assert batch_warnings(SimpleNamespace(objectives=[contrastive(4, batch_size=4)]), args) == []


@pytest.fixture(scope="module")
def oversized(tmp_path_factory, tiny_bert, efaq_data):
    """A built plan and trainer whose batch (64) is larger than either objective's rows (16 and 32)."""
    from embedding.training.plan import build_plan
    from embedding.training.run import build_trainer
    from embedding.validation import validate_mapping

    out = tmp_path_factory.mktemp("ux-oversized")
    config = base_config(tiny_bert, efaq_data, out, evaluator=None, early_stopping=None)
    config["objectives"][0]["datasets"].pop("validation")
    config["args"] = {"max_steps": 1, "per_device_train_batch_size": 64, "report_to": "none", "save_strategy": "no"}
    plan = build_plan(validate_mapping(config), out / "test-run")
    return plan, build_trainer(plan, [])


def test_the_banner_shows_the_capped_numbers_and_warns(oversized, caplog):
    from rich.console import Console

    from embedding.training.display.banner import banner_facts, print_banner

    _, rows = banner_facts(*oversized)
    assert rows[0]["negatives/anchor"] == "31 (15 in-batch + 16 hard)"  # 16 rows, not 64 - 1 + 64
    out = io.StringIO()
    print_banner(*oversized, console=Console(file=out, width=400))
    text = out.getvalue()
    assert "warning: objective contrastive: batch size 64 is larger than its 16 training rows" in text
    assert "instead of 127 (63 in-batch + 64 hard)" in text
    assert "warning: objective similarity: batch size 64 is larger than its 32 training rows" in text
    with caplog.at_level(logging.INFO, logger="embedding.training.display.banner"):
        print_banner(*oversized)  # no terminal: log lines, the warnings at WARNING level
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2 and "a batch holds at most 16 rows" in warned[0]


def test_shared_positives_warn_unless_the_sampler_keeps_them_apart():
    """One answer for several questions: a plain batch makes it a false negative, no_duplicates does not."""
    from datasets import Dataset

    rows = Dataset.from_dict({"anchor": ["q1", "q2", "q3", "q4"], "positive": ["a", "a", "a", "b"]})
    obj = SimpleNamespace(name="faq", spec=SimpleNamespace(type="contrastive"), train=SimpleNamespace(dataset=rows))
    plan = SimpleNamespace(objectives=[obj])
    args = SimpleNamespace(per_device_train_batch_size=2, world_size=1, batch_sampler="batch_sampler")
    (warning,) = batch_warnings(plan, args)
    assert warning.startswith("objective faq: 1 positive text(s) belong to several anchors (up to 3)")
    assert "batch_sampler: no_duplicates" in warning and "one_per_group" in warning
    assert batch_warnings(plan, SimpleNamespace(**{**vars(args), "batch_sampler": "no_duplicates"})) == []
    obj.spec.batch_sampler = "one_per_group"  # the objective's own sampler counts
    assert batch_warnings(plan, args) == []
