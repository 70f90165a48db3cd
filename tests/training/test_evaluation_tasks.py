from __future__ import annotations

import json

import pytest

from embedding import train
from embedding.errors import ConfigError
from embedding.validation import validate_mapping
from tests.conftest import base_config, write_jsonl


def test_extra_evaluation_tasks_run_before_and_after(tmp_path, tiny_bert, efaq_dir):
    pairs = write_jsonl(
        tmp_path / "sts" / "test.jsonl",
        [
            {"sentence1": "pedir cartao", "sentence2": "como pedir cartao", "score": 0.9},
            {"sentence1": "prazo entrega", "sentence2": "cupom desconto", "score": 0.1},
            {"sentence1": "cancelar pedido", "sentence2": "como cancelar pedido", "score": 0.8},
        ],
    )
    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {"max_steps": 2, "per_device_train_batch_size": 4, "report_to": "none", "save_strategy": "no"}
    cfg["evaluation"] = {
        "tasks": [
            {"type": "ir", "dataset": {"name": str(efaq_dir)}, "split": "test"},
            {"type": "sts", "dataset": {"name": str(pairs.parent)}, "split": "test"},
        ],
        "dimensions": [16, 32],
    }
    result = train(cfg)
    rows = json.loads((result.run_dir / "evaluation.json").read_text())["tasks"]
    assert {r["model"] for r in rows} == {"before", "after"}
    assert {r["task"] for r in rows} == {"ir", "sts"} and {r["dim"] for r in rows} == {16, 32}
    assert (result.run_dir / "evaluation" / "results.csv").exists()
    # shown where a user looks: the end-of-run terminal summary and report.md
    from io import StringIO

    from rich.console import Console

    from embedding.training.display.summary import print_result

    out = StringIO()
    print_result(result, console=Console(file=out, width=200))
    text = out.getvalue()
    assert "evaluation.tasks (before -> after training)" in text and "spearman" in text and "ndcg@10" in text
    report = (result.run_dir / "report.md").read_text()
    assert "## Extra evaluation tasks" in report
    spearman = next(r for r in rows if r["metric"] == "spearman" and r["dim"] == 32 and r["model"] == "after")
    assert f"{spearman['value']:.4f}" in report


def test_evaluation_tasks_are_validated_with_their_key_path(tmp_path):
    cfg = base_config("m", tmp_path, tmp_path / "out")
    cfg["evaluation"] = {"tasks": [{"type": "irr", "dataset": {"name": "x"}}]}
    with pytest.raises(ConfigError) as info:
        validate_mapping(cfg)
    assert [str(p) for p in info.value.problems] == ["evaluation.tasks[0].type: must be 'ir' or 'sts', got 'irr'"]
