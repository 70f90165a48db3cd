"""A tiny sweep config: the tiny random BERT, the tiny e-faq data, 4 steps, an evaluation every 2 steps."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import base_config
from tests.training.runs import write_config


def sweep_config(tiny_bert: Path, efaq_dir: Path, out: Path, **sweep) -> dict:
    cfg = base_config(tiny_bert, efaq_dir, out, early_stopping=None, run_name="sw")
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {
        "max_steps": 4,
        "per_device_train_batch_size": 4,
        "learning_rate": 1e-3,
        "eval_strategy": "steps",
        "eval_steps": 2,
        "save_strategy": "steps",
        "save_steps": 2,
        "save_total_limit": 1,
        "logging_steps": 2,
        "report_to": "none",
        "seed": 7,
    }
    cfg["evaluator"]["args"] = {"ndcg_at_k": [10], "map_at_k": [1]}
    cfg["sweep"] = {
        "metric": "ndcg@10",
        "trials": 4,
        "sampler": "random",
        "pruner": "none",
        "parameters": {"args.learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}},
        **sweep,
    }
    return cfg


def write_sweep(path: Path, cfg: dict) -> Path:
    return write_config(path, cfg)
