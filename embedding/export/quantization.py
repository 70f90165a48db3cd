"""What a stored embedding costs and what it retrieves: the IR metric per Matryoshka size x precision.

Precisions are sentence-transformers' `quantize_embeddings` ones. The documents are quantized (int8 with ranges
calibrated on `calibration` embeddings, else on the corpus; ubinary as packed bits), the query is quantized the
same way to fetch `RESCORE_MULTIPLIER` x k candidates, and the candidates are rescored with the float32 query,
as sentence-transformers' quantization guide does. float32 is exact cosine search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRECISIONS = ("float32", "int8", "ubinary")
RESCORE_MULTIPLIER = 4
BITS = {"float32": 32, "int8": 8, "ubinary": 1}


@dataclass(frozen=True)
class CostRow:
    dim: int
    precision: str
    bytes_per_vector: int
    metric: str
    value: float


def bytes_per_vector(dim: int, precision: str) -> int:
    return -(-dim * BITS[precision] // 8)


def _normalized(embeddings: np.ndarray, dim: int) -> np.ndarray:
    part = embeddings[:, :dim].astype(np.float32)
    return part / np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12)


def candidate_scores(queries: np.ndarray, corpus: np.ndarray, precision: str, calibration: np.ndarray) -> np.ndarray:
    """Scores of every document for every query in the quantized space (higher is closer)."""
    from sentence_transformers.util.quantization import quantize_embeddings

    if precision == "ubinary":
        q_bits = np.unpackbits(quantize_embeddings(queries, "ubinary"), axis=1).astype(np.int32)
        c_bits = np.unpackbits(quantize_embeddings(corpus, "ubinary"), axis=1).astype(np.int32)
        return -(q_bits @ (1 - c_bits).T + (1 - q_bits) @ c_bits.T)  # minus the Hamming distance
    q_int = quantize_embeddings(queries, "int8", calibration_embeddings=calibration).astype(np.int32)
    c_int = quantize_embeddings(corpus, "int8", calibration_embeddings=calibration).astype(np.int32)
    return (q_int @ c_int.T).astype(np.float64)


def stored(corpus: np.ndarray, precision: str, calibration: np.ndarray) -> np.ndarray:
    """The documents as the index keeps them, as floats for the float32 rescoring dot product."""
    from sentence_transformers.util.quantization import quantize_embeddings

    if precision == "ubinary":
        return np.unpackbits(quantize_embeddings(corpus, "ubinary"), axis=1)[:, : corpus.shape[1]].astype(np.float32)
    return quantize_embeddings(corpus, "int8", calibration_embeddings=calibration).astype(np.float32)


def _best(scores: np.ndarray, ranks: np.ndarray, top_k: int) -> np.ndarray:
    """Column indices of the top_k scores per row; ties go to the lower rank (the evaluator's corpus_id order)."""
    return np.lexsort((np.broadcast_to(ranks, scores.shape), -scores), axis=-1)[:, :top_k]


def exact_scores(queries: np.ndarray, corpus: np.ndarray) -> np.ndarray:
    """Cosine scores computed as the evaluator computes them (sentence-transformers' torch `cos_sim`): numpy's
    dot product of the same vectors differs in the last bit, which reorders near-tied documents."""
    import torch
    from sentence_transformers.util import cos_sim

    return cos_sim(
        torch.from_numpy(np.ascontiguousarray(queries)), torch.from_numpy(np.ascontiguousarray(corpus))
    ).numpy()


def ranked(
    queries, corpus, precision: str, calibration, top_k: int, ranks: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(indices, scores) of the top_k documents per query after candidate search and float32 rescoring.

    `ranks`: each document's place in the tie order (default: its index); the evaluator's is corpus_id order.
    """
    ranks = np.arange(len(corpus)) if ranks is None else ranks
    if precision == "float32":
        scores = exact_scores(queries, corpus)
        top = _best(scores, ranks, top_k)
        return top, np.take_along_axis(scores, top, axis=1)
    coarse = candidate_scores(queries, corpus, precision, calibration)
    candidates = _best(coarse, ranks, top_k * RESCORE_MULTIPLIER)
    documents = stored(corpus, precision, calibration)[candidates]  # [queries, candidates, dim]
    rescored = np.einsum("ij,ikj->ik", queries, documents)
    order = _best(rescored, ranks[candidates], top_k)
    return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(rescored, order, axis=1)


def corpus_ranks(corpus_ids: list) -> np.ndarray:
    """Each document's place in corpus_id order: sentence-transformers breaks score ties by (-score, corpus_id)."""
    ranks = np.empty(len(corpus_ids), dtype=np.int64)
    ranks[sorted(range(len(corpus_ids)), key=corpus_ids.__getitem__)] = np.arange(len(corpus_ids))
    return ranks


def cost_table(
    evaluator, queries: np.ndarray, corpus: np.ndarray, dims, precisions, calibration: np.ndarray | None = None
) -> list[CostRow]:
    """The evaluator's nDCG@k (its first ndcg_at_k) per size x precision.

    Args:
        evaluator: A sentence-transformers InformationRetrievalEvaluator (its query/corpus order and k lists).
        queries, corpus: Full-size float embeddings in the evaluator's query and corpus order.
        dims: Matryoshka sizes; precisions: names from PRECISIONS.
        calibration: Embeddings whose per-dimension ranges calibrate int8 (default: the corpus).
    """
    top_k = max(max(evaluator.mrr_at_k), max(evaluator.ndcg_at_k), max(evaluator.accuracy_at_k))
    top_k = min(max(top_k, max(evaluator.precision_recall_at_k), max(evaluator.map_at_k)), len(corpus))
    k = evaluator.ndcg_at_k[0]
    rows, ranks = [], corpus_ranks(list(evaluator.corpus_ids))
    for dim in dims:
        q, c = _normalized(queries, dim), _normalized(corpus, dim)
        calib = c if calibration is None else _normalized(calibration, dim)
        raw = (queries[:, :dim].astype(np.float32), corpus[:, :dim].astype(np.float32))
        for precision in precisions:
            # float32 is exact search on the vectors the evaluator scores; the quantized rows start normalized
            indices, scores = ranked(*(raw if precision == "float32" else (q, c)), precision, calib, top_k, ranks)
            results = [
                [{"corpus_id": evaluator.corpus_ids[i], "score": float(s)} for i, s in zip(row, vals, strict=True)]
                for row, vals in zip(indices, scores, strict=True)
            ]
            value = evaluator.compute_metrics(results)["ndcg@k"][k]
            rows.append(CostRow(dim, precision, bytes_per_vector(dim, precision), f"ndcg@{k}", float(value)))
    return rows


def encode_for(evaluator, model, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Full-size float embeddings of the evaluator's queries and corpus, in its order, encoded by the evaluator's
    own route (`embed_inputs`: its prompts, and in this project the packed, length-sorted CPU path), so that the
    float32 row is the evaluator's own metric to the last digit. `batch_size` serves a plain model.encode only
    where the evaluator has no `embed_inputs`."""
    if hasattr(evaluator, "embed_inputs"):

        def embed(texts, kind, prompt, prompt_name):
            vectors = evaluator.embed_inputs(model, texts, encode_fn_name=kind, prompt=prompt, prompt_name=prompt_name)
            return vectors.float().cpu().numpy() if hasattr(vectors, "cpu") else np.asarray(vectors, np.float32)

        queries = embed(evaluator.queries, "query", evaluator.query_prompt, evaluator.query_prompt_name)
        return queries, embed(evaluator.corpus, "document", evaluator.corpus_prompt, evaluator.corpus_prompt_name)
    options = {"batch_size": batch_size, "convert_to_numpy": True, "show_progress_bar": False}
    queries = model.encode(evaluator.queries, prompt=evaluator.query_prompt, **options)
    return queries, model.encode(evaluator.corpus, prompt=evaluator.corpus_prompt, **options)
