"""The one place that defines how teacher targets travel in the `label` column (distillation).

The teacher encodes the raw texts before training (`teacher.attach_teacher_targets`), so it never sees the
student's token ids and may use any tokenizer, prompts or width. Each row's `label` becomes a flat float list:

====================  =====================================================================================
objective type        `label` of one row (C text columns, teacher width D)
====================  =====================================================================================
contrastive           ``T(col_1) ++ T(col_2) ++ ... ++ T(col_C)``                       length ``C * D``
similarity            ``[y] ++ T(col_1) ++ T(col_2) ++ ... ++ T(col_C)``                length ``1 + C * D``
====================  =====================================================================================

``y`` is the row's original label (similarity objectives keep it first so the main loss still sees it) and
``T(col_j)`` is the teacher embedding of that row's j-th text column (anchor, positive/candidate, negatives...),
raw (not normalised): the distillation loss applies its own `similarity` to them. The collator stacks the rows
into a ``(batch, length)`` float tensor; `unpack_targets` turns it back into ``(y or None, [C x (batch, D)])``.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor


def has_task_label(objective_type: str) -> bool:
    """Whether the packed label starts with the row's own label (similarity objectives) or not (contrastive)."""
    return objective_type == "similarity"


def pack_row(label: float | None, teacher_embeddings: Sequence[Sequence[float]]) -> list[float]:
    """Flatten one row: the optional own label first, then each column's teacher embedding in column order."""
    flat = [] if label is None else [float(label)]
    for vector in teacher_embeddings:
        flat.extend(float(v) for v in vector)
    return flat


def unpack_targets(labels: Tensor | None, num_columns: int, objective_type: str) -> tuple[Tensor | None, list[Tensor]]:
    """Split a packed label batch into the task labels and the teacher embeddings of each column.

    Args:
        labels: the ``(batch, length)`` label tensor built from `pack_row` rows.
        num_columns: number of text columns C of the batch.
        objective_type: `contrastive` or `similarity` (whether the own label leads the row).

    Returns:
        ``(y, teacher)``: `y` of shape ``(batch,)`` or None, and C tensors of shape ``(batch, D)``.

    Raises:
        ValueError: the labels are not packed teacher targets (e.g. `attach_teacher_targets` was not run).
    """
    offset = 1 if has_task_label(objective_type) else 0
    if labels is None or labels.ndim != 2 or (labels.shape[1] - offset) % num_columns or labels.shape[1] <= offset:
        shape = None if labels is None else tuple(labels.shape)
        raise ValueError(
            f"distillation expects teacher targets packed in the label column ((batch, {offset} + {num_columns} * D) "
            f"floats), got labels of shape {shape}; run embedding.forward.teacher.attach_teacher_targets on the "
            "train and validation datasets first"
        )
    y = labels[:, 0] if offset else None
    width = (labels.shape[1] - offset) // num_columns
    teacher = [labels[:, offset + j * width : offset + (j + 1) * width].detach() for j in range(num_columns)]
    return y, teacher


def task_labels(labels: Tensor | None, objective_type: str, with_teacher_targets: bool) -> Tensor | None:
    """The labels the main loss and the penalty see: the original ones, whether or not teacher targets are packed
    into them (`with_teacher_targets`)."""
    if not with_teacher_targets or labels is None:
        return labels
    return labels[:, 0] if has_task_label(objective_type) else None
