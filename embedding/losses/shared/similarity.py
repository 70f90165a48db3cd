"""Similarity functions by config name (`cosine`, `dot`, `euclidean`, `manhattan`), matrix and pairwise forms.

Configs name similarities as strings; the losses store the name (JSON-able for `get_config_dict`) and look the
functions up here: a function object in a loss's config would break `json.dumps` of the model card, and an unknown
name fails in the constructor with the valid ones listed instead of mid-training.
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from sentence_transformers import util
from torch import Tensor

from ...config.catalog.loss_args import SIMILARITIES

_MATRIX: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "cosine": util.cos_sim,
    "dot": util.dot_score,
    "euclidean": util.euclidean_sim,
    "manhattan": util.manhattan_sim,
}
_PAIRWISE: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "cosine": util.pairwise_cos_sim,
    "dot": util.pairwise_dot_score,
    "euclidean": util.pairwise_euclidean_sim,
    "manhattan": util.pairwise_manhattan_sim,
}


def check_similarity(name: str) -> str:
    """Return `name` if it is a known similarity, else raise ValueError naming the valid ones."""
    if name not in SIMILARITIES:
        raise ValueError(f"Invalid similarity: {name!r}. Valid: {', '.join(SIMILARITIES)}")
    return name


def matrix_similarity(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    """``f(a (n, d), b (m, d)) -> (n, m)`` for the similarity `name`."""
    return _MATRIX[check_similarity(name)]


def pairwise_similarity(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    """``f(a (n, d), b (n, d)) -> (n,)`` for the similarity `name`."""
    return _PAIRWISE[check_similarity(name)]


def truncate(embeddings: list[Tensor], dim: int | None) -> list[Tensor]:
    """Matryoshka view of each column: the first `dim` values, L2-normalised again (as ST's MatryoshkaLoss).

    Dims larger than the model are refused before training (`MatryoshkaSpec.size_problem`).
    """
    if dim is None:
        return embeddings
    return [F.normalize(e[..., :dim], p=2, dim=-1) for e in embeddings]
