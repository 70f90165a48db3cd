"""int8 ONNX graphs: static (calibrated, deterministic, QDQ) and dynamic (fused kernels, per-batch scales).

Dynamic quantization computes each activation's scale from the batch it is in, so the same text gets a different
vector alone and inside a batch (MiniLM: cosine 0.98 between the two), and a server that batches requests returns
different vectors for one text. Static quantization fixes every scale once, from calibration texts (the run's
own), so a text's vector depends on that text only. The static graph is QDQ (QuantizeLinear/DequantizeLinear
around standard ops), which onnxruntime fuses into int8 kernels and OpenVINO reads as an int8 model.

Which MatMuls are quantized was measured on MiniLM (shop-faq texts, min cosine vs torch over 41 texts): every
MatMul 0.898; without the two activation x activation attention products and the feed-forward output projection
(whose GELU inputs have the widest range) 0.988, alone vs batched 4e-16 either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CALIBRATION_BATCH = 16


@contextmanager
def quiet() -> Iterator[None]:
    """onnxruntime's quantizer and optimizer log warnings and progress on every call through the root logger."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def quantize_dynamic(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of every MatMul and fused Attention/EmbedLayerNormalization: signed int8
    weights per output channel (u8 activations x s8 weights is the VNNI/AMX kernel; unsigned weights measured
    1.2x torch, per-tensor weights moved embeddings by up to 0.13 in 1 - cos)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with quiet():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # the fused contrib ops have no type inference; their outputs are float
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def _kept_float(path: Path) -> list[str]:
    """MatMuls left in float: activation x activation (attention scores and context) and feed-forward outputs."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    weights = {init.name for init in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and (
            not any(name in weights for name in node.input)
            or ("/output/dense" in node.name and "attention" not in node.name)
        )
    ]


def _reader(tokenize, texts: list[str], names: list[str]):
    """onnxruntime's CalibrationDataReader over `texts` in fixed batches (tokenized as the model tokenizes)."""
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter(range(0, len(texts), CALIBRATION_BATCH))

        def get_next(self):
            start = next(self.batches, None)
            if start is None:
                return None
            features = tokenize(texts[start : start + CALIBRATION_BATCH])
            return {name: features[name].numpy().astype("int64") for name in names}

    return Reader()


def quantize_static(source: Path, target: Path, tokenize, texts: list[str], names: list[str]) -> None:
    """Static int8 (QDQ): weights s8 per output channel, activations u8 with scales from `texts` (min-max).

    Args:
        source, target: The float ONNX graph and the int8 one to write.
        tokenize: texts -> the model's features (torch tensors), as the model's own tokenizer pads and truncates.
        texts: Calibration texts (a few hundred of the run's own).
        names: The graph's input names.
    """
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as quantize

    if not texts:
        raise ValueError("static int8 needs calibration texts, and none were given")
    with quiet():
        quantize(
            str(source),
            str(target),
            _reader(tokenize, texts, names),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=_kept_float(source),
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
