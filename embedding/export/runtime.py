"""Load an export folder for encoding: the saved sentence-transformers model with its transformer run by
onnxruntime (ONNX graphs) or OpenVINO (IR).

sentence-transformers' own `backend="onnx"` / `"openvino"` loaders need `optimum` / `optimum-intel`, whose releases
pin transformers < 4.58 (this package needs >= 5.24); the folder has those loaders' layout, and this module runs the
same graph with onnxruntime or OpenVINO directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _session(path: Path):
    """An onnxruntime session on as many threads as torch uses, so the check compares like with like (onnxruntime
    would otherwise pick its own count)."""
    import onnxruntime as ort
    import torch

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1  # one encoder graph: no parallel branches to run
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _openvino_session(path: Path):
    """A compiled OpenVINO model behind onnxruntime's `run(outputs, feed)` call shape."""
    import openvino as ov
    import torch

    compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_NUM_THREADS": torch.get_num_threads()})
    names = [port.get_any_name() for port in compiled.inputs]

    class Session:
        def get_inputs(self):
            return [type("Input", (), {"name": name})() for name in names]

        def run(self, outputs, feed):
            result = compiled(feed)
            return [result[compiled.output(name)] for name in outputs]

    return Session()


def _encoder_class():
    import torch

    class OnnxEncoder(torch.nn.Module):
        """Stands in for the Transformers encoder: same inputs, `last_hidden_state` from onnxruntime."""

        def __init__(self, session, config):
            super().__init__()
            self.session = session
            self.config = config
            self.inputs = [i.name for i in session.get_inputs()]

        def forward(self, **features: Any) -> dict[str, Any]:
            feed = {name: features[name].cpu().numpy() for name in self.inputs}
            (hidden,) = self.session.run(["last_hidden_state"], feed)
            return {"last_hidden_state": torch.from_numpy(hidden)}

    return OnnxEncoder


def load_exported(folder: str | Path, file_name: str):
    """The SentenceTransformer of `folder` with its transformer replaced by the graph `file_name` (.onnx or .xml)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    transformer = model[0]
    path = Path(folder) / file_name
    session = _openvino_session(path) if path.suffix == ".xml" else _session(path)
    transformer.model = _encoder_class()(session, transformer.model.config)
    transformer.model_forward_params = None  # the stand-in takes **features; drop ST's bookkeeping keys
    return model
