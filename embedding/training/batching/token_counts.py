"""Token counts of a dataset's text columns, each distinct text tokenized once per process and cached with its
token ids: length grouping sorts by the counts (length_groups.py), token_collator.py pads the ids into batches
instead of tokenizing every step. Any tokenizer a model holds: a transformers fast tokenizer (its `tokenizers`
backend), a raw `tokenizers.Tokenizer` (StaticEmbedding), a slow one (called as is), or none (characters).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # (fingerprint, tokenizer, ...) -> (lengths, value ids)
_TOKEN_IDS: dict[tuple, dict[str, np.ndarray]] = {}  # token_ids_key(tokenizer, max_length) -> {text: token ids}


def text_columns(dataset, valid_label_columns: Sequence[str] | None = None) -> list[str]:
    skip = {*(valid_label_columns or ()), "dataset_name"}
    return [c for c in dataset.column_names if c not in skip]


def column_stats(
    dataset, columns: Sequence[str], tokenizer=None, max_length: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, value ids), both (rows, columns): token counts (characters without a tokenizer; 0 for non-text
    columns) and ids of each cell's value, equal across columns for equal values (for no-duplicates checks)."""
    import pyarrow as pa

    max_length = _limit(max_length)
    key = (
        getattr(dataset, "_fingerprint", None) or id(dataset),
        len(dataset),
        tuple(columns),
        getattr(tokenizer, "name_or_path", None),
        _vocabulary_size(tokenizer),
        max_length,
    )
    if key not in _CACHE:
        table = dataset.with_format("arrow")[:]  # honours select/shuffle index mappings
        cells, is_text = [], []
        for column in columns:
            array = table.column(column).combine_chunks()
            is_text.append(pa.types.is_string(array.type) or pa.types.is_large_string(array.type))
            if not is_text[-1]:
                array = pa.array([str(v) for v in array.to_pylist()])  # compared by str(), like sentence-transformers
            cells.append(array.cast(pa.large_string()))
        encoded = pa.chunked_array(cells).combine_chunks().dictionary_encode()
        ids = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64).reshape(len(columns), -1).T
        lengths = _token_counts(encoded.dictionary.to_pylist(), tokenizer, max_length)[ids] * np.array(is_text)
        while len(_CACHE) >= 8:  # a few datasets per process (objectives, eval); not every dataset ever seen
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (lengths.astype(np.int32), ids)
    return _CACHE[key]


def token_ids_key(tokenizer, max_length: int | None) -> tuple:
    """What the token ids of a text depend on: the tokenizer (vocabulary included) and the truncation."""
    return (
        getattr(tokenizer, "name_or_path", None),
        _vocabulary_size(tokenizer),
        _limit(max_length),
        getattr(tokenizer, "truncation_side", "right"),
    )


def _limit(max_length: float | None) -> int | None:
    """A truncation length, None for none: a StaticEmbedding's `max_seq_length` is infinite (it truncates nothing)."""
    return int(max_length) if max_length and math.isfinite(max_length) else None


def _fast(tokenizer):
    """The `tokenizers.Tokenizer` behind a model's tokenizer: a transformers fast tokenizer's backend, or the
    tokenizer itself (StaticEmbedding holds one directly); None for a slow tokenizer or none."""
    from tokenizers import Tokenizer

    return tokenizer if isinstance(tokenizer, Tokenizer) else getattr(tokenizer, "backend_tokenizer", None)


def _vocabulary_size(tokenizer) -> int:
    if tokenizer is None:
        return 0
    fast = _fast(tokenizer)
    return fast.get_vocab_size(with_added_tokens=True) if fast is tokenizer else len(tokenizer)


def token_ids(tokenizer, max_length: int | None) -> dict[str, np.ndarray]:
    """{text: token ids with special tokens} of every text `column_stats` tokenized with this tokenizer."""
    return _TOKEN_IDS.setdefault(token_ids_key(tokenizer, max_length), {})  # the live dict: it grows with the data


def _token_counts(texts: list[str], tokenizer, max_length: int | None) -> np.ndarray:
    backend = _fast(tokenizer) if tokenizer is not None else None
    if backend is not None:
        from tokenizers import Tokenizer

        fast = Tokenizer.from_str(backend.to_str())  # a copy: the model's tokenizer keeps its own settings
        fast.no_padding()
        if max_length:  # as the model's tokenizer truncates (`longest_first`, its side), special tokens kept
            fast.enable_truncation(max_length, direction=getattr(tokenizer, "truncation_side", "right"))
        else:
            fast.no_truncation()
        encode = getattr(fast, "encode_batch_fast", fast.encode_batch)
        ids = [np.asarray(e.ids, dtype=np.int32) for e in encode(texts)]
        _TOKEN_IDS.setdefault(token_ids_key(tokenizer, max_length), {}).update(zip(texts, ids, strict=True))
        counts = np.array([len(i) for i in ids], dtype=np.int64)
    elif tokenizer is not None:
        counts = np.array([len(ids) for ids in tokenizer(texts)["input_ids"]], dtype=np.int64)
    else:
        counts = np.array([len(t) for t in texts], dtype=np.int64)
    return np.minimum(counts, max_length) if max_length else counts
