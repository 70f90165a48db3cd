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
    assert type(exported[0].model).__name__ == "OnnxEncoder"  # onnxruntime / OpenVINO run the transformer, not torch
    a = torch_model.encode(TEXTS, normalize_embeddings=True)
    b = exported.encode(TEXTS, normalize_embeddings=True)
    return float(np.abs(1 - (a * b).sum(axis=1)).max())


def test_onnx_export_matches_torch_and_reports(cli, tiny_st, efaq_dir, tmp_path, capsys):
    output = tmp_path / "tiny-onnx"
    assert export(cli, tiny_st, efaq_dir, output, "onnx") == 0
    out = capsys.readouterr().out
    assert "cosine_ndcg@10" in out and "texts/s" in out and "check: ok" in out
    assert (output / "onnx" / "model.onnx").is_file() and (output / "modules.json").is_file()
    report = json.loads((output / "export_report.json").read_text())
    assert report["file_name"] == "onnx/model.onnx" and report["passed"] is True
    assert report["max_cosine_difference"] < 1e-4
    assert report["metric_export"] == pytest.approx(report["metric_torch"], abs=1e-6)
    assert report["texts_per_second_torch"] > 0 and report["texts_per_second_export"] > 0
    assert report["texts"] == len({t for row in _efaq_texts(efaq_dir) for t in row})
    assert max_cosine_difference(output, "onnx/model.onnx", tiny_st) < 1e-4
    assert not list(tmp_path.glob(".*partial*"))


def _efaq_texts(efaq_dir):
    rows = [json.loads(line) for line in (efaq_dir / "test.jsonl").read_text().splitlines()]
    return [[r["sentence"], *r["similar"], *r["almost_similar"], *r["dissimilar"]] for r in rows]


def test_int8_export_is_quantized_and_close(cli, tiny_st, efaq_dir, tmp_path):
    import onnx

    output = tmp_path / "tiny-int8"
    # A random model's ranking flips on tiny differences: the drop gate is tested below, not here.
    assert export(cli, tiny_st, efaq_dir, output, "onnx-int8", "--max-drop", "1") == 0
    assert [p.name for p in (output / "onnx").iterdir()] == ["model_qint8.onnx"]
    ops = {node.op_type for node in onnx.load(str(output / "onnx" / "model_qint8.onnx")).graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= ops
    difference = max_cosine_difference(output, "onnx/model_qint8.onnx", tiny_st)
    assert 0 < difference < 1e-2  # int8 weights: close to torch, yet not the float graph


def test_metric_drop_beyond_max_drop_exits_3_and_keeps_the_folder(cli, tiny_st, efaq_dir, tmp_path, capsys):
    output = tmp_path / "tiny-onnx"
    assert export(cli, tiny_st, efaq_dir, output, "onnx", "--max-drop", "-1") == 3
    assert "FAILED: metric dropped" in capsys.readouterr().out
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
