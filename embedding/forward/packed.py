"""Packed (unpadded) execution of one sorted step (`execution.packed`): every real token once, no padding at all.

`sorted_step.py` cuts a step's distinct texts into length-sorted chunks, each padded to its widest text; on
batches already grouped by length that still leaves ~30 % padded tokens (aia-bde, batch 16, chunks of 16), and a CPU
pays for each one in every matrix product. Here the encoder runs on the step's tokens laid end to end instead:

    tokens      T = Σ_i len_i          (no pad token anywhere)
    linear / layer norm / dropout / feed-forward     on  [T, hidden]
    attention   per bucket of texts, width W         on  [n, heads, W, W]   (runs of equal lengths grouped, each
                                                                            text padded to W, keys masked)

The distinct texts are already sorted by length, so equal lengths are contiguous: a step of 128 aia-bde texts has a
few dozen runs, grouped into a few buckets with little padding (`packed_attention.py`: thousands of small operators
per step were what collapsed on a shared CPU, issue 33). On an accelerator each call would
be a kernel launch, so there attention is ONE call on torch's jagged layout (`torch.nested`, offsets = cu_seqlens),
which SDPA dispatches to its flash / memory-efficient varlen kernels (tested on CPU for equality; `auto` packs on
CPU only until it is measured on a GPU: benchmarks/gpu.sh runs `ours-default+merge-sorted+packed`).

Pooling reads the packed output through sentence-transformers' own flattened path (`Pooling._forward_flattened`,
keyed by `cu_seq_lens_q`, the layout its flash-attention unpadding produces), then Normalize / Dense run as usual.

The embeddings equal the padded forward up to float rounding (test: fp32 1e-5, same gradients); dropout masks are
drawn per call, so they differ from a padded forward's, as with any change of batching.

Only architectures whose layers are written out here qualify: BERT-family encoders in transformers 5
(`BertModel`: MiniLM, BGE, E5 small ...; `RobertaModel` / `XLMRobertaModel`: multilingual E5, BGE-M3,
paraphrase-multilingual-mpnet ...) with absolute positions, no cross-attention and the SDPA or eager attention;
a sentence-transformers model of exactly Transformer → Pooling (→ Normalize / Dense); the model itself, not a
DDP / compiled wrapper (gradient synchronisation hooks into the wrapper's forward). LoRA adapters as this project
adds them (peft layers injected into the encoder's Linear modules) run packed too. Anything else (MPNet's relative
attention bias, a PeftModel wrapper, ...) returns None from `packed_encoder` and the step runs in padded chunks.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from .packed_attention import Bucket, attend, buckets

# Device types where `execution.packed: auto` packs. CPU: every padded token costs arithmetic; see benchmarks/README.
PACKED_ON = {"cpu"}
logger = logging.getLogger(__name__)
ATTENTION_IMPLEMENTATIONS = ("sdpa", "eager", None)


def packed_for(device_type: str, configured: bool | str = "auto") -> bool:
    """Whether a step is packed on this device: `auto` = where it measured faster (PACKED_ON)."""
    return device_type in PACKED_ON if configured == "auto" else bool(configured)


def packed_encoder(model: nn.Module) -> nn.Module | None:
    """The Hugging Face encoder to run packed, or None when this model cannot be (see the module docstring)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules.transformer import Transformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling

    if not isinstance(model, SentenceTransformer) or len(model) < 2:
        return None
    first, rest = model[0], list(model)[1:]
    # a Transformer whose forward is sentence-transformers' own (subclasses that only save / load differently, such
    # as the LoRA one in models/adapter.py, qualify: peft injects its layers into the encoder's Linear modules)
    if not isinstance(first, Transformer) or type(first).forward is not Transformer.forward:
        return None
    if not isinstance(rest[0], Pooling):
        return None
    if not all(isinstance(module, (Pooling, Normalize, Dense)) for module in rest):
        return None
    text = getattr(first, "modality_config", {}).get("text", {})
    if text.get("method") != "forward" or text.get("method_output_name") not in ("last_hidden_state", None):
        return None
    encoder = getattr(first, "model", None)
    if _position_offset(encoder) is None:
        return None
    config = encoder.config
    if config.is_decoder or config.add_cross_attention or config.chunk_size_feed_forward:
        return None
    if getattr(config, "position_embedding_type", "absolute") != "absolute":
        return None
    if config._attn_implementation not in ATTENTION_IMPLEMENTATIONS:
        return None
    return encoder


def _position_offset(encoder: nn.Module | None) -> int | None:
    """The position id of a text's first token, or None for an encoder whose layers are not the ones run here.
    BERT counts from 0; RoBERTa / XLM-R (fairseq) from padding_idx + 1. Exact classes only: subclasses and PEFT
    wrappers may change the layers."""
    from transformers import BertModel, RobertaModel, XLMRobertaModel

    if type(encoder) is BertModel:
        return 0
    if type(encoder) in (RobertaModel, XLMRobertaModel):
        return encoder.embeddings.padding_idx + 1
    return None


def _runs(lengths: list[int]) -> list[tuple[int, int, int]]:
    """(first token, texts, length) per run of equal lengths in the packed order."""
    runs: list[tuple[int, int, int]] = []
    start = 0
    for length in lengths:
        if runs and runs[-1][2] == length:
            first, count, _ = runs[-1]
            runs[-1] = (first, count + 1, length)
        else:
            runs.append((start, 1, length))
        start += length
    return runs


class Packing(NamedTuple):
    """Where each text's tokens lie in the packed sequence, and how attention runs over them."""

    buckets: list[Bucket]  # runs of equal lengths grouped into a few padded attention calls (packed_attention.py)
    offsets: Tensor  # [texts + 1] token offsets (cu_seqlens)
    max_length: int
    attention: str  # "runs": one SDPA call per bucket; "nested": one call on torch's jagged layout (varlen kernels)


def attention_for(device_type: str) -> str:
    """`runs` on CPU (measured there: torch's jagged SDPA falls back to a slower per-text loop, 4-8x the runs' time
    for a step of 128 aia-bde texts); `nested` on accelerators, where SDPA on a jagged tensor is one call of the
    flash / memory-efficient varlen kernels."""
    return "runs" if device_type == "cpu" else "nested"


_nested_failed: list[str] = []  # the error that made `nested` fall back to `runs`, once per process


def _attend(query: Tensor, key: Tensor, value: Tensor, packing: Packing, heads: int, size: int, **sdpa) -> Tensor:
    """Scaled dot-product attention of each text with itself over packed [T, heads * size] projections."""
    if packing.attention == "nested" and not _nested_failed:
        try:
            return _attend_nested(query, key, value, packing, heads, size, **sdpa)
        except (RuntimeError, NotImplementedError) as error:  # a kernel this torch / device lacks: runs still work
            _nested_failed.append(str(error).splitlines()[0] if str(error) else type(error).__name__)
            logger.warning("packed attention: jagged SDPA failed (%s); one call per run of lengths", _nested_failed[0])
    return attend(query, key, value, packing.buckets, heads, size, **sdpa)


def _attend_nested(query: Tensor, key: Tensor, value: Tensor, packing: Packing, heads: int, size: int, **sdpa):
    def jagged(x: Tensor) -> Tensor:
        nested = torch.nested.nested_tensor_from_jagged(
            x.reshape(-1, heads, size), packing.offsets, max_seqlen=packing.max_length
        )
        return nested.transpose(1, 2)  # [texts, heads, length_i, size]

    out = nn.functional.scaled_dot_product_attention(jagged(query), jagged(key), jagged(value), **sdpa)
    return out.transpose(1, 2).values().reshape(-1, heads * size)


def _layer(layer: nn.Module, hidden: Tensor, packing: Packing) -> Tensor:
    """BertLayer.forward on packed tokens (transformers 5: attention, its output block, then the feed-forward)."""
    attention = layer.attention.self
    context = _attend(
        attention.query(hidden),
        attention.key(hidden),
        attention.value(hidden),
        packing,
        attention.num_attention_heads,
        attention.attention_head_size,
        dropout_p=attention.dropout.p if attention.training else 0.0,
        scale=attention.scaling,
    )
    attended = layer.attention.output(context, hidden)
    return layer.feed_forward_chunk(attended)


def _checkpointing(encoder: nn.Module) -> bool:
    # transformers 5.24 renamed the flag (the old name warns); older 5.x have only the old one
    flag = getattr(encoder, "is_activation_checkpointing", None)
    return bool(encoder.is_gradient_checkpointing if flag is None else flag)


def embed_packed(
    model: nn.Module, encoder: nn.Module, flat: dict[str, Tensor], lengths: list[int], attention: str | None = None
) -> Tensor:
    """`sentence_embedding` of the right-padded rows `flat` (real lengths `lengths`, any order), run packed;
    `attention`: `runs` / `nested` (default: the device's, `attention_for`)."""
    ids = flat["input_ids"]
    positions = torch.arange(ids.shape[1], device=ids.device)
    length_tensor = torch.tensor(lengths, device=ids.device)
    real = positions[None, :] < length_tensor[:, None]
    token_types = flat.get("token_type_ids")
    hidden = encoder.embeddings(
        input_ids=ids[real][None],
        token_type_ids=None if token_types is None else token_types[real][None],
        position_ids=(positions + _position_offset(encoder)).expand_as(ids)[real][None],
    )[0]
    cumulative = torch.zeros(len(lengths) + 1, dtype=torch.long, device=ids.device)
    cumulative[1:] = torch.cumsum(length_tensor, 0)
    packing = Packing(
        buckets(_runs(lengths), ids.device), cumulative, max(lengths), attention or attention_for(ids.device.type)
    )
    checkpointing = _checkpointing(encoder) and encoder.training and torch.is_grad_enabled()
    for layer in encoder.encoder.layer:
        if checkpointing:  # as transformers' GradientCheckpointingLayer does: recompute each layer in backward
            hidden = torch.utils.checkpoint.checkpoint(_layer, layer, hidden, packing, use_reentrant=False)
        else:
            hidden = _layer(layer, hidden, packing)
    features: dict[str, Any] = {
        "token_embeddings": hidden[None],
        "cu_seq_lens_q": cumulative,
        "max_length_q": max(lengths),
    }
    for module in list(model)[1:]:
        features = module(features)
    return features["sentence_embedding"]
