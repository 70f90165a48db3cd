"""After-training steps: the size x precision cost table (`evaluation.quantization`) and the `export` block."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from embedding import train
from embedding.config.schema import TrainConfig
from tests.training.runs import small_config


def run_with_session(monkeypatch, cfg):
    """train(cfg), keeping the session that finish() was given (the steps take it, as run.py calls them)."""
    import embedding.training.run as run

    seen = {}
    original = run.finish

    def finish(session, result):
        seen["session"] = session
        return original(session, result)

    monkeypatch.setattr(run, "finish", finish)
    result = train(cfg)
    return seen["session"], result


def test_quantization_table_matches_the_evaluator_and_reaches_the_report(monkeypatch, tmp_path, tiny_bert, efaq_dir):
    from embedding.export import quantization
    from embedding.report import write_report
    from embedding.training.steps.quantization import calibration_texts, write_quantization_table

    cfg = small_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=True, max_steps=2)
    cfg["evaluation"] = {"quantization": True}
    session, result = run_with_session(monkeypatch, cfg)
    calls = []
    original = quantization.cost_table
    monkeypatch.setattr(quantization, "cost_table", lambda *a, **k: calls.append(a) or original(*a, **k))

    path = write_quantization_table(session, result)
    write_report(result.run_dir)

    table = json.loads(path.read_text())
    rows = {(r["dim"], r["precision"]): r for r in table["rows"]}
    assert {(d, p): rows[d, p]["bytes_per_vector"] for d, p in rows} == {
        (16, "float32"): 64,
        (16, "int8"): 16,
        (16, "ubinary"): 2,
        (32, "float32"): 128,
        (32, "int8"): 32,
        (32, "ubinary"): 4,
    }
    assert table["evaluator_metric"] == "cosine_ndcg@10"
    assert rows[32, "float32"]["value"] == pytest.approx(result.after["cosine_ndcg@10"], abs=1e-6)
    texts = calibration_texts(session.plan)
    train_texts = {t for row in session.plan.objectives[0].train.dataset for t in row.values() if isinstance(t, str)}
    assert texts and set(texts) <= train_texts  # int8 ranges from training texts, not from the searched corpus
    assert calls[0][5].shape == (len(texts), 32)
    report = (result.run_dir / "report.md").read_text()
    assert (
        "## Embedding size and precision" in report
        and "![ndcg@10 against bytes per vector](quantization.png)" in report
    )
    assert "| 16 | ubinary | 2 |" in report and (result.run_dir / "quantization.png").stat().st_size > 0


def test_quantization_is_off_by_default_and_a_list_picks_precisions(tmp_path):
    from embedding.training.steps.quantization import asked_precisions

    def plan(**evaluation):
        evaluator = {"dataset": {"name": str(tmp_path)}}  # the table measures on a retrieval evaluator (a rule)
        cfg = {**small_config(tmp_path, tmp_path, tmp_path), "evaluation": evaluation, "evaluator": evaluator}
        return SimpleNamespace(config=TrainConfig.model_validate(cfg))

    assert asked_precisions(plan()) == []
    assert asked_precisions(plan(quantization=True)) == ["float32", "int8", "ubinary"]
    assert asked_precisions(plan(quantization=["ubinary", "float32"])) == ["float32", "ubinary"]
    with pytest.raises(ValueError, match=r"non-empty list of float32, int8, ubinary; got \[\]"):
        plan(quantization=[])


def test_export_block_writes_a_checked_folder_and_a_report_section(monkeypatch, tmp_path, tiny_bert, efaq_dir):
    from embedding.report import write_report
    from embedding.training.steps.export import export_after_training, export_failures

    cfg = small_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=True, max_steps=2)
    cfg["export"] = {"formats": ["onnx-int8"], "max_drop": 1.0, "batch_size": 8}
    session, result = run_with_session(monkeypatch, cfg)

    (outcome,) = export_after_training(session, result)
    write_report(result.run_dir)

    folder = result.run_dir / "export-onnx-int8"
    assert (folder / "onnx" / "model_quantized.onnx").is_file() and (folder / "export_report.json").is_file()
    assert outcome["passed"] and outcome["format"] == "onnx-int8" and outcome["batch_size"] == 8
    assert outcome["metric_torch"] == pytest.approx(result.after["cosine_ndcg@10"], abs=1e-6)
    assert json.loads((result.run_dir / "export.json").read_text()) == [outcome]
    assert export_failures(result.run_dir) == []
    report = (result.run_dir / "report.md").read_text()
    assert "## Exports" in report and "| onnx-int8 | `export-onnx-int8` |" in report


def test_export_failures_name_the_drop_and_the_error(tmp_path):
    from embedding.training.steps.export import export_failures

    outcomes = [
        {
            "format": "onnx",
            "folder": "export-onnx",
            "metric": "cosine_ndcg@10",
            "drop": 0.05,
            "max_drop": 0.01,
            "passed": False,
        },
        {"format": "onnx-int8", "folder": "export-onnx-int8", "error": "library failed: boom"},
        {"format": "onnx", "folder": "x", "metric": "m", "drop": 0.0, "max_drop": 0.01, "passed": True},
    ]
    (tmp_path / "export.json").write_text(json.dumps(outcomes))
    assert export_failures(tmp_path) == [
        f"export onnx: cosine_ndcg@10 dropped 0.0500 > export.max_drop 0.01 ({tmp_path / 'export-onnx'})",
        "export onnx-int8 failed: library failed: boom",
    ]
    assert export_failures(tmp_path / "missing") == []
