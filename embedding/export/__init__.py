"""Ship a trained model: export to ONNX (float32 or dynamic int8) or OpenVINO IR and check the export against the
torch model.

source.py finds the model (a run's final/ or a model folder) and the task to check it on; onnx.py (and openvino.py)
write the folder; runtime.py loads it with onnxruntime or OpenVINO; check.py compares it with the torch model;
report.py writes the result. The CLI (`embedding export`) strings them together.
"""

from __future__ import annotations

FORMATS = ("onnx", "onnx-int8", "openvino")
# The file each format writes inside the folder (sentence-transformers' backend="onnx" / "openvino" layouts).
FILE_NAMES = {
    "onnx": "onnx/model.onnx",
    "onnx-int8": "onnx/model_qint8.onnx",
    "openvino": "openvino/openvino_model.xml",
}
# The packages each format needs (OpenVINO converts the ONNX graph, so it needs onnx as well).
PACKAGES = {"onnx": ("onnx", "onnxruntime"), "onnx-int8": ("onnx", "onnxruntime"), "openvino": ("onnx", "openvino")}
INSTALL = 'pip install "embedding[export]"  (onnx, onnxruntime and openvino)'
