"""`embedding export` on the tiny BERT: real torch.onnx export, real onnxruntime run, the check and its report."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from tests.conftest import base_config

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TEXTS = ["como pedir o cartao da empresa", "prazo", "rastrear a minha encomenda hoje por favor"]


def export(cli, model, efaq_dir, output, fmt, *extra):
    return cli(["export", str(model), "--format", fmt, "--dataset", str(efaq_dir), "--output", str(output), *extra])


def max_cosine_difference(folder, file_name, reference_folder) -> float:
    from sentence_transformers import SentenceTransformer

    from embedding.export.runtime import load_exported

    torch_model = SentenceTransformer(str(reference_folder), device="cpu")
    exported = load_exported(folder, file_name)
    assert type(exported[0].model).__name__ == "GraphEncoder"  # onnxruntime / OpenVINO run the transformer, not torch
    a = torch_model.encode(TEXTS, normalize_embeddings=True)
    b = exported.encode(TEXTS, normalize_embeddings=True)
    return float(np.abs(1 - (a * b).sum(axis=1)).max())


def test_onnx_export_matches_torch_and_reports(cli, tiny_st, efaq_dir, tmp_path, capsys):
    output = tmp_path / "tiny-onnx"
    assert export(cli, tiny_st, efaq_dir, output, "onnx") == 0
    out = capsys.readouterr().out
    assert "cosine_ndcg@10" in out and "texts/s" in out and "check: ok" in out
    assert (output / "onnx" / "model.onnx").is_file() and (output / "modules.json").is_file()
    assert [p.name for p in (output / "onnx").iterdir()] == ["model.onnx"]
    assert not (output / "model.safetensors").exists()  # the torch weights only with --with-torch
    assert "load_exported(" in out and "backend='onnx'" not in out and f"export: {output}" in out
    report = json.loads((output / "export_report.json").read_text())
    assert report["file_name"] == "onnx/model.onnx" and report["passed"] is True
    assert report["max_cosine_difference"] < 1e-4
    assert report["metric_export"] == pytest.approx(report["metric_torch"], abs=1e-6)
    assert report["texts_per_second_torch"] > 0 and report["texts_per_second_export"] > 0
    speed = report["speed"]
    assert speed["threads"] >= 1 and speed["batch_size"] == 32 and speed["repeats"] == 3
    assert speed["export_best"] >= speed["export_median"] > 0 and "load_average" in speed
    assert "speed measured on" in out and "best and median of 3" in out
    assert report["batch_difference"] <= report["batch_limit"] == 1e-6
    assert report["texts"] == len({t for row in _efaq_texts(efaq_dir) for t in row})
    assert max_cosine_difference(output, "onnx/model.onnx", tiny_st) < 1e-4
    assert not list(tmp_path.glob(".*partial*"))


def _efaq_texts(efaq_dir):
    rows = [json.loads(line) for line in (efaq_dir / "test.jsonl").read_text().splitlines()]
    return [[r["sentence"], *r["similar"], *r["almost_similar"], *r["dissimilar"]] for r in rows]


def test_static_int8_is_calibrated_qdq_and_batch_independent(cli, tiny_st, efaq_dir, tmp_path):
    import onnx

    output = tmp_path / "tiny-int8"
    # A random model's ranking flips on tiny differences: the drop gate is tested below, not here.
    assert export(cli, tiny_st, efaq_dir, output, "onnx-int8", "--max-drop", "1") == 0
    assert [p.name for p in (output / "onnx").iterdir()] == ["model_quantized.onnx"]  # transformers.js q8 name
    ops = {node.op_type for node in onnx.load(str(output / "onnx" / "model_quantized.onnx")).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops and "DynamicQuantizeLinear" not in ops
    difference = max_cosine_difference(output, "onnx/model_quantized.onnx", tiny_st)
    assert 0 < difference < 5e-2  # int8: close to torch, yet not the float graph
    report = json.loads((output / "export_report.json").read_text())
    assert report["batch_difference"] <= 1e-6 and report["batch_limit"] == 1e-6 and report["passed"]


def test_dynamic_int8_stays_an_option_and_reports_its_batch_dependence(cli, tiny_st, efaq_dir, tmp_path):
    import onnx

    output = tmp_path / "tiny-int8-dynamic"
    assert export(cli, tiny_st, efaq_dir, output, "onnx-int8-dynamic", "--max-drop", "1") == 0
    ops = {node.op_type for node in onnx.load(str(output / "onnx" / "model_quantized.onnx")).graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= ops
    report = json.loads((output / "export_report.json").read_text())
    assert report["batch_limit"] is None and report["batch_difference"] > 0  # measured, not promised


def test_metric_drop_beyond_max_drop_exits_3_and_keeps_the_folder(
    cli, tiny_st, efaq_dir, tmp_path, capsys, monkeypatch
):
    import embedding.export.check as check

    values = iter([0.8, 0.7])  # torch, then the export: a drop of 0.1
    monkeypatch.setattr(check, "main_metric", lambda evaluator, model: ("cosine_ndcg@10", next(values)))
    output = tmp_path / "tiny-onnx"
    assert export(cli, tiny_st, efaq_dir, output, "onnx", "--max-drop", "0.05") == 3
    assert "FAILED: cosine_ndcg@10 dropped 0.1000 > --max-drop 0.05" in capsys.readouterr().out
    assert json.loads((output / "export_report.json").read_text())["passed"] is False


def test_run_folder_exports_final_and_checks_on_its_evaluator(cli, tiny_st, tiny_bert, efaq_dir, tmp_path):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_st, run_dir / "final")
    (run_dir / "config.resolved.yaml").write_text(yaml.safe_dump(base_config(tiny_bert, efaq_dir, tmp_path)))
    assert cli(["export", str(run_dir), "--format", "onnx"]) == 0
    report = json.loads((run_dir / "export-onnx" / "export_report.json").read_text())
    assert report["model"] == str(run_dir / "final") and report["split"] == "validation"


@pytest.mark.slow  # a second export + check; the fast suite keeps the single-evaluator and onnx ones
def test_run_with_an_evaluator_list_checks_on_the_first(cli, tiny_st, tiny_bert, efaq_dir, tmp_path):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_st, run_dir / "final")
    config = base_config(tiny_bert, efaq_dir, tmp_path)
    first = {**config["evaluator"], "dataset": {**config["evaluator"]["dataset"], "args": {"split": "test"}}}
    config["evaluator"] = [first, config["evaluator"]]
    # a list names its evaluators' metrics (retrieval_, retrieval_2_): the run it stands for was validated so
    config["args"]["metric_for_best_model"] = "retrieval_cosine_map@1"
    (run_dir / "config.resolved.yaml").write_text(yaml.safe_dump(config))
    assert cli(["export", str(run_dir), "--format", "onnx", "--output", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "export_report.json").read_text())["split"] == "test"


def test_library_failure_is_one_line_and_leaves_nothing(cli, tiny_st, efaq_dir, tmp_path, monkeypatch, capsys):
    import embedding.export.onnx as onnx_export

    def crash(model, path, **_):
        path.write_bytes(b"half")
        raise RuntimeError("unsupported operator aten::foo")

    monkeypatch.setattr(onnx_export, "export_transformer", crash)
    output = tmp_path / "out" / "tiny-onnx"
    output.parent.mkdir()
    assert export(cli, tiny_st, efaq_dir, output, "onnx") == 1
    err = capsys.readouterr().err
    assert "library failed: onnx export of the model failed: RuntimeError: unsupported operator aten::foo" in err
    assert "internal error" not in err and "Traceback" not in err
    assert list(output.parent.iterdir()) == []


@pytest.mark.slow  # OpenVINO's conversion takes ~40 s; the onnx exports stay in the fast suite
def test_openvino_export_matches_torch(cli, tiny_st, efaq_dir, tmp_path):
    pytest.importorskip("openvino")
    output = tmp_path / "tiny-openvino"
    assert export(cli, tiny_st, efaq_dir, output, "openvino") == 0
    assert sorted(p.name for p in (output / "openvino").iterdir()) == ["openvino_model.bin", "openvino_model.xml"]
    assert not (output / "onnx").exists()  # the intermediate ONNX graph is not left behind
    report = json.loads((output / "export_report.json").read_text())
    assert report["file_name"] == "openvino/openvino_model.xml" and report["passed"] is True
    assert report["metric_export"] == pytest.approx(report["metric_torch"], abs=1e-6)
    assert max_cosine_difference(output, "openvino/openvino_model.xml", tiny_st) < 1e-4


def test_missing_runtime_is_named_for_the_format(cli, tiny_st, efaq_dir, tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name, *a))
    assert export(cli, tiny_st, efaq_dir, tmp_path / "out", "openvino") == 2
    err = capsys.readouterr().err
    assert "--format openvino needs openvino, which is not installed" in err
    assert 'pip install "embedding[export]"' in err
    assert not (tmp_path / "out").exists()
