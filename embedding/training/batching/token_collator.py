"""Training batches padded from token ids kept since length grouping, not tokenized again every step.

batching.column_stats tokenizes every distinct text of a training set once (for its length) and keeps the ids,
truncated as the model's tokenizer truncates. `TokenIdPreprocess` stands in for `model.preprocess` inside
sentence-transformers' own data collator, so labels, `dataset_name`, column order, router tasks and prompts are
still the collator's business; only the step "texts of one column -> input_ids / token_type_ids / attention_mask"
becomes a gather-and-pad. It falls back to the model's preprocess for a column whenever the result could differ:
a prompt, a task, a max_length override, a value that is not a text already tokenized (an eval row, a new text).
The first columns it builds (CHECKS) are compared with the tokenizer's output, tensor for tensor; any difference and
it never takes the short cut again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

logger = logging.getLogger(__name__)

TOKEN_TENSORS = ("input_ids", "token_type_ids", "attention_mask")
CHECKS = 8  # columns compared with the tokenizer's output before the kept ids are trusted (the first batches)


class TokenIdPreprocess:
    """Callable like `SentenceTransformer.preprocess(inputs, prompt=None, task=None, **kwargs)`.

    Args:
        stock: the model's preprocess (used for every column the ids cannot stand in for).
        ids: {text: token ids with special tokens} (batching.token_ids: a live dict that grows with the data).
        pad_id: the tokenizer's padding id (padding on the right).
    """

    def __init__(self, stock: Callable[..., dict[str, Any]], ids: dict[str, np.ndarray], pad_id: int) -> None:
        self.stock, self.ids, self.pad_id = stock, ids, int(pad_id)
        self.template: dict[str, Any] = {}  # the stock output's keys, in order, with its non-tensor values
        self.checks_left = CHECKS
        self.checked: bool | None = None  # None: still comparing; False: the ids differ, always stock

    def __call__(self, inputs: Sequence[Any], prompt: str | None = None, task: str | None = None, **kwargs):
        rows = None
        if prompt is None and task is None and not kwargs and self.checked is not False:
            rows = [self.ids.get(text) if isinstance(text, str) else None for text in inputs]
        if not rows or any(row is None for row in rows):
            return self.stock(inputs, prompt=prompt, task=task, **kwargs)
        if self.checks_left:
            return self._check(inputs, rows)
        return self.pad(rows)

    def pad(self, rows: list[np.ndarray]) -> dict[str, Any]:
        """The batch of the stock tokenizer for these token rows: padded right to the longest, int64."""
        lengths = torch.tensor([len(row) for row in rows], dtype=torch.long)
        width = int(lengths.max())
        input_ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = torch.from_numpy(row.astype(np.int64, copy=False))
        mask = (torch.arange(width)[None, :] < lengths[:, None]).long()
        tensors = {"input_ids": input_ids, "token_type_ids": torch.zeros_like(input_ids), "attention_mask": mask}
        return {key: tensors[key] if key in tensors else value for key, value in self.template.items()}

    def _check(self, inputs: Sequence[Any], rows: list[np.ndarray]) -> dict[str, Any]:
        expected = self.stock(inputs, prompt=None, task=None)
        tensors = [key for key, value in expected.items() if isinstance(value, torch.Tensor)]
        if not self.template and "input_ids" in tensors and set(tensors) <= set(TOKEN_TENSORS):
            self.template = {key: None if key in tensors else value for key, value in expected.items()}
        if self.template and same_batch(self.pad(rows), expected):
            self.checks_left -= 1
            self.checked = True if not self.checks_left else None
        else:
            self.checked, self.checks_left = False, 0
            logger.info("token ids: the kept ids differ from the tokenizer's output; tokenizing every batch")
        return expected


def same_batch(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """The same keys in the same order, equal tensors (dtype and shape included) and equal other values."""
    if list(ours) != list(theirs):
        return False
    for key, value in ours.items():
        other = theirs[key]
        if isinstance(value, torch.Tensor) != isinstance(other, torch.Tensor):
            return False
        if isinstance(value, torch.Tensor):
            if value.dtype != other.dtype or not torch.equal(value, other):
                return False
        elif value != other:
            return False
    return True


def token_id_preprocess(model, collator, datasets: Sequence[Any]) -> TokenIdPreprocess | None:
    """A TokenIdPreprocess for this trainer's collator, with the ids of `datasets`' texts; None when the ids cannot
    stand in for the tokenizer at all (a slow or left-padding tokenizer, prompts, a router, a max_length override,
    a custom preprocess)."""
    from .token_counts import column_stats, text_columns, token_ids

    tokenizer = getattr(model, "tokenizer", None)
    first = model[0] if hasattr(model, "__getitem__") and len(model) else None
    if (
        getattr(tokenizer, "backend_tokenizer", None) is None
        or getattr(tokenizer, "padding_side", "right") != "right"
        or getattr(tokenizer, "pad_token_id", None) is None
        or type(first).__name__ != "Transformer"
        or getattr(first, "processing_kwargs", None)
        or getattr(collator, "preprocess_fn", None) != model.preprocess
        or getattr(collator, "prompts", None)
        or getattr(collator, "router_mapping", None)
        or getattr(collator, "max_length", None) is not None
    ):
        return None
    max_length = getattr(model, "max_seq_length", None)
    if getattr(tokenizer, "model_max_length", max_length) != max_length:
        return None  # the tokenizer truncates elsewhere than the kept ids
    labels = getattr(collator, "valid_label_columns", None)
    from datasets import Dataset

    for dataset in datasets:
        if isinstance(dataset, Dataset):  # not an IterableDataset: its texts are not known ahead
            column_stats(dataset, text_columns(dataset, labels), tokenizer, max_length)  # cached: tokenized once
    return TokenIdPreprocess(model.preprocess, token_ids(tokenizer, max_length), tokenizer.pad_token_id)
