"""`evaluation.tasks` after a run: the base model is evaluated at the same sizes as the trained one."""

from __future__ import annotations

import json

from embedding import train
from tests.conftest import base_config


def test_base_model_is_evaluated_at_every_trained_size(tmp_path, tiny_bert, efaq_dir):
    # Given a Matryoshka run (8, 16; full size 32) whose extra task names no `dimensions`
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["objectives"][0]["matryoshka"] = {"matryoshka_dims": [8, 16]}
    cfg["args"] = {"max_steps": 1, "per_device_train_batch_size": 4, "report_to": "none", "save_strategy": "no"}
    cfg["evaluation"] = {"tasks": [{"type": "ir", "dataset": {"name": str(efaq_dir)}, "split": "test"}]}

    # When it trains
    result = train(cfg)

    # Then both models have a value at every size, in evaluation.json and in report.md's "before" column
    rows = json.loads((result.run_dir / "evaluation.json").read_text())["tasks"]
    sizes = {model: {r["dim"] for r in rows if r["model"] == model} for model in ("before", "after")}
    assert sizes == {"before": {8, 16, 32}, "after": {8, 16, 32}}
    before = next(r for r in rows if r["model"] == "before" and r["dim"] == 8 and r["metric"] == "ndcg@10")
    report = (result.run_dir / "report.md").read_text()
    line = next(x for x in report.splitlines() if x.startswith("| ir |") and "| 8 | ndcg@10 |" in x)
    assert f"| {before['value']:.4f} |" in line
