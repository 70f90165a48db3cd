"""Load an export folder for encoding: the saved sentence-transformers model with its transformer run by
onnxruntime.

sentence-transformers' own `backend="onnx"` loader needs `optimum`, whose releases pin transformers < 4.58
(this package needs >= 5.24); the folder has that loader's layout, and this module runs the same graph with
onnxruntime directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


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
    """The SentenceTransformer of `folder` with its transformer replaced by the ONNX graph `file_name`."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    transformer = model[0]
    transformer.model = _encoder_class()(_session(Path(folder) / file_name), transformer.model.config)
    transformer.model_forward_params = None  # the stand-in takes **features; drop ST's bookkeeping keys
    return model
