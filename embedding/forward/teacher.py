"""Pre-compute a distillation teacher's embeddings into the `label` column (layout: `targets.py`).

The teacher reads the raw texts with its own tokenizer and prompts, so any teacher works, not only one that
shares the student's vocabulary (feeding the student's token ids to a teacher with another vocabulary would give it
meaningless input without any error). Each distinct text is encoded once, before training; the
training step then costs no teacher forward at all, and the teacher is never part of the loss or the optimizer.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from ..errors import DataError
from .targets import has_task_label

LABEL_COLUMNS = ("label", "labels", "score", "scores")  # what the sentence-transformers collator reads as labels


def _encode(teacher: Any, texts: list[str], role: str | None, batch_size: int) -> np.ndarray:
    # Contrastive anchors are queries and the candidates documents, so a teacher with query/document prompts
    # (e5, bge...) gets the right one; similarity pairs are symmetric and use the teacher's default prompt.
    encode = {"query": teacher.encode_query, "document": teacher.encode_document}.get(role, teacher.encode)
    return np.asarray(
        encode(
            texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False, normalize_embeddings=False
        ),
        dtype=np.float32,
    )


def _columns(dataset: Any, objective_type: str) -> tuple[str | None, list[str]]:
    """(label column or None, text columns) of a dataset to distil on; a DataError when they do not fit the type."""
    label_column = next((c for c in LABEL_COLUMNS if c in dataset.column_names), None)
    text_columns = [c for c in dataset.column_names if c not in LABEL_COLUMNS and c != "dataset_name"]
    if not text_columns:
        raise DataError(f"distillation: the dataset has no text column (columns: {dataset.column_names})")
    if has_task_label(objective_type) and label_column is None:
        raise DataError(
            f"distillation: a similarity dataset needs a label column ({', '.join(LABEL_COLUMNS)}); "
            f"columns: {dataset.column_names}"
        )
    if not has_task_label(objective_type) and label_column is not None:
        raise DataError(
            f"distillation: a contrastive dataset must not have a `{label_column}` column; the teacher "
            "targets go there"
        )
    return label_column, text_columns


def attach_teacher_targets(dataset: Any, teacher: Any, objective_type: str, *, batch_size: int = 64) -> Any:
    """Return `dataset` with its `label` column replaced by packed teacher targets (see `targets.py`).

    Args:
        dataset: a `datasets.Dataset` of text columns (in training order) plus, for similarity objectives, a label
            column (`label`, `labels`, `score` or `scores`); a `dataset_name` column is kept untouched.
        teacher: the teacher SentenceTransformer (frozen; only `encode*` is called, under no_grad).
        objective_type: `contrastive` (first column = query, others = documents) or `similarity` (symmetric).
        batch_size: teacher encoding batch size.

    Returns:
        A new dataset with the same text columns and a float32 list column `label`: ``[y] + T(col_1) + ...`` for
        similarity, ``T(col_1) + T(col_2) + ...`` for contrastive.

    Raises:
        DataError: no text column, a similarity dataset without labels, or a contrastive one that has labels.
    """
    from datasets import List, Value

    label_column, text_columns = _columns(dataset, objective_type)
    keeps_label = has_task_label(objective_type)
    roles = {
        c: ("query" if i == 0 else "document") if objective_type == "contrastive" else None
        for i, c in enumerate(text_columns)
    }
    vectors: dict[str | None, np.ndarray] = {}
    positions: dict[str | None, dict[str, int]] = {}
    for role in dict.fromkeys(roles.values()):
        distinct = list(dict.fromkeys(str(t) for c in text_columns if roles[c] == role for t in dataset[c]))
        positions[role] = {text: i for i, text in enumerate(distinct)}
        vectors[role] = _encode(teacher, distinct, role, batch_size)

    def pack(batch: dict[str, list]) -> dict[str, Any]:
        blocks = [vectors[roles[c]][[positions[roles[c]][str(t)] for t in batch[c]]] for c in text_columns]
        if keeps_label:
            blocks.insert(0, np.asarray(batch[label_column], dtype=np.float32).reshape(-1, 1))
        return {"label": np.concatenate(blocks, axis=1)}

    features = dataset.features.copy()
    if label_column is not None:
        del features[label_column]
    features["label"] = List(Value("float32"))
    # A fresh fingerprint: hashing the closure (all teacher vectors) would be slow, and a cache keyed on the data
    # alone could hand back another teacher's targets.
    return dataset.map(
        pack,
        batched=True,
        batch_size=1000,
        features=features,
        remove_columns=[label_column] if label_column else None,
        load_from_cache_file=False,
        new_fingerprint=uuid.uuid4().hex,
        desc="teacher targets",
    )
