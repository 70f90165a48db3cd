"""Our evaluators against plain sentence-transformers: same keys, same numbers; BM25 through the same code."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset
from sentence_transformers.sentence_transformer.evaluation import (
    EmbeddingSimilarityEvaluator,
    InformationRetrievalEvaluator,
)

from embedding.data.formats import efaq
from embedding.data.formats.common import IRData
from embedding.data.formats.scored_pairs import ScoredPairs
from embedding.evaluation.bm25 import BM25Evaluator
from embedding.evaluation.encode import encode_sorted
from embedding.evaluation.retrieval import build_ir_evaluator
from embedding.evaluation.sts import build_sts_evaluator

from .conftest import EFAQ, PAIRS

IR_KEYS = {
    f"cosine_{m}@{k}"
    for m, ks in {
        "accuracy": (1, 3, 5, 10),
        "precision": (1, 3, 5, 10),
        "recall": (1, 3, 5, 10),
        "mrr": (10,),
        "ndcg": (10,),
        "map": (100,),
    }.items()
    for k in ks
}


@pytest.fixture(scope="module")
def ir_data() -> IRData:
    return efaq.retrieval(Dataset.from_list(EFAQ), negative_samples=-1, seed=42)


@pytest.fixture(scope="module")
def pairs() -> ScoredPairs:
    return ScoredPairs([p["sentence1"] for p in PAIRS], [p["sentence2"] for p in PAIRS], [p["score"] for p in PAIRS])


def test_encode_sorted_matches_plain_encode(st_model):
    texts = ["a man plays guitar", "zebra", "how do i return an order refund shipping", "zebra", "a cat sleeps"]
    ours = encode_sorted(st_model, texts, batch_size=2)
    plain = st_model.encode(texts, batch_size=2, convert_to_tensor=True)
    assert ours.shape == plain.shape == (5, 32)
    torch.testing.assert_close(ours, plain, rtol=1e-4, atol=1e-5)
    assert float(ours.abs().sum()) > 0  # guard: an all-zero encoder would pass any comparison


def test_encode_sorted_runs_packed_on_cpu_unless_a_prompt_or_argument_needs_encode(st_model):
    from embedding.evaluation.encode import packed_encoding

    texts = ["a man plays guitar", "zebra", "how do i return an order refund shipping", "zebra", "a cat sleeps"]
    shapes = []
    query = st_model[0].model.encoder.layer[0].attention.self.query
    hook = query.register_forward_pre_hook(lambda module, args: shapes.append(tuple(args[0].shape)))
    st_model.train()  # as inside a training run: encoding switches to eval, as `encode` does
    ours = encode_sorted(st_model, texts, batch_size=2)
    assert not st_model.training
    # packed: 4 distinct texts in batches of 2, each batch one [real tokens, hidden] call
    assert len(shapes) == 2 and all(len(shape) == 2 for shape in shapes)
    assert sum(shape[0] for shape in shapes) == sum(len(st_model.tokenize([t])["input_ids"][0]) for t in set(texts))
    shapes.clear()
    prompted = encode_sorted(st_model, texts, batch_size=2, prompt="query: ")
    assert shapes and all(len(shape) == 3 for shape in shapes)  # a prompt: sentence-transformers' encode, padded
    hook.remove()
    plain = st_model.encode(texts, batch_size=2, convert_to_tensor=True)
    torch.testing.assert_close(ours, plain, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(prompted, plain)
    # the model's own prompts, default prompt and other encode arguments keep `encode` too
    assert packed_encoding(st_model) is not None and packed_encoding(st_model, {"precision": "int8"}) is None
    prompts = st_model.prompts  # a session fixture: put them back
    try:
        st_model.prompts = {"query": "query: "}
        assert packed_encoding(st_model) is None
        st_model.prompts = {"query": ""}
        assert packed_encoding(st_model) is not None
    finally:
        st_model.prompts = prompts


def test_ir_metric_keys_and_values_equal_plain_st(st_model, ir_data):
    # Given our evaluator and ST's over the same data
    ours = build_ir_evaluator(ir_data, {"batch_size": 3})
    plain = InformationRetrievalEvaluator(**ir_data.as_evaluator_kwargs(), batch_size=3)

    # When
    got, want = ours(st_model), plain(st_model)

    # Then the exact key set and the same numbers
    assert set(got) == set(want) == IR_KEYS
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-6), key
    assert ours.primary_metric == plain.primary_metric == "cosine_ndcg@10"


def test_dims_sweep_equals_one_plain_run_per_dim(st_model, ir_data):
    results = build_ir_evaluator(ir_data, {}).evaluate_dims(st_model, [8, 16, 32])
    assert list(results) == [8, 16, 32]
    for dim, metrics in results.items():
        want = InformationRetrievalEvaluator(**ir_data.as_evaluator_kwargs(), truncate_dim=dim)(st_model)
        assert metrics == pytest.approx(want, abs=1e-6), dim
    assert results[8] != results[32]  # guard: the sizes really differ


def test_bm25_reports_st_metric_names_and_ranks_exact_keyword_match_first():
    # Given one query per rare keyword; each keyword is in exactly one document
    corpus = {
        "d1": "the zebra runs fast",
        "d2": "a giraffe eats leaves",
        "d3": "penguins swim in cold water",
        "d4": "the dolphin jumps",
    }
    queries = {"q1": "where is the zebra", "q2": "giraffe", "q3": "what do penguins do", "q4": "dolphin show"}
    relevant = {"q1": {"d1"}, "q2": {"d2"}, "q3": {"d3"}, "q4": {"d4"}}

    # When
    metrics = BM25Evaluator(queries=queries, corpus=corpus, relevant_docs=relevant)()

    # Then ST's key set with `bm25` as the similarity name, and every match at rank 1
    assert set(metrics) == {k.replace("cosine_", "bm25_") for k in IR_KEYS}
    assert metrics["bm25_accuracy@1"] == 1.0
    assert metrics["bm25_mrr@10"] == 1.0


def test_bm25_honours_the_evaluator_k_lists():
    corpus = {"d1": "zebra", "d2": "giraffe"}
    evaluator = BM25Evaluator(
        queries={"q": "zebra"},
        corpus=corpus,
        relevant_docs={"q": {"d1"}},
        mrr_at_k=[1],
        ndcg_at_k=[2],
        accuracy_at_k=[1],
        precision_recall_at_k=[1],
        map_at_k=[2],
    )
    assert set(evaluator()) == {
        "bm25_mrr@1",
        "bm25_ndcg@2",
        "bm25_accuracy@1",
        "bm25_precision@1",
        "bm25_recall@1",
        "bm25_map@2",
    }


def test_sts_keys_and_values_equal_plain_st(st_model, pairs):
    ours = build_sts_evaluator(pairs, {}, where="tasks[0].args").evaluate_dims(st_model, [16, 32])
    for dim in (16, 32):
        want = EmbeddingSimilarityEvaluator(
            pairs.sentences1, pairs.sentences2, pairs.scores, main_similarity="cosine", truncate_dim=dim
        )(st_model)
        assert set(ours[dim]) == set(want) == {"pearson_cosine", "spearman_cosine"}
        assert ours[dim] == pytest.approx(want, abs=1e-6)


def test_several_processes_keep_encode_so_distributed_evaluation_can_shard_it(st_model, monkeypatch):
    from embedding.evaluation.encode import packed_encoding

    assert packed_encoding(st_model) is not None
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda *args: 2)
    assert packed_encoding(st_model) is None  # sentence-transformers shards `encode` calls across the ranks
