"""The transformer of a sentence-transformers model as an ONNX graph (float32, int8) or OpenVINO IR.

Only the transformer runs in the graph; tokenizing, pooling and normalizing stay the model's own modules
(layout.py writes them beside it). The dynamic int8 graph is fused by onnxruntime's transformer optimizer
(Attention, SkipLayerNormalization, BiasGelu, EmbedLayerNormalization) before quantizing, so that attention runs
as one quantized QAttention kernel: that took dynamic int8 from 1.4x to 1.8x torch (same threads) on this
project's Xeon. The float graph stays standard ONNX ops, which OpenVINO and other runtimes read, and which the
static int8 graph (int8.py) quantizes.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from . import FILE_NAMES
from .errors import LibraryFailed
from .int8 import quiet

# Texts of different lengths, so the traced graph sees padding and keeps batch and sequence sizes dynamic.
TRACE_TEXTS = ["short", "a somewhat longer sentence, so that the batch has padding in it"]
OPSET = 17


def _input_names(features) -> list[str]:
    names = ["input_ids", "attention_mask", "token_type_ids"]
    return [name for name in names if name in features]


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

    closing = closing_token(model[0].processor) if "attention_mask" in names else None

    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs):
            named = dict(zip(names, inputs, strict=True))
            if closing is not None:
                named["input_ids"] = with_closing_token(named["input_ids"], named["attention_mask"], closing)
            return self.encoder(**named, return_dict=True).last_hidden_state

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


def closing_token(tokenizer) -> int | None:
    """The special token the tokenizer puts after a text ([SEP], </s>), or None when it puts none."""
    try:
        marked = tokenizer("a")["input_ids"]
        plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    except Exception:  # noqa: BLE001 - not a text tokenizer: nothing to restore
        return None
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    return int(marked[-1]) if len(marked) > len(plain) and marked[-1] in special else None


def with_closing_token(input_ids, attention_mask, closing: int):
    """`input_ids` with each text's last real token set to `closing`.

    A text longer than the model's maximum is cut by sentence-transformers before the special tokens are added
    ([CLS] + 254 tokens + [SEP]); transformers.js cuts after adding them, so its last token is a word and the vector
    moves (cosine 0.99895 on a 390-token text). The graph puts the closing token back where it belongs; for inputs
    that already end with it (every other client) this changes nothing.
    """
    import torch

    positions = torch.ones_like(input_ids).cumsum(1) - 1  # tensor ops only: the traced graph keeps dynamic sizes
    last = (attention_mask * positions).argmax(dim=1, keepdim=True)
    return input_ids.scatter(1, last, torch.full_like(last, closing))


def fuse(path: Path, config) -> None:
    """Rewrite the graph at `path` with onnxruntime's BERT fusions (heads and width from the model's config;
    0 lets the optimizer read them from the graph). Patterns it does not recognise stay as they were."""
    from onnxruntime.transformers.optimizer import optimize_model

    with quiet():
        fused = optimize_model(
            str(path),
            model_type="bert",
            num_heads=getattr(config, "num_attention_heads", 0) or 0,
            hidden_size=getattr(config, "hidden_size", 0) or 0,
        )
        fused.save_model_to_file(str(path))


def to_openvino(source: Path, target: Path) -> None:
    """The ONNX graph as OpenVINO IR (xml + bin), weights kept in float32 (OpenVINO's default halves them)."""
    import openvino as ov

    target.parent.mkdir(exist_ok=True)
    ov.save_model(ov.convert_model(str(source)), str(target), compress_to_fp16=False)


def check_exportable(model) -> None:
    """UserError unless the model is a Transformer encoder followed by modules that run in torch after it."""
    from sentence_transformers.base.modules.transformer import Transformer

    from ..errors import UserError

    first = model[0] if len(model) else None
    if not isinstance(first, Transformer) or not hasattr(first, "model"):
        name = type(first).__name__ if first is not None else "no module"
        raise UserError(
            f"RUN_OR_MODEL: this model starts with {name}; the onnx and openvino formats export a model whose "
            "first module is sentence-transformers' Transformer (then Pooling, Dense, Normalize). A "
            "StaticEmbedding model is already as fast as an export makes it: use it as it is"
        )


def write_graph(model, fmt: str, folder: Path, calibration: list[str]) -> str:
    """Write the `fmt` graph (ONNX float32, int8 static or dynamic, OpenVINO IR) into `folder`; returns its path
    relative to the folder. Only the file the format runs stays (no float graph beside an int8 one).

    Raises:
        LibraryFailed: exporting, quantizing or converting raised (the caller deletes the folder).
    """
    from .int8 import quantize_dynamic, quantize_static

    try:
        (folder / "onnx").mkdir(exist_ok=True)
        float_path = folder / "onnx" / "model_float.onnx"
        names = export_transformer(model, float_path, eager=fmt == "onnx-int8-dynamic")
        target = folder / FILE_NAMES[fmt]
        if fmt == "onnx-int8-dynamic":
            fuse(float_path, model[0].model.config)
            quantize_dynamic(float_path, target)
        elif fmt == "onnx-int8":
            quantize_static(float_path, target, _tokenizer(model), calibration, names)
        elif fmt == "openvino":
            to_openvino(float_path, target)
        if fmt == "onnx":
            float_path.rename(target)
        else:
            float_path.unlink()
        if not any((folder / "onnx").iterdir()):
            (folder / "onnx").rmdir()
    except Exception as exc:
        raise LibraryFailed(f"{fmt} export of the model failed: {type(exc).__name__}: {exc}") from exc
    return FILE_NAMES[fmt]


def _tokenizer(model):
    """texts -> features as the model tokenizes them (its padding, truncation at its max_seq_length)."""
    return lambda texts: model[0].preprocess(texts)
