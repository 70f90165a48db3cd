"""Encoder calls run in the dataset's column order for every `merge_columns` policy but `sorted` (dropout masks are
drawn in call order, so this is what makes `never` and `stock` match a sentence-transformers script)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from embedding.forward.columns import describe, embed_grouped, in_column_order


class Recorder(nn.Module):
    """A fake encoder: records which columns each call holds (token 0 of a row = its column number)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[int]] = []

    def forward(self, features):
        ids = features["input_ids"]
        self.calls.append(list(dict.fromkeys(ids[:, 0].tolist())))
        return {"sentence_embedding": ids[:, :1].float().repeat(1, 4)}


def _columns(widths: list[int], rows: int = 3) -> list[dict[str, torch.Tensor]]:
    out = []
    for column, width in enumerate(widths):
        ids = torch.full((rows, width), 7)
        ids[:, 0] = column
        out.append({"input_ids": ids, "attention_mask": torch.ones(rows, width, dtype=torch.long)})
    return out


@pytest.mark.parametrize(
    "policy, widths, calls",
    [
        ("never", [20, 5, 10], [[0], [1], [2]]),  # narrowest-first would have run column 1 first
        ("auto", [10, 5, 10], [[1, 0, 2]]),  # CPU: `sorted`, the distinct texts in one call, shortest first
        ("always", [20, 5, 10], [[0, 1, 2]]),
        ("stock", [20, 5, 10], [[0], [1, 2]]),  # as sentence-transformers: anchor alone, the rest in one call
        ("stock", [20, 5], [[0], [1]]),
    ],
)
def test_calls_follow_the_column_order(policy, widths, calls):
    model = Recorder()
    embeddings = embed_grouped(model, _columns(widths), policy)
    assert model.calls == calls
    assert [int(e[0, 0]) for e in embeddings] == list(range(len(widths)))  # each column gets its own rows back


def test_in_column_order_sorts_inside_and_across_groups():
    assert in_column_order([[1, 3], [2, 0], [4]]) == [[0, 2], [1, 3], [4]]


def test_banner_line_names_the_stock_policy():
    assert describe("stock", "cpu").startswith("stock: as sentence-transformers")
    assert "column order" in describe("never", "cuda")
