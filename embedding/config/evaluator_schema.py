"""The training config's `evaluator`: one spec (the original shape) or a list of specs run one after another.

Pydantic and the standard library only. `evaluator_entries` names every evaluator (key path, metric prefix) on a
typed config and on a raw mapping alike, so `validate` and the run agree on the metric names.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, model_validator

from .common import DatasetSpec, Strict, default_names

NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"


class EvaluatorSpec(Strict):
    """One evaluator run during training and on the base and trained model (before/after table)."""

    type: Literal["retrieval", "sts"] = Field(
        "retrieval",
        description="`retrieval`: InformationRetrievalEvaluator (accuracy/precision/recall/MRR/nDCG/MAP@k) over "
        "e-faq, labeled, pairs or BEIR data; `sts`: EmbeddingSimilarityEvaluator (Pearson/Spearman of cosine "
        "similarity) over scored pairs (sentence1, sentence2, score).",
    )
    name: str | None = Field(
        None,
        pattern=NAME_PATTERN,
        description="Metric prefix (`<name>_spearman_cosine`), unique. A single evaluator has none unless set; in "
        "a list it defaults to the type, numbered when a type repeats (retrieval, sts, sts_2).",
    )
    dataset: DatasetSpec = Field(
        description="retrieval: data turned into queries/corpus/relevance (the retrieval transform of its format, "
        "or a BEIR folder); sts: scored pairs, preprocess_args format, columns, limit, name_to_label."
    )
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Evaluator arguments. retrieval: InformationRetrievalEvaluator's (mrr_at_k, ndcg_at_k, "
        "accuracy_at_k, precision_recall_at_k, map_at_k, batch_size, truncate_dim, ...); sts: "
        "EmbeddingSimilarityEvaluator's (main_similarity (default cosine), similarity_fn_names, batch_size, ...).",
    )
    max_queries: int | None = Field(
        None, gt=0, description="retrieval only: deterministic query subsample for in-training evals."
    )
    max_corpus: int | None = Field(
        None, gt=0, description="retrieval only: corpus subsample (every relevant document kept)."
    )

    @model_validator(mode="after")
    def check_subsample_only_for_retrieval(self) -> EvaluatorSpec:
        if self.type != "retrieval" and (self.max_queries or self.max_corpus):
            raise ValueError(
                f"max_queries / max_corpus apply to `retrieval` evaluators only; remove them from this {self.type} one"
            )
        return self


def _shape(value: Any) -> str:
    return "list" if isinstance(value, list) else "one"


# Tagged so that pydantic reports the errors of the shape given only; `validation` drops the tag from key paths.
Evaluators = Annotated[
    Annotated[EvaluatorSpec, Tag("one")] | Annotated[list[EvaluatorSpec], Field(min_length=1), Tag("list")],
    Discriminator(_shape),
]


def _raw(spec: Any) -> dict[str, Any]:
    if isinstance(spec, BaseModel):
        return spec.model_dump()
    return spec if isinstance(spec, dict) else {}


def given_name(spec: Any) -> str | None:
    """The prefix a spec sets itself: `name`, else the evaluator argument `args.name` (the original spelling)."""
    raw = _raw(spec)
    args = raw.get("args") if isinstance(raw.get("args"), dict) else {}
    for value in (raw.get("name"), args.get("name")):
        if isinstance(value, str) and value:
            return value
    return None


def evaluator_entries(evaluator: Any) -> list[tuple[str, str | None, Any]]:
    """(key path, metric prefix, spec) of each configured evaluator; [] without one.

    One spec keeps the original metric names (a prefix only when it sets one); each spec of a list gets a prefix:
    its own, else its type, numbered when a type repeats. Works on typed specs and raw mappings (`validate`
    reports several problems at once, so it names evaluators before the whole config is valid).
    """
    if evaluator is None:
        return []
    if not isinstance(evaluator, list):
        return [("evaluator", given_name(evaluator), evaluator)]
    kinds = [_raw(spec).get("type") for spec in evaluator]
    names = default_names(
        [given_name(spec) for spec in evaluator], [k if isinstance(k, str) and k else "retrieval" for k in kinds]
    )
    return [(f"evaluator[{i}]", name, spec) for i, (name, spec) in enumerate(zip(names, evaluator, strict=True))]


def duplicate_evaluator_names(evaluator: Any) -> list[str]:
    names = [name for _, name, _ in evaluator_entries(evaluator)]
    return sorted({n for n in names if n is not None and names.count(n) > 1})
