"""STS evaluation: Spearman/Pearson between gold scores and embedding similarity (cosine by default).

Built on sentence-transformers' EmbeddingSimilarityEvaluator; only the encoding differs: both columns are
encoded together, each distinct sentence once, in token-length-sorted batches, and once per Matryoshka sweep.
"""

from __future__ import annotations

from typing import Any

from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

from ..data.formats.scored_pairs import ScoredPairs
from ..errors import UserError
from .encode import encode_sorted
from .retrieval import check_evaluator_args
from .sweep import EmbeddingReuse, truncate

RESERVED = {"self", "sentences1", "sentences2", "scores"}
DEFAULTS = {"main_similarity": "cosine", "show_progress_bar": False, "batch_size": 32}


class SimilarityEvaluator(EmbeddingReuse, EmbeddingSimilarityEvaluator):
    """EmbeddingSimilarityEvaluator that encodes the union of both columns once, in sorted batches.

    Metric keys are ST's: ``pearson_cosine``, ``spearman_cosine`` (plus other similarities if asked for).
    """

    def embed_inputs(self, model, sentences, **kwargs):
        if self.precision or kwargs:  # quantized embeddings need ST's own calibration path
            return super().embed_inputs(model, sentences, **kwargs)
        texts = list(dict.fromkeys([*self.sentences1, *self.sentences2]))

        def compute():
            full = encode_sorted(
                model,
                texts,
                batch_size=self.batch_size,
                show_progress_bar=self.show_progress_bar,
                execution=self.execution,
            )
            return {text: i for i, text in enumerate(texts)}, full

        rows, full = self.reuse((id(model), "sts"), compute)
        picked = full[[rows[s] for s in sentences]]
        return truncate(picked, self.truncate_dim).float().cpu().numpy()


def build_sts_evaluator(
    pairs: ScoredPairs, args: dict[str, Any], *, where: str, execution: Any = None
) -> SimilarityEvaluator:
    """A SimilarityEvaluator over `pairs`; `args` are EmbeddingSimilarityEvaluator keyword arguments.

    Args:
        pairs: The scored sentence pairs.
        args: Evaluator arguments (main_similarity, similarity_fn_names, batch_size, name, precision, ...);
            main_similarity defaults to cosine.
        where: Config key path for error messages.
        execution: The training run's decided `Execution` (how texts are encoded); None: decided per model.

    Returns:
        The evaluator.

    Raises:
        UserError: An unknown argument or one ST refuses.
    """
    check_evaluator_args(args, EmbeddingSimilarityEvaluator, reserved=RESERVED, where=where)
    try:
        return SimilarityEvaluator(
            pairs.sentences1, pairs.sentences2, pairs.scores, **{**DEFAULTS, **args}, execution=execution
        )
    except (TypeError, ValueError) as exc:
        raise UserError(f"{where}: {exc}") from None
