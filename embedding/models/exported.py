"""Load an export folder (`embedding export`) for encoding: the saved sentence-transformers pipeline with its
transformer run by onnxruntime (ONNX graphs) or OpenVINO (IR), without the torch weights.

sentence-transformers' own `backend="onnx"` / `"openvino"` loaders need `optimum` / `optimum-intel`, whose releases
pin transformers < 4.58 (this package needs >= 5.24). Here the folder's modules.json is loaded as usual, except
that its Transformer module gets the exported graph in place of the Transformers encoder: tokenizing, pooling and
normalizing stay the model's own modules, so `encode` and every evaluator work unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The graph file each export format writes, by the names the clients look for: transformers.js reads
# onnx/model.onnx (dtype fp32) and onnx/model_quantized.onnx (dtype q8); OpenVINO IR as optimum-intel names it.
GRAPH_FILES = ("onnx/model.onnx", "onnx/model_quantized.onnx", "openvino/openvino_model.xml")
OLD_GRAPH_FILES = ("onnx/model_qint8.onnx",)  # folders written before the transformers.js names
REPORT_NAME = "export_report.json"
TRANSFORMER_TYPES = (
    "sentence_transformers.base.modules.transformer.Transformer",
    "sentence_transformers.models.Transformer",
    "sentence_transformers.sentence_transformer.modules.Transformer",
)


def exported_graph(folder: Path) -> str | None:
    """The graph an export folder runs (relative path), from its export_report.json or the known names; None for a
    folder that is no export."""
    try:
        named = json.loads((folder / REPORT_NAME).read_text(encoding="utf-8")).get("file_name")
    except (OSError, ValueError, AttributeError):
        named = None
    if isinstance(named, str) and named.endswith((".onnx", ".xml")) and (folder / named).is_file():
        return named  # a static export names modules.json: a torch model, no graph
    return next((name for name in (*GRAPH_FILES, *OLD_GRAPH_FILES) if (folder / name).is_file()), None)


def session_options(threads: int | None = None):
    """onnxruntime options on `threads` (default: as many as torch uses, so a comparison is like with like)."""
    import onnxruntime as ort
    import torch

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1  # one encoder graph: no parallel branches to run
    return options


def _openvino_session(path: Path, threads: int | None):
    """A compiled OpenVINO model behind onnxruntime's `run(outputs, feed)` call shape, f32 inference (the CPU's
    bf16 default moves embeddings by ~1e-4 and is not what the check measures)."""
    import openvino as ov
    import torch

    config = {"INFERENCE_NUM_THREADS": threads or torch.get_num_threads(), "INFERENCE_PRECISION_HINT": "f32"}
    compiled = ov.Core().compile_model(str(path), "CPU", config)
    # a port's tensor can carry several names (OpenVINO folds a no-op cast into the input): take the input's own
    names = [
        next((n for n in sorted(port.get_names()) if "/" not in n), port.get_any_name()) for port in compiled.inputs
    ]

    class Session:
        def get_inputs(self):
            return [type("Input", (), {"name": name})() for name in names]

        def run(self, outputs, feed):
            result = compiled({name: feed[name] for name in names})
            return [result[compiled.output(name)] for name in outputs]

    return Session()


def graph_session(path: Path, threads: int | None = None):
    """onnxruntime (.onnx) or OpenVINO (.xml or an .onnx OpenVINO reads) session on the graph at `path`."""
    if path.suffix == ".xml":
        return _openvino_session(path, threads)
    import onnxruntime as ort

    return ort.InferenceSession(str(path), session_options(threads), providers=["CPUExecutionProvider"])


def _transformer_class():
    import torch
    from sentence_transformers.base.modules.transformer import Transformer

    class GraphEncoder(torch.nn.Module):
        """Stands in for the Transformers encoder: same inputs, `last_hidden_state` from the exported graph."""

        def __init__(self, session, config):
            super().__init__()
            self.session, self.config = session, config
            self.inputs = [i.name for i in session.get_inputs()]

        def forward(self, **features: Any) -> dict[str, Any]:
            feed = {name: features[name].cpu().numpy() for name in self.inputs}
            (hidden,) = self.session.run(["last_hidden_state"], feed)
            return {"last_hidden_state": torch.from_numpy(hidden)}

    class ExportedTransformer(Transformer):
        """sentence-transformers' Transformer module whose encoder is the exported graph (no torch weights read)."""

        def _load_model(self, model_name_or_path, transformer_task, config, backend, is_peft_model, **kwargs):
            path = Path(model_name_or_path) / kwargs["file_name"]
            return GraphEncoder(graph_session(path, kwargs.get("threads")), config)

        def forward(self, features, **kwargs):
            # its own forward on purpose: the packed CPU path runs torch encoder layers, which this has none of
            return super().forward(features, **kwargs)

    return ExportedTransformer


def load_exported(folder: str | Path, file_name: str | None = None, *, threads: int | None = None):
    """The SentenceTransformer of export folder `folder` running the graph `file_name` (default: the folder's own).

    Raises:
        FileNotFoundError: `folder` holds no exported graph (or not `file_name`).
    """
    from sentence_transformers import SentenceTransformer

    folder = Path(folder)
    file_name = file_name or exported_graph(folder)
    if file_name is None or not (folder / file_name).is_file():
        raise FileNotFoundError(f"{folder / (file_name or 'onnx/model.onnx')}: no exported graph")
    exported = _transformer_class()
    # `_load_with_module_classes` is sentence-transformers' hook for resolving a modules.json type to a given class
    return SentenceTransformer._load_with_module_classes(
        str(folder),
        dict.fromkeys(TRANSFORMER_TYPES, exported),
        device="cpu",
        model_kwargs={"file_name": file_name, "threads": threads},
    )
