"""Packed attention in padded buckets (issue 33): the same result as one call per run, in far fewer calls."""

from __future__ import annotations

import itertools
import random

import pytest
import torch

from embedding.forward import packed_attention
from embedding.forward.packed import _runs, embed_packed, packed_encoder
from embedding.forward.packed_attention import attend, buckets, plan

# lengths of a shuffled aia-bde-like step: many runs of equal lengths, a long tail
LENGTHS = sorted([3, 4, 4, 5, 6, 6, 6, 7, 8, 8, 9, 10, 10, 11, 12, 13, 13, 14, 16, 17, 19, 21, 22, 26, 31, 38, 47])


def counting_sdpa(monkeypatch) -> list[tuple[int, ...]]:
    """Record the query shape of every scaled_dot_product_attention call."""
    calls: list[tuple[int, ...]] = []
    original = torch.nn.functional.scaled_dot_product_attention

    def counted(query, *args, **kwargs):
        calls.append(tuple(query.shape))
        return original(query, *args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", counted)
    return calls


def padded_cost(runs, ranges) -> int:
    return sum(sum(t for _, t, _ in runs[b:e]) * max(length for _, _, length in runs[b:e]) ** 2 for b, e in ranges)


def test_budget_zero_is_one_bucket_per_run_and_the_plan_is_the_fewest_buckets_within_the_budget():
    runs = _runs(LENGTHS)
    assert plan(runs, 0.0) == [(i, i + 1) for i in range(len(runs))]
    rng = random.Random(0)
    for _ in range(30):  # against every grouping of a few runs into consecutive buckets
        runs = _runs(sorted(rng.randint(2, 40) for _ in range(rng.randint(4, 12))))
        budget = rng.choice([0.1, 0.25, 0.5, 1.0])
        limit = (1 + budget) * sum(t * length * length for _, t, length in runs)
        chosen = plan(runs, budget)
        assert [b for b, _ in chosen] == [0] + [e for _, e in chosen[:-1]] and chosen[-1][1] == len(runs)
        fewest = min(
            len(cuts) + 1
            for k in range(len(runs))
            for cuts in itertools.combinations(range(1, len(runs)), k)
            if padded_cost(runs, list(zip((0, *cuts), (*cuts, len(runs)), strict=True))) <= limit
        )
        assert len(chosen) == fewest and padded_cost(runs, chosen) <= limit


def test_bucketed_attention_equals_per_run_attention_in_fewer_calls(monkeypatch):
    torch.manual_seed(0)
    heads, size, tokens = 2, 8, sum(LENGTHS)
    projections = [torch.randn(tokens, heads * size, dtype=torch.float32, requires_grad=True) for _ in range(3)]
    weights = torch.randn(tokens, heads * size)
    calls = counting_sdpa(monkeypatch)
    results = {}
    for budget in (0.0, 0.25, 1.0, 1e9):
        planned = buckets(_runs(LENGTHS), budget=budget)
        calls.clear()
        out = attend(*projections, planned, heads, size, scale=size**-0.5)
        grads = torch.autograd.grad((out * weights).sum(), projections)
        results[budget] = (out, grads)
        assert len(calls) == len(planned)  # one call per bucket
        assert sum(shape[0] for shape in calls) == len(LENGTHS)  # every text exactly once
    assert len(buckets(_runs(LENGTHS), budget=0.0)) == len(_runs(LENGTHS)) > 10
    assert len(buckets(_runs(LENGTHS), budget=0.25)) <= 6 and len(buckets(_runs(LENGTHS), budget=1e9)) == 1
    exact_out, exact_grads = results[0.0]
    for out, grads in results.values():
        torch.testing.assert_close(out, exact_out, rtol=1e-5, atol=1e-5)
        for grad, exact in zip(grads, exact_grads, strict=True):
            torch.testing.assert_close(grad, exact, rtol=1e-5, atol=1e-5)


@pytest.fixture
def tiny_model(tiny_bert):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    transformer = Transformer(str(tiny_bert), max_seq_length=64)
    return SentenceTransformer(modules=[transformer, Pooling(32, "mean")], device="cpu").eval()


def test_the_packed_encoder_makes_one_attention_call_per_bucket_per_layer_with_the_same_embeddings_and_gradients(
    tiny_model, monkeypatch
):
    # Given a packed step of texts in many runs of equal lengths (dropout off: comparable results)
    generator = torch.Generator().manual_seed(1)
    width = max(LENGTHS)
    vocab = tiny_model[0].model.config.vocab_size
    ids = torch.randint(5, vocab, (len(LENGTHS), width), generator=generator)
    ids[torch.arange(width)[None, :] >= torch.tensor(LENGTHS)[:, None]] = 0
    encoder = packed_encoder(tiny_model)
    layers = len(encoder.encoder.layer)
    calls = counting_sdpa(monkeypatch)
    results = {}
    for budget in (0.0, packed_attention.PADDING_BUDGET):
        # When the encoder runs with one bucket per run, then with the default budget
        monkeypatch.setattr(packed_attention, "PADDING_BUDGET", budget)
        calls.clear()
        embeddings = embed_packed(tiny_model, encoder, {"input_ids": ids}, LENGTHS)
        params = [p for p in tiny_model.parameters() if p.requires_grad]
        grads = torch.autograd.grad((embeddings * embeddings.roll(1, 0)).sum(), params, allow_unused=True)
        results[budget] = (len(calls), embeddings, grads)
    # Then the attention calls per layer dropped from the runs to the buckets
    per_run, per_bucket = results[0.0][0], results[packed_attention.PADDING_BUDGET][0]
    assert per_run == layers * len(_runs(LENGTHS))
    assert per_bucket == layers * len(buckets(_runs(LENGTHS))) and per_bucket * 2 < per_run
    # and the embeddings and every gradient are the same
    (_, exact, exact_grads), (_, bucketed, grads) = results.values()
    torch.testing.assert_close(bucketed, exact, rtol=1e-5, atol=1e-5)
    for grad, expected in zip(grads, exact_grads, strict=True):
        if expected is not None:
            torch.testing.assert_close(grad, expected, rtol=1e-5, atol=1e-5)
