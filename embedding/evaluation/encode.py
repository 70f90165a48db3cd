"""Encode texts in batches of similar token length, each distinct text once.

sentence-transformers sorts a call's inputs by *character* length. Character counts are a rough proxy for token
counts (numbers, rare words and scripts split very differently), so its batches still carry padding. Sorting by
the tokenizer's own lengths fills batches with texts of the same padded length; duplicates are encoded once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import torch

from ..forward.execution import Execution

logger = logging.getLogger(__name__)

# Where encoding progress goes (`embedding evaluate` prints it); unset: silent, as inside training.
_REPORT: ContextVar[Callable[[str], None] | None] = ContextVar("encode_progress", default=None)
PROGRESS_EVERY_S = 10.0


@contextmanager
def progress_to(log: Callable[[str], None]) -> Iterator[None]:
    """Send encoding progress to `log` while inside: about every 10 s done/total with an ETA, and one end line."""
    token = _REPORT.set(log)
    try:
        yield
    finally:
        _REPORT.reset(token)


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class _Progress:
    """Progress lines of one encode call: periodic done/total with an ETA, then the end."""

    def __init__(self, what: str, total: int):
        self.log, self.what, self.total = _REPORT.get(), what, total
        self.started = self.last = time.perf_counter()
        self.done = 0  # no start line: a quick encoding says one line, when it is done

    def advance(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if not self.log:
            return
        if self.done >= self.total:
            seconds = now - self.started
            self.log(
                f"  encoded {self.total:,} {self.what} in {_clock(seconds)} ({self.total / max(seconds, 1e-9):.0f}/s)"
            )
        elif now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            eta = (now - self.started) / self.done * (self.total - self.done)
            self.log(f"  {self.what}: {self.done:,}/{self.total:,} ({self.done / self.total:.0%}), ETA {_clock(eta)}")


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


def _several_processes() -> bool:
    return (
        torch.distributed.is_available()
        and torch.distributed.is_initialized()
        and torch.distributed.get_world_size() > 1
    )


def packed_encoding(
    model, extras: object = None, execution: Execution | None = None
) -> Callable[[list[str]], torch.Tensor] | None:
    """A function embedding a batch of texts as unpadded tokens (`forward/packed.py`), or None where `encode` must
    run: the run's `execution` does not pack (`execution.packed: false`, a device that does not pack by default,
    a model the packed layers do not cover), a prompt (given, `default_prompt_name`, or a non-empty one in the
    model's `prompts`), other encode arguments (`extras`), or several processes (sentence-transformers' distributed
    evaluation shards `encode` calls). Without `execution` (`embedding evaluate`, the Python API) it is decided
    here for the model's device with the config's defaults. No autocast: evaluation embeddings stay float32."""
    from ..forward.execution import decide
    from ..forward.packed import embed_packed, packed_encoder

    device = getattr(model, "device", torch.device("cpu"))
    prompts = getattr(model, "prompts", None) or {}
    if extras or getattr(model, "default_prompt_name", None) or any(prompts.values()):
        return None
    if _several_processes():  # `encode` is what shares the texts out to every rank (training/sharded_eval.py)
        return None
    execution = execution or decide(None, model, device_type=device.type)
    encoder = packed_encoder(model) if execution.packed else None
    if encoder is None:
        return None

    def embed(texts: list[str]) -> torch.Tensor:
        model.eval()  # as `encode` does
        features = model.preprocess(texts)
        lengths = features["attention_mask"].sum(dim=1).tolist()
        rows = {k: features[k].to(device) for k in ("input_ids", "token_type_ids") if k in features}
        with torch.no_grad():
            return embed_packed(model, encoder, rows, lengths).float()

    return embed


def _encode_fn(model, kind: str | None, **kwargs) -> Callable[[list[str]], torch.Tensor]:
    """sentence-transformers' `encode` / `encode_query` / `encode_document` for one batch, as a tensor."""
    fn = {"query": model.encode_query, "document": model.encode_document}.get(kind or "", model.encode)
    return lambda batch: fn(batch, batch_size=len(batch), convert_to_tensor=True, show_progress_bar=False, **kwargs)


def encode_sorted(
    model,
    texts: Sequence[str],
    *,
    kind: str | None = None,
    batch_size: int = 32,
    prompt: str | None = None,
    prompt_name: str | None = None,
    show_progress_bar: bool = False,
    execution: Execution | None = None,
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
        execution: The training run's decided `Execution` (whether batches run packed); None: decided for the
            model's device with the config's defaults.
        **kwargs: Further `encode` keyword arguments (not truncate_dim: callers slice the result).

    Returns:
        A float tensor of shape (len(texts), model dim) on the model's device, as ST's evaluators get it.
    """
    if len(texts) == 0:
        return torch.empty(0, 0)
    distinct = list(dict.fromkeys(texts))
    rows = {text: i for i, text in enumerate(distinct)}
    batches = batches_by_length(token_lengths(model, distinct), batch_size)
    if show_progress_bar:
        from tqdm import tqdm

        batches = tqdm(batches, desc=f"encode {kind or 'texts'}", unit="batch")
    progress = _Progress({"query": "queries", "document": "documents"}.get(kind or "", "texts"), len(distinct))
    embed = packed_encoding(model, prompt or prompt_name or kwargs, execution) or _encode_fn(
        model, kind, prompt=prompt, prompt_name=prompt_name, **kwargs
    )
    out: torch.Tensor | None = None
    for index in batches:
        embeddings = embed([distinct[i] for i in index])
        if out is None:
            out = embeddings.new_empty((len(distinct), embeddings.shape[-1]))
        out[torch.as_tensor(index, device=out.device)] = embeddings
        progress.advance(len(index))
    assert out is not None
    if len(distinct) == len(texts):
        return out
    return out[torch.as_tensor([rows[t] for t in texts], device=out.device)]
