"""Encode texts in batches of similar token length, each distinct text once.

sentence-transformers sorts a call's inputs by *character* length. Character counts are a rough proxy for token
counts (numbers, rare words and scripts split very differently), so its batches still carry padding. Sorting by
the tokenizer's own lengths fills batches with texts of the same padded length; duplicates are encoded once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch

logger = logging.getLogger(__name__)


def token_lengths(model, texts: Sequence[str]) -> list[int]:
    """Token count of each text after the model's truncation; character count if there is no tokenizer."""
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None or not callable(tokenizer):
        return [len(t) for t in texts]
    try:
        max_length = getattr(model, "max_seq_length", None) or None
        ids = tokenizer(
            list(texts),
            truncation=max_length is not None,
            max_length=max_length,
            add_special_tokens=True,
            return_attention_mask=False,
            return_token_type_ids=False,
            verbose=False,
        )["input_ids"]
        return [len(i) for i in ids]
    except Exception as exc:  # an exotic processor: char length is still a valid (coarser) sort key
        logger.debug("token_lengths: tokenizer failed (%s); sorting by characters", exc)
        return [len(t) for t in texts]


def batches_by_length(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Index batches, longest texts first, so an out-of-memory error (if any) comes in the first batch."""
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def encode_sorted(
    model,
    texts: Sequence[str],
    *,
    kind: str | None = None,
    batch_size: int = 32,
    prompt: str | None = None,
    prompt_name: str | None = None,
    show_progress_bar: bool = False,
    **kwargs,
) -> torch.Tensor:
    """Embeddings of `texts` (rows in input order), encoded in token-length-sorted batches.

    Args:
        model: A SentenceTransformer.
        texts: The texts; duplicates are encoded once.
        kind: "query" → `encode_query`, "document" → `encode_document`, None → `encode` (as the ST evaluators).
        batch_size: Texts per forward pass.
        prompt: Literal prompt prefix, passed to encode.
        prompt_name: Name of a prompt in the model's `prompts`, passed to encode.
        show_progress_bar: Show a tqdm bar over the batches.
        **kwargs: Further `encode` keyword arguments (not truncate_dim: callers slice the result).

    Returns:
        A float tensor of shape (len(texts), model dim) on the model's device, as ST's evaluators get it.
    """
    fn = {"query": model.encode_query, "document": model.encode_document}.get(kind or "", model.encode)
    if len(texts) == 0:
        return torch.empty(0, 0)
    distinct = list(dict.fromkeys(texts))
    rows = {text: i for i, text in enumerate(distinct)}
    batches = batches_by_length(token_lengths(model, distinct), batch_size)
    if show_progress_bar:
        from tqdm import tqdm

        batches = tqdm(batches, desc=f"encode {kind or 'texts'}", unit="batch")
    out: torch.Tensor | None = None
    for index in batches:
        embeddings = fn(
            [distinct[i] for i in index],
            batch_size=len(index),
            prompt=prompt,
            prompt_name=prompt_name,
            convert_to_tensor=True,
            show_progress_bar=False,
            **kwargs,
        )
        if out is None:
            out = embeddings.new_empty((len(distinct), embeddings.shape[-1]))
        out[torch.as_tensor(index, device=out.device)] = embeddings
    assert out is not None
    if len(distinct) == len(texts):
        return out
    return out[torch.as_tensor([rows[t] for t in texts], device=out.device)]
