"""The torch-free snapshots used by `embedding validate` must match the installed libraries."""

from __future__ import annotations

import json
from pathlib import Path

from embedding.config.catalog import snapshots as snap

HERE = Path(snap.__file__).parent.parent  # the snapshots are package data of embedding.config


def test_trainer_args_snapshot_matches_installed_sentence_transformers():
    committed = json.loads((HERE / "trainer_args.json").read_text())
    assert committed == snap.live_trainer_fields(), "run: python -m embedding.config.catalog.snapshots"


def test_ir_evaluator_snapshot_matches_installed_sentence_transformers():
    committed = json.loads((HERE / "ir_evaluator_args.json").read_text())
    assert committed == snap.live_ir_evaluator_args(), "run: python -m embedding.config.catalog.snapshots"
