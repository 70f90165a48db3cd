"""Ship a trained model: export to ONNX (float32, int8 static or dynamic), OpenVINO IR or a static embedding model,
and check the export against the torch model.

source.py finds the model (a run's final/ or a model folder) and the task to check it on; onnx.py, int8.py and
static.py write the folder (layout.py: the files every client reads); models/exported.py loads it with onnxruntime
or OpenVINO; check.py and speed.py compare it with the torch model; report.py writes the result. The CLI
(`embedding export`) strings them together.
"""

from __future__ import annotations

FORMATS = ("onnx", "onnx-int8", "onnx-int8-dynamic", "openvino", "static")
# The file each format runs, by the names clients look for: transformers.js reads onnx/model.onnx (dtype 'fp32')
# and onnx/model_quantized.onnx (dtype 'q8'); optimum-intel and OpenVINO users openvino/openvino_model.xml.
# A static model has no graph: its embedding table is the StaticEmbedding module's own file.
FILE_NAMES = {
    "onnx": "onnx/model.onnx",
    "onnx-int8": "onnx/model_quantized.onnx",
    "onnx-int8-dynamic": "onnx/model_quantized.onnx",
    "openvino": "openvino/openvino_model.xml",
    "static": "0_StaticEmbedding/model.safetensors",
}
DESCRIPTIONS = {
    "onnx": "float32 ONNX",
    "onnx-int8": "int8 ONNX, static (calibrated) scales: a text's vector does not depend on its batch; "
    "runs in onnxruntime and OpenVINO",
    "onnx-int8-dynamic": "int8 ONNX, dynamic scales (fused kernels, per-batch activation ranges)",
    "openvino": "OpenVINO IR, float32",
    "static": "static embedding model distilled with model2vec (sentence-transformers StaticEmbedding)",
}
# The packages each format needs (OpenVINO converts the ONNX graph, so it needs onnx as well).
PACKAGES = {
    "onnx": ("onnx", "onnxruntime"),
    "onnx-int8": ("onnx", "onnxruntime"),
    "onnx-int8-dynamic": ("onnx", "onnxruntime"),
    "openvino": ("onnx", "openvino"),
    "static": ("model2vec",),
}
INSTALL = 'pip install "embedding[export]"  (onnx, onnxruntime, openvino and model2vec)'
# The check's limits on the embedding difference, max (1 - cos) against torch over the task's texts: float graphs
# agree with torch to ~1e-7; int8 moves vectors by ~0.01 (MiniLM); a graph whose vectors are unusable against an
# index built with the torch model (permuted dimensions: ~1) fails. A static model is a different (distilled)
# model: its vectors are not comparable with the torch model's, only its metric is.
MAX_COSINE_DIFFERENCE = {
    "onnx": 1e-4,
    "onnx-int8": 0.05,
    "onnx-int8-dynamic": 0.05,
    "openvino": 1e-4,
    "static": None,
}
# Formats promised to embed a text the same alone as inside any batch: max (1 - cos) alone vs batched.
MAX_BATCH_DIFFERENCE = {"onnx": 1e-6, "onnx-int8": 1e-6, "openvino": 1e-6, "static": 1e-6}
