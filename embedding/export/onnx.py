"""Write an export folder: the sentence-transformers model plus its transformer as ONNX (float32 or int8).

The layout is sentence-transformers' `backend="onnx"` one (`onnx/model.onnx`, `onnx/model_qint8.onnx` next to
modules.json, the tokenizer and pooling). Only the transformer runs in ONNX; tokenizing, pooling and
normalizing stay the model's own modules.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from . import FILE_NAMES
from .errors import LibraryFailed

# Texts of different lengths, so the traced graph sees padding and keeps batch and sequence sizes dynamic.
TRACE_TEXTS = ["short", "a somewhat longer sentence, so that the batch has padding in it"]
OPSET = 17


def _input_names(features) -> list[str]:
    names = ["input_ids", "attention_mask", "token_type_ids"]
    return [name for name in names if name in features]


def export_transformer(model, path: Path) -> list[str]:
    """The model's first module (a Transformers encoder) as an ONNX graph returning last_hidden_state."""
    import torch

    encoder = model[0].model.eval()
    features = model[0].processor(TRACE_TEXTS, return_tensors="pt", padding=True)
    names = _input_names(features)

    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs):
            return self.encoder(**dict(zip(names, inputs, strict=True)), return_dict=True).last_hidden_state

    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings on shape checks; the check step measures the result
        torch.onnx.export(
            LastHiddenState(),
            tuple(features[name] for name in names),
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter needs no onnxscript and handles every HF encoder here
        )
    return names


def quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of the weights (activations quantized at run time), per output channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # onnxruntime logs a "consider pre-processing" warning on every call
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


def to_openvino(source: Path, target: Path) -> None:
    """The ONNX graph as OpenVINO IR (xml + bin), weights kept in float32 (OpenVINO's default halves them)."""
    import openvino as ov

    target.parent.mkdir(exist_ok=True)
    ov.save_model(ov.convert_model(str(source)), str(target), compress_to_fp16=False)


def write_onnx(model, fmt: str, folder: Path) -> str:
    """Write the model and its `fmt` graph (ONNX, int8 ONNX or OpenVINO IR) into `folder`; returns the graph's
    path relative to it.

    Raises:
        LibraryFailed: saving, exporting, quantizing or converting raised (the caller deletes the folder).
    """
    try:
        model.save(str(folder))
        (folder / "onnx").mkdir(exist_ok=True)
        float_path = folder / FILE_NAMES["onnx"]
        export_transformer(model, float_path)
        if fmt == "onnx-int8":
            quantize(float_path, folder / FILE_NAMES[fmt])
            float_path.unlink()  # the int8 folder holds the int8 graph only
        elif fmt == "openvino":
            to_openvino(float_path, folder / FILE_NAMES[fmt])
            float_path.unlink()
            (folder / "onnx").rmdir()
    except Exception as exc:
        raise LibraryFailed(f"{fmt} export of the model failed: {type(exc).__name__}: {exc}") from exc
    return FILE_NAMES[fmt]
