"""BM25 baseline (bm25s) scored by sentence-transformers' own IR ranking and metric code.

The evaluator hands ST row indices instead of embeddings and a score function that looks BM25 scores up by
those indices, so top-k selection, tie-breaking (by corpus id) and every metric run through
`InformationRetrievalEvaluator.compute_all_metrics` unchanged. The metric keys are ST's with `bm25` in place of
the similarity name: ``bm25_ndcg@10``, ``bm25_mrr@10``, ...
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import numpy as np
import torch
from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

from ..errors import UserError, did_you_mean
from .models import BM25_NAME


class BM25Evaluator(InformationRetrievalEvaluator):
    """InformationRetrievalEvaluator whose "model" is a bm25s index over the corpus.

    Args:
        bm25_args: `bm25s.BM25` arguments (k1, b, delta, method, idf_method) plus `stopwords` and `stemmer`
            for `bm25s.tokenize`. Empty = bm25s defaults (Lucene BM25, k1=1.5, b=0.75, English stopwords).
        **kwargs: InformationRetrievalEvaluator arguments (queries, corpus, relevant_docs, mrr_at_k, ...).

    Call it with ``model=None``. The score matrix is queries x documents (float32): fine for evaluation sets,
    not meant for million-document corpora.
    """

    def __init__(self, *, bm25_args: dict[str, Any] | None = None, **kwargs):
        kwargs.pop("truncate_dim", None)
        super().__init__(**kwargs, score_functions={BM25_NAME: self._lookup})
        self.bm25_args = dict(bm25_args or {})
        self.tokenize_args = {
            k: self.bm25_args.pop(k) for k in ("stopwords", "stemmer", "lower") if k in self.bm25_args
        }
        self._scores: torch.Tensor | None = None

    def __call__(self, model=None, *args, **kwargs) -> dict[str, float]:
        return super().__call__(model, *args, **kwargs)

    def evaluate_dims(self, model, dims) -> dict[int | None, dict[str, float]]:
        """BM25 has no embedding size: one result under `None`, whatever `dims` asks."""
        return {None: self(model)}

    def compute_all_metrics(self, model=None, corpus_model=None, corpus_embeddings=None, output_path=None):
        # Row indices stand in for document embeddings; ST slices them per corpus chunk.
        rows = torch.arange(len(self.corpus)).unsqueeze(1)
        try:
            return super().compute_all_metrics(model, corpus_model, corpus_embeddings=rows, output_path=output_path)
        finally:
            self._scores = None

    def embed_inputs(self, model, sentences, encode_fn_name=None, **kwargs):
        """Queries: compute their BM25 scores against the whole corpus and return their row indices."""
        self._scores = self._score_all(list(sentences))
        return torch.arange(len(sentences)).unsqueeze(1)

    def _lookup(self, query_rows: torch.Tensor, doc_rows: torch.Tensor) -> torch.Tensor:
        assert self._scores is not None
        return self._scores[query_rows[:, 0]][:, doc_rows[:, 0]]

    def _score_all(self, queries: list[str]) -> torch.Tensor:
        import bm25s

        # bm25s sets its logger to DEBUG on import, so every index build would reach the CLI's log handler.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        quiet = {"show_progress": False}
        retriever = bm25s.BM25(**self.bm25_args)
        retriever.index(bm25s.tokenize(self.corpus, **self.tokenize_args, **quiet), **quiet)
        tokens = bm25s.tokenize(queries, return_ids=False, **self.tokenize_args, **quiet)
        matrix = np.zeros((len(queries), len(self.corpus)), dtype=np.float32)
        for i, query in enumerate(tokens):
            ids = retriever.get_tokens_ids(query)
            if ids:  # a query of stopwords / unknown words scores 0 everywhere (ties broken by corpus id)
                matrix[i] = retriever.get_scores_from_ids(ids)
        return torch.from_numpy(matrix)

    def store_metrics_in_model_card_data(self, model, metrics, epoch=0, step=0) -> None:
        """No model card: there is no model."""

    def get_config_dict(self) -> dict[str, Any]:
        return {"bm25": {**self.bm25_args, **self.tokenize_args}}


def check_bm25_args(args: dict[str, Any], where: str) -> None:
    """Refuse keys neither bm25s.BM25 nor bm25s.tokenize takes, before anything is loaded."""
    import bm25s

    valid = (set(inspect.signature(bm25s.BM25.__init__).parameters) - {"self", "corpus", "backend", "csc_backend"}) | {
        "stopwords",
        "stemmer",
        "lower",
    }
    for key in args:
        if key not in valid:
            raise UserError(
                f"{where}.{key}: unknown BM25 argument{did_you_mean(key, valid)}; valid: {', '.join(sorted(valid))}"
            )
