"""Write an export folder: the sentence-transformers model plus its transformer as ONNX (float32 or int8).

The layout is sentence-transformers' `backend="onnx"` one (`onnx/model.onnx`, `onnx/model_qint8.onnx` next to
modules.json, the tokenizer and pooling). Only the transformer runs in ONNX; tokenizing, pooling and
normalizing stay the model's own modules.

The int8 graph is fused by onnxruntime's transformer optimizer (Attention, SkipLayerNormalization, BiasGelu,
EmbedLayerNormalization) before quantizing, so that attention runs as one quantized QAttention kernel: that took
int8 from 1.4x to 1.8x torch (same threads) on this project's Xeon (benchmarks/results/export_speed_cpu.txt). The
float graph stays standard ONNX ops, which OpenVINO and other runtimes read; fusing it gained 1% there.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from . import FILE_NAMES
from .errors import LibraryFailed

# Texts of different lengths, so the traced graph sees padding and keeps batch and sequence sizes dynamic.
TRACE_TEXTS = ["short", "a somewhat longer sentence, so that the batch has padding in it"]
OPSET = 17


def _input_names(features) -> list[str]:
    names = ["input_ids", "attention_mask", "token_type_ids"]
    return [name for name in names if name in features]


@contextmanager
def _quiet() -> Iterator[None]:
    """onnxruntime's quantizer and optimizer log warnings and progress on every call through the root logger."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


@contextmanager
def _eager_attention(encoder) -> Iterator[None]:
    """Trace attention as plain MatMul/Softmax (the pattern the optimizer fuses; the traced SDPA graph is not),
    then give the model back its own implementation: the check times the torch model as the user runs it."""
    before = getattr(encoder.config, "_attn_implementation", None)
    switched = before not in (None, "eager") and hasattr(encoder, "set_attn_implementation")
    if switched:
        encoder.set_attn_implementation("eager")
    try:
        yield
    finally:
        if switched:
            encoder.set_attn_implementation(before)


def export_transformer(model, path: Path, *, eager: bool = False) -> list[str]:
    """The model's first module (a Transformers encoder) as an ONNX graph returning last_hidden_state;
    `eager`: attention traced from the eager implementation (for fusing)."""
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
    attention = _eager_attention(encoder) if eager else nullcontext()
    with warnings.catch_warnings(), torch.no_grad(), attention:
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


def fuse(path: Path, config) -> None:
    """Rewrite the graph at `path` with onnxruntime's BERT fusions (heads and width from the model's config;
    0 lets the optimizer read them from the graph). Patterns it does not recognise stay as they were."""
    from onnxruntime.transformers.optimizer import optimize_model

    with _quiet():
        fused = optimize_model(
            str(path),
            model_type="bert",
            num_heads=getattr(config, "num_attention_heads", 0) or 0,
            hidden_size=getattr(config, "hidden_size", 0) or 0,
        )
        fused.save_model_to_file(str(path))


def quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of every MatMul and fused Attention/EmbedLayerNormalization: signed int8
    weights per output channel (u8 activations x s8 weights is the VNNI/AMX kernel; unsigned weights measured
    1.2x torch, per-tensor weights moved embeddings by up to 0.13 in 1 - cos)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # the fused contrib ops have no type inference; their outputs are float
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


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
        export_transformer(model, float_path, eager=fmt == "onnx-int8")
        if fmt == "onnx-int8":
            fuse(float_path, model[0].model.config)
            quantize(float_path, folder / FILE_NAMES[fmt])
            float_path.unlink()  # the int8 folder holds the int8 graph only
        elif fmt == "openvino":
            to_openvino(float_path, folder / FILE_NAMES[fmt])
            float_path.unlink()
            (folder / "onnx").rmdir()
    except Exception as exc:
        raise LibraryFailed(f"{fmt} export of the model failed: {type(exc).__name__}: {exc}") from exc
    return FILE_NAMES[fmt]
