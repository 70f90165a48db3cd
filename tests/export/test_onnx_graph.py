"""What the int8 export's graph is made of: the fused (optimizer) and quantized ops the speed depends on, on the
tiny BERT. Asserts on the graph and the session settings, not on timings (benchmarks/export_speed.py measures)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TEXTS = ["como pedir o cartao da empresa", "prazo", "rastrear a minha encomenda hoje por favor"]


@pytest.fixture
def tiny_model(tiny_st):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_st), device="cpu")


def write_onnx(model, fmt, folder) -> str:
    """The folder `embedding export` writes (pipeline files, then the graph; static int8 calibrated on TEXTS)."""
    from embedding.export.layout import write_layout
    from embedding.export.onnx import write_graph

    folder.mkdir(parents=True)
    write_layout(model, folder)
    return write_graph(model, fmt, folder, TEXTS)


def graph_ops(path) -> Counter:
    import onnx

    return Counter(node.op_type for node in onnx.load(str(path)).graph.node)


def test_dynamic_int8_graph_is_fused_then_quantized(tiny_model, tmp_path):
    file_name = write_onnx(tiny_model, "onnx-int8-dynamic", tmp_path / "int8")
    ops = graph_ops(tmp_path / "int8" / file_name)
    layers = tiny_model[0].model.config.num_hidden_layers
    # every layer's attention is one quantized kernel: no Softmax of an unfused attention is left
    assert ops["QAttention"] == layers and ops["Softmax"] == 0
    assert ops["SkipLayerNormalization"] == 2 * layers and ops["QEmbedLayerNormalization"] == 1
    assert ops["MatMulInteger"] > 0 and ops["DynamicQuantizeLinear"] > 0 and ops["MatMul"] == 0


def test_int8_export_leaves_the_torch_model_as_it_was(tiny_model, tmp_path):
    config = tiny_model[0].model.config
    before = config._attn_implementation
    reference = tiny_model.encode(TEXTS, normalize_embeddings=True)
    write_onnx(tiny_model, "onnx-int8-dynamic", tmp_path / "int8")
    # the export traces the eager attention; the check must then time the model's own (e.g. sdpa) attention
    assert config._attn_implementation == before
    np.testing.assert_allclose(tiny_model.encode(TEXTS, normalize_embeddings=True), reference, atol=1e-6)


def test_float_graph_keeps_standard_onnx_ops(tiny_model, tmp_path):
    import onnx

    file_name = write_onnx(tiny_model, "onnx", tmp_path / "float")
    domains = {node.domain for node in onnx.load(str(tmp_path / "float" / file_name)).graph.node}
    assert domains <= {"", "ai.onnx"}  # no onnxruntime contrib ops: OpenVINO and other runtimes read it


def test_sessions_run_on_torchs_thread_count(tiny_model, tmp_path, monkeypatch):
    import torch

    from embedding.export.runtime import load_exported

    file_name = write_onnx(tiny_model, "onnx-int8", tmp_path / "int8")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    options = load_exported(tmp_path / "int8", file_name)[0].model.session.get_session_options()
    assert options.intra_op_num_threads == 1 and options.inter_op_num_threads == 1


@pytest.mark.parametrize("fmt", ["onnx", "onnx-int8-dynamic"])
def test_a_text_cut_after_its_special_tokens_gets_the_closing_token_back(tiny_model, tmp_path, fmt):
    """transformers.js cuts a long text after adding [CLS]/[SEP], losing the [SEP] sentence-transformers keeps; the
    graph puts it back, so its vector is the one of the text cut the sentence-transformers way."""
    import onnxruntime as ort

    tiny_model.max_seq_length = 12
    long_text = " ".join(TEXTS * 4)
    file_name = write_onnx(tiny_model, fmt, tmp_path / fmt)
    session = ort.InferenceSession(str(tmp_path / fmt / file_name), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def hidden(ids: list[int]) -> np.ndarray:
        feed = {"input_ids": [ids], "attention_mask": [[1] * len(ids)], "token_type_ids": [[0] * len(ids)]}
        return session.run(None, {n: np.array(feed[n], dtype=np.int64) for n in names})[0][0]

    tokenizer = tiny_model[0].processor
    right = tiny_model.tokenize([long_text])["input_ids"][0].tolist()  # [CLS] + 10 + [SEP]
    cut_late = tokenizer(long_text)["input_ids"][:12]  # [CLS] + 11: what transformers.js sends
    assert right[-1] == tokenizer.sep_token_id != cut_late[-1] and right[:11] == cut_late[:11]
    np.testing.assert_allclose(hidden(cut_late), hidden(right), atol=1e-6)
    ops = graph_ops(tmp_path / fmt / file_name)
    if fmt == "onnx-int8-dynamic":  # the fused embedding kernel survives the inserted ops
        assert ops["QEmbedLayerNormalization"] == 1
