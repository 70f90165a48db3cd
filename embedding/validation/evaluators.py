"""Rules on `evaluator` (one spec or a list): arguments and data per evaluator type, unique names, and the metric
names the evaluators will log, derived from the specs alone (no model, no data) for `metric_for_best_model`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..config.evaluator_schema import duplicate_evaluator_names, evaluator_entries
from ..config.trainer_args import IR_DEFAULTS, SCORE_FUNCTIONS, ir_evaluator_args
from ..data.checks import preprocess_problems
from ..errors import Problem, did_you_mean, one_of

# EmbeddingSimilarityEvaluator's keyword arguments a config may set (the run passes the sentences and scores);
# tests/config/test_evaluator_list.py compares them with the installed sentence-transformers.
STS_EVALUATOR_ARGS = (
    "batch_size",
    "main_similarity",
    "name",
    "precision",
    "show_progress_bar",
    "similarity_fn_names",
    "truncate_dim",
    "write_csv",
)
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


class untagged:  # noqa: N801 - reads as the function it stands in for
    """A ValidationError whose key paths lack the `evaluator` shape tag: `evaluator.one.datset` -> `evaluator.datset`,
    `evaluator.list[1].type` -> `evaluator[1].type` (pydantic puts the tag of the shape given in each location)."""

    def __init__(self, error: ValidationError):
        self.error = error

    def errors(self, **kwargs: Any) -> list[dict[str, Any]]:
        out = []
        for err in self.error.errors(**kwargs):
            loc = tuple(err["loc"])
            if loc[:1] == ("evaluator",) and loc[1:2] in (("one",), ("list",)):
                err = {**err, "loc": loc[:1] + loc[2:]}
                if err["type"] == "model_type" and len(loc) == 2:  # neither a mapping nor a list
                    err = {**err, "type": "evaluator_shape", "msg": EVALUATOR_SHAPE}
                elif err["type"] == "too_short" and len(loc) == 2:
                    err = {**err, "type": "evaluator_empty", "msg": "give at least one evaluator or remove the key"}
            out.append(err)
        return out


EVALUATOR_SHAPE = "Input should be a mapping (one evaluator) or a list of them"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _type(spec: Any) -> str:
    return _mapping(spec).get("type", "retrieval")


def ir_metrics(args: dict[str, Any], score_functions: tuple[str, ...] = SCORE_FUNCTIONS) -> list[str]:
    """InformationRetrievalEvaluator's metric names (no prefix) for its @k lists; the score function is the
    model's similarity function, so every one of `score_functions` is possible."""
    merged = {**IR_DEFAULTS, **args}
    names = []
    for score in score_functions:
        for metric, key in IR_METRIC_ARGS.items():
            ks = merged[key]
            names += [f"{score}_{metric}@{k}" for k in (ks if isinstance(ks, list) else [])]
    return names


def sts_similarities(args: dict[str, Any]) -> list[str]:
    """The similarity functions an sts evaluator reports: its list, else the main one, else the model's (any)."""
    fns = args.get("similarity_fn_names")
    if isinstance(fns, list) and fns:
        return [str(f) for f in fns]
    main = args.get("main_similarity", STS_MAIN_SIMILARITY)
    return [str(main)] if main else list(SCORE_FUNCTIONS)


def sts_metrics(args: dict[str, Any]) -> list[str]:
    fns = sts_similarities(args)
    names = [f"{metric}_{fn}" for fn in fns for metric in ("pearson", "spearman")]
    explicit = isinstance(args.get("similarity_fn_names"), list) and len(args["similarity_fn_names"]) > 1
    return names + (["pearson_max", "spearman_max"] if explicit else [])


def evaluator_metrics(evaluator: Any, *, listed: bool = False) -> list[tuple[str, str | None, str, list[str]]]:
    """(key path, prefix, type, metric names with the prefix) of each evaluator.

    `listed`: retrieval metrics for cosine only (the usual similarity), for messages; otherwise every score
    function's, which is what `metric_for_best_model` may name.
    """
    out = []
    for where, name, spec in evaluator_entries(evaluator):
        args, kind = _mapping(_mapping(spec).get("args")), _type(spec)
        if kind == "retrieval":
            names = ir_metrics(args, ("cosine",) if listed else SCORE_FUNCTIONS)
        elif kind == "sts":
            names = sts_metrics(args)
        else:
            continue  # the schema reports the type
        out.append((where, name, kind, [f"{name}_{n}" if name else n for n in names]))
    return out


def check_evaluators(config: dict[str, Any]) -> list[Problem]:
    """Each evaluator's arguments for its type, and unique names across a list."""
    evaluator = config.get("evaluator")
    problems = []
    for where, _, spec in evaluator_entries(evaluator):
        spec = _mapping(spec)
        args = _mapping(spec.get("args"))
        if _type(spec) == "retrieval":
            problems += _retrieval_args(args, f"{where}.args")
        elif _type(spec) == "sts":
            problems += _sts_args(args, f"{where}.args")
        problems += _name_conflict(spec, where)
    dup = duplicate_evaluator_names(evaluator)
    if dup:
        problems.append(
            Problem("evaluator", f"names must be unique, `{', '.join(dup)}` repeats; set a distinct `name:` on each")
        )
    return problems


def _retrieval_args(args: dict[str, Any], where: str) -> list[Problem]:
    valid = ir_evaluator_args()
    problems = []
    for key, value in args.items():
        if key not in valid:
            problems.append(
                Problem(
                    f"{where}.{key}",
                    f"unknown InformationRetrievalEvaluator argument{did_you_mean(key, valid)}; "
                    f"valid: {', '.join(valid)}",
                )
            )
        elif key.endswith("_at_k") and not (
            isinstance(value, list)
            and value
            and all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in value)
        ):
            problems.append(Problem(f"{where}.{key}", f"expected a list of positive integers, got {value!r}"))
    return problems


def _sts_args(args: dict[str, Any], where: str) -> list[Problem]:
    problems = [
        Problem(
            f"{where}.{key}",
            f"unknown EmbeddingSimilarityEvaluator argument{did_you_mean(key, STS_EVALUATOR_ARGS)}; "
            f"valid: {', '.join(STS_EVALUATOR_ARGS)}",
        )
        for key in args
        if key not in STS_EVALUATOR_ARGS
    ]
    main, fns = args.get("main_similarity", STS_MAIN_SIMILARITY), args.get("similarity_fn_names")
    if main is not None and main not in SCORE_FUNCTIONS:
        problems.append(Problem(f"{where}.main_similarity", f"must be one of {one_of(SCORE_FUNCTIONS)}, got {main!r}"))
    if fns is not None and not (isinstance(fns, list) and all(f in SCORE_FUNCTIONS for f in fns)):
        problems.append(
            Problem(f"{where}.similarity_fn_names", f"expected a list of {one_of(SCORE_FUNCTIONS)}, got {fns!r}")
        )
    elif fns and main is not None and main not in fns:
        problems.append(
            Problem(
                f"{where}.similarity_fn_names",
                f"does not hold the main similarity `{main}` the evaluator reports first"
                f"{' (the default)' if 'main_similarity' not in args else ''}; add it, or set "
                f"main_similarity: {fns[0]}",
            )
        )
    return problems


def _name_conflict(spec: dict[str, Any], where: str) -> list[Problem]:
    name, inner = spec.get("name"), _mapping(spec.get("args")).get("name")
    if name and inner and name != inner:
        return [Problem(f"{where}.args.name", f"`{inner}` disagrees with {where}.name `{name}`; set only `name`")]
    return []


def check_evaluator_data(config: dict[str, Any]) -> list[Problem]:
    """preprocess_args of each evaluator's data: the retrieval transform's, or the keys sts data reads."""
    problems = []
    for where, _, spec in evaluator_entries(config.get("evaluator")):
        dataset = _mapping(spec).get("dataset")
        if isinstance(dataset, dict):
            problems += _data_args(_mapping(spec), dataset, where)
    return problems


def _data_args(spec: dict[str, Any], dataset: dict[str, Any], where: str) -> list[Problem]:
    args, kind = _mapping(dataset.get("preprocess_args")), _type(spec)
    if kind == "retrieval":
        return preprocess_problems("retrieval", args, f"{where}.dataset")
    if kind != "sts":
        return []  # the schema reports the type
    at = f"{where}.dataset.preprocess_args"
    return [
        Problem(
            f"{at}.{key}",
            f"not used by sts evaluators{did_you_mean(key, STS_PREPROCESS_ARGS)}; "
            f"valid: {one_of(STS_PREPROCESS_ARGS)}",
        )
        for key in args
        if key not in STS_PREPROCESS_ARGS
    ]
