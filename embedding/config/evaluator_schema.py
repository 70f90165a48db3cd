"""The training config's `evaluator`: one spec (the original shape) or a list of specs run one after another.

Pydantic and the standard library only. Each spec's `args` are typed by its evaluator (InformationRetrieval-
Evaluator's from the committed snapshot, EmbeddingSimilarityEvaluator's below). `evaluator_entries` names every
evaluator (key path, metric prefix) and `evaluator_metrics` the metrics each will log, derived from the specs alone
(no model, no data), so `validate` and the run agree on the names `metric_for_best_model` may use.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, create_model, field_validator, model_validator
from pydantic_core.core_schema import ValidationInfo

from ..errors import did_you_mean, one_of
from .catalog.loss_args import SIMILARITIES as SCORE_FUNCTIONS  # the model's similarity functions
from .catalog.loss_args import Similarity
from .catalog.trainer_args import IR_DEFAULTS, ir_evaluator_args
from .common import DatasetSpec, Strict, default_names
from .problems import Found, fail, mapping_problems, refuse_unless

NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
STS_MAIN_SIMILARITY = "cosine"  # evaluation.sts.DEFAULTS: the similarity an sts evaluator reports by default
STS_PREPROCESS_ARGS = ("columns", "format", "limit", "name_to_label")  # what evaluation.tasks reads for sts data
IR_METRIC_ARGS = {
    "accuracy": "accuracy_at_k",
    "precision": "precision_recall_at_k",
    "recall": "precision_recall_at_k",
    "mrr": "mrr_at_k",
    "ndcg": "ndcg_at_k",
    "map": "map_at_k",
}


def _positive_ints(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(type(k) is int and k > 0 for k in value)


_AT_K = refuse_unless(_positive_ints, lambda v: f"expected a list of positive integers, got {v!r}")
IRArgs = create_model(
    "IRArgs",
    __config__={"extra": "forbid"},
    **{name: (Annotated[Any, _AT_K] if name.endswith("_at_k") else Any, None) for name in ir_evaluator_args()},
)


class StsArgs(BaseModel, extra="forbid"):
    """EmbeddingSimilarityEvaluator's keyword arguments a config may set (the run passes the sentences and scores);
    tests/config/test_evaluator_list.py compares them with the installed sentence-transformers."""

    batch_size: Any = None
    main_similarity: Similarity | None = Field(STS_MAIN_SIMILARITY, description="The similarity reported first.")
    name: Any = None
    precision: Any = None
    show_progress_bar: Any = None
    similarity_fn_names: list[Similarity] | None = None
    truncate_dim: Any = None
    write_csv: Any = None

    @field_validator("similarity_fn_names")
    @classmethod
    def check_names(cls, fns: Any, info: ValidationInfo) -> Any:
        main = info.data.get("main_similarity")
        if fns and main is not None and main not in fns:
            default = " (the default)" if main == STS_MAIN_SIMILARITY else ""
            raise ValueError(
                f"does not hold the main similarity `{main}` the evaluator reports first{default}; add it, or set "
                f"main_similarity: {fns[0]}"
            )
        return fns


ARGS = {"retrieval": (IRArgs, "InformationRetrievalEvaluator"), "sts": (StsArgs, "EmbeddingSimilarityEvaluator")}


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
    def check_spec(self) -> EvaluatorSpec:
        """The arguments of this spec's evaluator (known keys, the @k lists, the sts similarities), its name, the
        keys its data is read with, and subsampling (retrieval only): every problem at once."""
        model, owner = ARGS[self.type]
        found: Found = []
        if self.type != "retrieval" and (self.max_queries or self.max_corpus):
            found.append(
                (
                    (),
                    "max_queries / max_corpus apply to `retrieval` evaluators only; remove them from "
                    f"this {self.type} one",
                )
            )
        found += mapping_problems(
            model, self.args, f"{owner} argument", ("args",), tail=f"; valid: {', '.join(sorted(model.model_fields))}"
        )
        inner = self.args.get("name")
        if self.name and inner and self.name != inner:
            found.append(
                (("args", "name"), f"`{inner}` disagrees with the evaluator's `name` `{self.name}`; set only `name`")
            )
        if self.type == "sts":
            found += [
                (
                    ("dataset", "preprocess_args", key),
                    f"not used by sts evaluators{did_you_mean(key, STS_PREPROCESS_ARGS)}; "
                    f"valid: {one_of(STS_PREPROCESS_ARGS)}",
                )
                for key in self.dataset.preprocess_args
                if key not in STS_PREPROCESS_ARGS
            ]
        fail(found)
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


def ir_metrics(args: dict[str, Any], score_functions: tuple[str, ...] = SCORE_FUNCTIONS) -> list[str]:
    """InformationRetrievalEvaluator's metric names (no prefix) for its @k lists; the score function is the
    model's similarity function, so every one of `score_functions` is possible."""
    merged = {**IR_DEFAULTS, **args}
    return [
        f"{s}_{metric}@{k}" for s in score_functions for metric, key in IR_METRIC_ARGS.items() for k in merged[key]
    ]


def sts_metrics(args: dict[str, Any]) -> list[str]:
    """The similarity functions an sts evaluator reports: its list, else the main one, else the model's (any)."""
    main = args.get("main_similarity", STS_MAIN_SIMILARITY)
    fns = args.get("similarity_fn_names") or ([main] if main else list(SCORE_FUNCTIONS))
    names = [f"{metric}_{fn}" for fn in fns for metric in ("pearson", "spearman")]
    return names + (["pearson_max", "spearman_max"] if len(args.get("similarity_fn_names") or ()) > 1 else [])


def evaluator_metrics(evaluator: Any, *, listed: bool = False) -> list[tuple[str, str | None, str, list[str]]]:
    """(key path, prefix, type, metric names with the prefix) of each (typed) evaluator.

    `listed`: retrieval metrics for cosine only (the usual similarity), for messages; otherwise every score
    function's, which is what `metric_for_best_model` may name.
    """
    out = []
    for where, name, spec in evaluator_entries(evaluator):
        if spec.type == "retrieval":
            names = ir_metrics(spec.args, ("cosine",) if listed else SCORE_FUNCTIONS)
        else:
            names = sts_metrics(spec.args)
        out.append((where, name, spec.type, [f"{name}_{n}" if name else n for n in names]))
    return out
