"""Information-retrieval evaluation built on sentence-transformers' InformationRetrievalEvaluator."""

from __future__ import annotations

import inspect
from typing import Any

from ..data.formats.common import IRData, row_rng
from ..errors import UserError, did_you_mean


def subsample(data: IRData, *, max_queries: int | None, max_corpus: int | None, seed: int) -> IRData:
    """Deterministic subsample for frequent in-training evaluation; every relevant document stays."""
    if not max_queries and not max_corpus:
        return data
    out = IRData(stats=data.stats.copy())
    qids = sorted(data.queries)
    if max_queries and len(qids) > max_queries:
        qids = sorted(row_rng(seed, -1).sample(qids, max_queries))
    keep_docs = {d for q in qids for d in data.relevant_docs.get(q, ())}
    others = sorted(d for d in data.corpus if d not in keep_docs)
    if max_corpus and len(keep_docs) + len(others) > max_corpus:
        budget = max(0, max_corpus - len(keep_docs))
        others = row_rng(seed, -2).sample(others, budget)
    out.queries = {q: data.queries[q] for q in qids}
    out.corpus = {d: data.corpus[d] for d in sorted(keep_docs) + sorted(others)}
    out.relevant_docs = {q: set(data.relevant_docs[q]) for q in qids}
    return out


def build_ir_evaluator(data: IRData, args: dict[str, Any], *, max_queries: int | None = None,
                       max_corpus: int | None = None, seed: int = 42, where: str = "evaluator.args"):
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    valid = set(inspect.signature(InformationRetrievalEvaluator.__init__).parameters) - {
        "self", "queries", "corpus", "relevant_docs"}
    for key in args:
        if key not in valid:
            raise UserError(f"{where}.{key}: unknown InformationRetrievalEvaluator argument"
                            f"{did_you_mean(key, valid)}")
    data = subsample(data, max_queries=max_queries, max_corpus=max_corpus, seed=seed)
    kwargs = {"show_progress_bar": False, **args}
    try:
        return InformationRetrievalEvaluator(**data.as_evaluator_kwargs(), **kwargs)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{where}: {exc}") from None
