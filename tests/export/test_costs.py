"""`embedding evaluate --quantization` building blocks: parsing, every model x ir task x size x precision."""

from __future__ import annotations

import json

import pytest

from embedding.errors import UserError


def test_unknown_precision_names_the_choices():
    from embedding.export.costs import parse_precisions

    assert parse_precisions("int8, float32,int8") == ["int8", "float32"]
    with pytest.raises(UserError, match="unknown precision fp4; use a comma-separated subset of float32,int8,ubinary"):
        parse_precisions("int8,fp4")


def test_costs_cover_every_size_and_precision_and_skip_bm25(tiny_st, efaq_dir, tmp_path):
    from embedding.evaluation.schema import EvalConfig
    from embedding.export.costs import format_costs, quantization_costs, write_costs

    config = EvalConfig.model_validate(
        {
            "models": ["bm25", str(tiny_st)],
            "tasks": [{"type": "ir", "dataset": {"name": str(efaq_dir)}, "split": "test"}],
            "dimensions": [16, 32],
            "output_dir": str(tmp_path / "results"),
        }
    )
    rows = quantization_costs(config, ["float32", "ubinary"])
    assert [(r["model"], r["dim"], r["precision"], r["bytes_per_vector"]) for r in rows] == [
        (str(tiny_st), 16, "float32", 64),
        (str(tiny_st), 16, "ubinary", 2),
        (str(tiny_st), 32, "float32", 128),
        (str(tiny_st), 32, "ubinary", 4),
    ]
    text = format_costs(rows)
    assert text.splitlines()[1].split()[2:5] == ["16", "ubinary", "2"]  # cheapest first
    path = write_costs(config.output_dir, rows)
    assert json.loads(path.read_text()) == rows


def test_costs_need_an_ir_task(tiny_st, tmp_path):
    from embedding.evaluation.schema import EvalConfig
    from embedding.export.costs import quantization_costs

    config = EvalConfig.model_validate(
        {"models": [str(tiny_st)], "tasks": [{"type": "sts", "dataset": {"name": str(tmp_path)}, "split": "test"}]}
    )
    with pytest.raises(UserError, match="no `ir` task"):
        quantization_costs(config, ["int8"])


def test_evaluate_quantization_prints_and_saves_the_cost_table(tiny_st, efaq_dir, tmp_path, capsys):
    from embedding.cli import main

    out = tmp_path / "results"
    argv = ["evaluate", "--model", str(tiny_st), "--task", "ir", "--dataset", str(efaq_dir), "--split", "test"]
    assert main([*argv, "--dimensions", "16,32", "--output-dir", str(out), "--quantization", "int8,ubinary"]) == 0
    rows = json.loads((out / "quantization.json").read_text())
    assert {(r["dim"], r["precision"]) for r in rows} == {(16, "int8"), (16, "ubinary"), (32, "int8"), (32, "ubinary")}
    assert "bytes" in capsys.readouterr().out


def test_evaluate_quantization_typo_fails_before_any_model_loads(tmp_path, capsys):
    from embedding.cli import main

    argv = ["evaluate", "--model", "no/such", "--task", "ir", "--dataset", str(tmp_path), "--quantization", "fp4"]
    assert main(argv) == 2
    assert "unknown precision fp4" in capsys.readouterr().err
