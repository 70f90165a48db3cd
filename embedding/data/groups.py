"""Group keys of training rows: rows of one group are false negatives for each other when they share a batch.

Every format says which rows belong together: e-faq the raw FAQ row (a question and its paraphrases), labeled
data the label, pairs a `group` column (else the anchor text), scored pairs the anchor text. The format's map
function emits them as the `_group` column (int64, cached with the rows); `rows.drop_markers` moves it into
`TrainingData.groups`, because sentence-transformers feeds every non-label column to the model as text.

The batch sampler finds the keys of the dataset it batches with `groups_of`: a lookup by the rows' content (the
text columns the rows had when preprocessed), which survives the columns added later (teacher labels,
`dataset_name`) and fails, rather than misaligns, when the rows were reordered.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np


class Groups(NamedTuple):
    """The group key of each row of a preprocessed dataset, and the dataset's key path (for messages)."""

    keys: np.ndarray
    where: str


COLUMN = "_group"
_KEYS: list[tuple[tuple[str, ...], int, str, Groups]] = []  # (text columns, rows, content digest, groups)
_DIGESTS: dict[tuple, str] = {}  # (dataset fingerprint, columns) -> content digest, computed once


def text_keys(texts) -> np.ndarray:
    """An int64 key per text (an Arrow string array or a list): equal texts, equal keys, in any process."""
    values = texts.to_pylist() if hasattr(texts, "to_pylist") else list(texts)
    unique = {t: _key(t) for t in dict.fromkeys(values)}
    return np.fromiter((unique[t] for t in values), dtype=np.int64, count=len(values))


def _key(value) -> int:
    digest = hashlib.blake2b(str(value).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _text_columns(dataset) -> tuple[str, ...]:
    features = dataset.features
    return tuple(c for c in dataset.column_names if getattr(features[c], "dtype", None) in ("string", "large_string"))


def content_digest(dataset, columns: tuple[str, ...]) -> str:
    """A digest of the rows' texts in `columns`, in row order (select/shuffle mappings honoured)."""
    import pyarrow as pa

    cache = (getattr(dataset, "_fingerprint", None), len(dataset), columns)
    if cache[0] is None or cache not in _DIGESTS:
        table = dataset.with_format("arrow", columns=list(columns))[:]
        digest = hashlib.blake2b(digest_size=16)
        for column in columns:
            texts = table.column(column).combine_chunks().cast(pa.large_string())
            offsets = np.frombuffer(texts.buffers()[1], np.int64, len(texts) + 1, texts.offset * 8)
            digest.update((offsets - offsets[0]).tobytes())
            if texts.buffers()[2] is not None:
                digest.update(memoryview(texts.buffers()[2])[offsets[0] : offsets[-1]])
        if cache[0] is None:
            return digest.hexdigest()
        _DIGESTS[cache] = digest.hexdigest()
    return _DIGESTS[cache]


def register(dataset, keys: np.ndarray, where: str) -> None:
    """Remember the group keys of `dataset`'s rows (one per row) for `groups_of`; `where`: its key path."""
    columns = _text_columns(dataset)
    entry = (columns, len(dataset), content_digest(dataset, columns), Groups(np.asarray(keys, np.int64), where))
    _KEYS[:] = [e for e in _KEYS if e[1:3] != entry[1:3]][-15:] + [entry]  # a few datasets per process


def groups_of(dataset) -> Groups | None:
    """The group keys of `dataset`'s rows, or None when its rows were not preprocessed in this process."""
    names = set(dataset.column_names)
    for columns, rows, digest, groups in reversed(_KEYS):
        if rows == len(dataset) and set(columns) <= names and content_digest(dataset, columns) == digest:
            return groups
    return None


def same_group_share(keys: np.ndarray) -> float:
    """The chance that two distinct rows drawn at random share a group: the share of a random batch's row pairs
    that are in-batch false negatives, whatever the batch size (Σ n_g (n_g − 1) / (N (N − 1)))."""
    n = len(keys)
    if n < 2:
        return 0.0
    sizes = np.unique(keys, return_counts=True)[1].astype(np.float64)
    return float((sizes * (sizes - 1)).sum() / (n * (n - 1)))


def describe(keys: np.ndarray, batch_size: int | None = None) -> str:
    """One `preprocess` note: the groups, and the same-group pairs random batches hold (one_per_group: none)."""
    sizes = np.unique(keys, return_counts=True)[1]
    share = same_group_share(keys)
    per_batch = ""
    if batch_size:
        pairs = share * batch_size * (batch_size - 1) / 2
        per_batch = f", {pairs:.2f} pairs per batch of {batch_size}"
    return (
        f"groups: {len(sizes):,} over {len(keys):,} rows (largest {int(sizes.max()) if len(sizes) else 0}); "
        f"random batches pair two rows of one group in {share:.2%} of in-batch pairs{per_batch} "
        "(batch_sampler one_per_group: 0)"
    )


def shared_positives(anchors, positives) -> tuple[int, int] | None:
    """(positive texts that belong to several distinct anchors, the most anchors one has), or None: each such
    positive is an in-batch false negative for the other anchors whenever their rows share a batch."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = pa.table(
        {"anchor": pa.array(anchors, pa.large_string()), "positive": pa.array(positives, pa.large_string())}
    )
    owners = table.group_by("positive").aggregate([("anchor", "count_distinct")]).column("anchor_count_distinct")
    shared = pc.filter(owners, pc.greater(owners, 1))
    return (len(shared), int(pc.max(shared).as_py())) if len(shared) else None


def shared_positive_warning(dataset, name: str) -> str | None:
    """The in-batch false-negative warning for contrastive rows whose positive is also another anchor's, when the
    batches do not keep such rows apart (the caller checks the sampler)."""
    if not {"anchor", "positive"} <= set(dataset.column_names) or not hasattr(dataset, "with_format"):
        return None
    import datasets

    if isinstance(dataset, datasets.IterableDataset):  # a stream is not read ahead to find them
        return None
    table = dataset.with_format("arrow", columns=["anchor", "positive"])[:]
    shared = shared_positives(table.column("anchor").combine_chunks(), table.column("positive").combine_chunks())
    if shared is None:
        return None
    count, most = shared
    return (
        f"objective {name}: {count:,} positive text(s) belong to several anchors (up to {most}), e.g. one answer "
        "for several questions: when two such rows share a batch, each one's positive is a false negative for the "
        "other. Set batch_sampler: no_duplicates (no text twice in a batch) or one_per_group (with a `group` column)"
    )
