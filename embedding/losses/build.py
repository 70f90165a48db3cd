"""Build the training loss module of one objective."""

from __future__ import annotations

from typing import Any

from ..config.schema import ObjectiveSpec
from .registry import DEFAULT_LOSS


def build_objective_loss(model: Any, objective: ObjectiveSpec, *, teacher: Any = None, num_train_rows: int = 0,
                         allow_custom_code: bool = False):
    from sentence_transformers.sentence_transformer import losses

    name = objective.loss or DEFAULT_LOSS[objective.type]
    if name == "ranking":
        loss = losses.MultipleNegativesRankingLoss(
            model, directions=("query_to_doc", "doc_to_query"), **objective.loss_args
        )
    else:
        loss = losses.CoSENTLoss(model, **objective.loss_args)
    if objective.matryoshka:
        m = objective.matryoshka
        loss = losses.MatryoshkaLoss(model, loss, m.matryoshka_dims, m.matryoshka_weights, m.n_dims_per_step)
    return loss
