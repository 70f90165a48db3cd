"""Composed objectives through the real run: distillation from a different-vocabulary teacher, penalty, margin."""

from __future__ import annotations

import json

from embedding import train
from tests.conftest import base_config, write_tiny_bert


def test_distillation_penalty_margin_train_and_log_each_component(tmp_path, tiny_bert, efaq_dir):
    teacher = write_tiny_bert(
        tmp_path / "teacher",
        hidden=24,
        seed=5,
        vocab_words="pedir cartao empresa entrega prazo pedido produto".split(),
    )
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    for objective in cfg["objectives"]:
        objective["datasets"].pop("validation", None)
        objective["distillation"] = {"alpha": 0.5, "teacher": {"name": str(teacher)}}
        objective["variation_penalty"] = {"alpha": 0.1, "loss_args": {"eps": "auto"}}
    cfg["objectives"][0]["margin"] = 0.1
    cfg["objectives"][0]["name"] = "faq"
    cfg["args"] = {
        "max_steps": 4,
        "per_device_train_batch_size": 4,
        "logging_steps": 1,
        "report_to": "none",
        "save_strategy": "no",
        "multi_dataset_batch_sampler": "round_robin",
    }
    result = train(cfg)
    logs = [json.loads(line) for line in (result.run_dir / "logs.jsonl").read_text().splitlines()]
    keys = set().union(*logs)
    for name in ("faq", "similarity"):
        for term in ("main", "distillation", "penalty"):
            assert f"loss/{name}/{term}" in keys, sorted(keys)
    step_logs = [r for r in logs if "loss/faq/main" in r]
    for r in step_logs:
        parts = r["loss/faq/main"] + r["loss/faq/distillation"] + r["loss/faq/penalty"]
        assert abs(parts - r["loss"]) < 1e-3
    assert (result.model_dir / "modules.json").exists()
