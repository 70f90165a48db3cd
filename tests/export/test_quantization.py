"""The Matryoshka x precision cost table: float32 agrees with the evaluator, quantized rows cost what they say."""

from __future__ import annotations

import pytest

from tests.conftest import EFAQ_ROWS, write_jsonl


@pytest.fixture
def evaluator_and_embeddings(tiny_st, tmp_path):
    from sentence_transformers import SentenceTransformer

    from embedding.config.eval_schema import TaskSpec
    from embedding.evaluation.tasks import load_task
    from embedding.export.check import evaluator_for
    from embedding.export.quantization import encode_for

    write_jsonl(tmp_path / "efaq" / "test.jsonl", EFAQ_ROWS)
    data = load_task(TaskSpec(type="ir", dataset={"name": str(tmp_path / "efaq")}, split="test"), 0, seed=42)
    model = SentenceTransformer(str(tiny_st), device="cpu")
    evaluator = evaluator_for(data, 8)
    return model, evaluator, *encode_for(evaluator, model, 8)


def test_float32_row_is_the_evaluators_own_metric(evaluator_and_embeddings):
    from embedding.export.quantization import cost_table

    model, evaluator, queries, corpus = evaluator_and_embeddings
    full = queries.shape[1]
    (row,) = cost_table(evaluator, queries, corpus, [full], ["float32"])
    expected = evaluator(model)[evaluator.primary_metric]
    assert row.bytes_per_vector == 4 * full and row.metric == "ndcg@10"
    assert row.value == pytest.approx(expected, abs=1e-6)


def test_every_size_and_precision_has_a_row_with_its_cost(evaluator_and_embeddings):
    from embedding.export.quantization import cost_table

    _, evaluator, queries, corpus = evaluator_and_embeddings
    rows = cost_table(evaluator, queries, corpus, [16, 32], ["float32", "int8", "ubinary"])
    assert [(r.dim, r.precision, r.bytes_per_vector) for r in rows] == [
        (16, "float32", 64),
        (16, "int8", 16),
        (16, "ubinary", 2),
        (32, "float32", 128),
        (32, "int8", 32),
        (32, "ubinary", 4),
    ]
    assert all(0.0 <= r.value <= 1.0 for r in rows)


def test_rescoring_ranks_by_the_float_query(monkeypatch):
    """Candidates come from the quantized space; their final order is the float32 query's dot product."""
    import numpy as np

    from embedding.export import quantization

    queries = np.array([[1.0, 0.0]], dtype=np.float32)
    corpus = np.array([[0.0, 1.0], [0.6, 0.8], [1.0, 0.0]], dtype=np.float32)
    indices, scores = quantization.ranked(queries, corpus, "int8", corpus, top_k=3)
    assert indices.tolist() == [[2, 1, 0]]
    assert scores[0, 0] > scores[0, 1] > scores[0, 2]
