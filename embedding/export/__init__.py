"""Ship a trained model: export to ONNX (float32 or dynamic int8) and check the export against the torch model.

source.py finds the model (a run's final/ or a model folder) and the task to check it on; onnx.py writes the
folder; runtime.py loads it with onnxruntime; check.py compares it with the torch model; report.py writes the
result. The CLI (`embedding export`) strings them together.
"""

from __future__ import annotations

FORMATS = ("onnx", "onnx-int8")
# The file each format writes inside the folder's onnx/ subfolder (sentence-transformers' backend="onnx" layout).
FILE_NAMES = {"onnx": "onnx/model.onnx", "onnx-int8": "onnx/model_qint8.onnx"}
INSTALL = 'pip install "embedding[export]"  (onnx and onnxruntime)'
