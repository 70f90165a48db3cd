"""Information-retrieval evaluation built on sentence-transformers' InformationRetrievalEvaluator.

`RetrievalEvaluator` is ST's evaluator with a faster encoder: texts are encoded once each, in batches sorted by
token length, and a Matryoshka sweep encodes once at full size. Ranking and metrics are ST's own code, so the
numbers are those of the plain evaluator.
"""

from __future__ import annotations

import inspect
from typing import Any

from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

from ..data.formats.common import IRData, row_rng
from ..errors import UserError, did_you_mean
from .encode import encode_sorted
from .sweep import EmbeddingReuse, truncate

# Set by the evaluation code itself, never by a config.
RESERVED = {"self", "queries", "corpus", "relevant_docs"}


class RetrievalEvaluator(EmbeddingReuse, InformationRetrievalEvaluator):
    """InformationRetrievalEvaluator that encodes in token-length-sorted batches and reuses embeddings per sweep.

    Same arguments and metric keys as ST's evaluator (``cosine_ndcg@10``, ...). ``evaluate_dims(model, dims)``
    returns the metrics at several embedding sizes from one encoding.
    """

    def embed_inputs(
        self,
        model,
        sentences,
        encode_fn_name: str | None = None,
        prompt_name: str | None = None,
        prompt: str | None = None,
        **kwargs,
    ):
        if not all(isinstance(s, str) for s in sentences):  # multimodal inputs: ST's own path
            return super().embed_inputs(
                model, sentences, encode_fn_name=encode_fn_name, prompt_name=prompt_name, prompt=prompt, **kwargs
            )
        key = (id(model), encode_fn_name, prompt_name, prompt, tuple(sentences))

        def compute():
            return encode_sorted(
                model,
                sentences,
                kind=encode_fn_name,
                batch_size=self.batch_size,
                prompt=prompt,
                prompt_name=prompt_name,
                show_progress_bar=self.show_progress_bar,
                execution=self.execution,
                **kwargs,
            )

        return truncate(self.reuse(key, compute), self.truncate_dim)


def check_evaluator_args(args: dict[str, Any], evaluator_cls, *, reserved: set[str], where: str) -> None:
    """Refuse keys the evaluator does not take (with did-you-mean) and keys the evaluation sets itself."""
    valid = set(inspect.signature(evaluator_cls.__init__).parameters) - reserved
    for key in args:
        if key == "truncate_dim":
            raise UserError(f"{where}.truncate_dim: set embedding sizes with `dimensions` (a list), not per task")
        if key not in valid:
            raise UserError(f"{where}.{key}: unknown {evaluator_cls.__name__} argument{did_you_mean(key, valid)}")


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


def build_ir_evaluator(
    data: IRData,
    args: dict[str, Any],
    *,
    max_queries: int | None = None,
    max_corpus: int | None = None,
    seed: int = 42,
    where: str = "evaluator.args",
    execution: Any = None,
):
    """A RetrievalEvaluator over `data` (optionally subsampled), with `args` checked against ST's signature.

    Args:
        data: Queries, corpus and relevance.
        args: InformationRetrievalEvaluator keyword arguments (mrr_at_k, batch_size, name, ...).
        max_queries: Keep at most this many queries (seeded sample).
        max_corpus: Keep at most this many documents; relevant ones always stay.
        seed: Seed of the subsample.
        where: Config key path for error messages.
        execution: The training run's decided `Execution` (how texts are encoded); None: decided per model.

    Returns:
        The evaluator, progress bar off unless `args` turns it on.

    Raises:
        UserError: An unknown argument or one ST refuses.
    """
    valid = set(inspect.signature(InformationRetrievalEvaluator.__init__).parameters) - RESERVED
    for key in args:
        if key not in valid:
            raise UserError(f"{where}.{key}: unknown InformationRetrievalEvaluator argument{did_you_mean(key, valid)}")
    data = subsample(data, max_queries=max_queries, max_corpus=max_corpus, seed=seed)
    kwargs = {"show_progress_bar": False, **args}
    try:
        return RetrievalEvaluator(**data.as_evaluator_kwargs(), **kwargs, execution=execution)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{where}: {exc}") from None
