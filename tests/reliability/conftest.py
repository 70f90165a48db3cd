"""Fixtures of the reliability tests: a run dir as `embedding report` reads it, written by hand (no training)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def report_run(tmp_path: Path) -> Path:
    """A run dir with what `embedding report` reads: logs, resources, evaluation and mining statistics."""
    from tests.training.test_mining_run_dir import _stats

    run = tmp_path / "runs" / "r"
    (run / "mining").mkdir(parents=True)
    (run / "config.resolved.yaml").write_text("run_name: r\n")
    logs = [
        {"event": "run_start", "time": 1.0},
        *({"loss": 1.0 / s, "loss/contrastive/main": 1.0 / s, "step": s, "epoch": s / 4} for s in (1, 2, 3)),
        {"eval_cosine_ndcg@10": 0.5, "eval_dim_16_cosine_ndcg@10": 0.4, "step": 2, "epoch": 0.5},
        {"event": "run_end", "time": 9.0},
    ]
    (run / "logs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in logs))
    samples = [{"step": s, "used_memory_mb": 100 + s} for s in (1, 2)]
    (run / "resources.jsonl").write_text("".join(json.dumps(r) + "\n" for r in samples))
    metrics = {"cosine_ndcg@10": 0.5, "dim_16_cosine_ndcg@10": 0.4}
    evaluation = {"before": metrics, "after": metrics, "main_metric": "cosine_ndcg@10"}
    (run / "evaluation.json").write_text(json.dumps(evaluation))
    (run / "mining" / "faq.json").write_text(json.dumps(_stats()))
    return run
