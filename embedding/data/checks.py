"""Torch-free checks of `preprocess_args`, run by `embedding validate`.

The tables here are the list of every preprocess key: the preprocessors read nothing that is not listed.
"""

from __future__ import annotations

from typing import Any

from ..errors import Problem, did_you_mean, one_of

FORMATS = ("efaq", "labeled", "pairs", "scored-pairs", "beir")
COMMON_KEYS = {"format", "columns", "limit", "num_proc"}
KEYS = {
    "contrastive": COMMON_KEYS | {"negative_samples", "mine_hard_negatives", "positives_per_anchor", "group_column"},
    "similarity": COMMON_KEYS | {"name_to_label", "samples_per_anchor", "group_column", "score_range"},
    "retrieval": COMMON_KEYS | {"negative_samples", "qrels_split", "queries_per_label", "max_texts_per_label"},
}
EFAQ_LABELS = ("similar", "almost_similar", "dissimilar")
LABELED_KINDS = ("same_label", "same_group", "other_group")
# mine_hard_negatives keys: `model` is ours; the rest go to sentence_transformers.util.mine_hard_negatives.
MINING_PASSTHROUGH = (
    "range_min",
    "range_max",
    "max_score",
    "min_score",
    "absolute_margin",
    "relative_margin",
    "sampling_strategy",
    "batch_size",
    "query_prompt",
    "corpus_prompt",
    "query_prompt_name",
    "corpus_prompt_name",
)
MINING_KEYS = ("model", "num_negatives", *MINING_PASSTHROUGH)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int_at_least(args: dict[str, Any], key: str, low: int, at: str, meaning: str = "") -> list[Problem]:
    if key in args and args[key] is not None and (not _is_int(args[key]) or args[key] < low):
        return [Problem(f"{at}.{key}", f"expected an integer >= {low}{meaning}, got {args[key]!r}")]
    return []


def preprocess_problems(kind: Any, args: dict[str, Any], where: str) -> list[Problem]:
    if kind not in KEYS:
        return []
    at = f"{where}.preprocess_args"
    problems = []
    for key in args:
        if key not in KEYS[kind]:
            problems.append(
                Problem(
                    f"{at}.{key}",
                    f"unknown preprocess argument for {kind} data"
                    f"{did_you_mean(key, KEYS[kind])}; valid: {one_of(KEYS[kind])}",
                )
            )
    fmt = args.get("format")
    if "format" in args and fmt not in FORMATS:
        problems.append(
            Problem(
                f"{at}.format", f"unknown format {fmt!r}{did_you_mean(str(fmt), FORMATS)}; valid: {one_of(FORMATS)}"
            )
        )
    problems += _int_at_least(
        args, "negative_samples", -1 if kind == "retrieval" else 0, at, " (-1 = all)" if kind == "retrieval" else ""
    )
    problems += _int_at_least(args, "limit", 1, at)
    problems += _int_at_least(args, "num_proc", 1, at)
    problems += _int_at_least(args, "positives_per_anchor", 1, at)
    problems += _int_at_least(args, "queries_per_label", 1, at)
    if args.get("max_texts_per_label") not in (None, -1):
        problems += _int_at_least(args, "max_texts_per_label", 1, at, " (-1 or null = no cap)")
    for key in ("group_column", "qrels_split"):
        if args.get(key) is not None and not isinstance(args[key], str):
            problems.append(Problem(f"{at}.{key}", f"expected a column/split name, got {args[key]!r}"))
    columns = args.get("columns")
    if columns is not None and not (
        isinstance(columns, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items())
    ):
        problems.append(
            Problem(f"{at}.columns", f"expected a mapping {{expected_name: your_column}}, got {columns!r}")
        )
    problems += _label_problems(args, fmt, at)
    problems += _samples_problems(args.get("samples_per_anchor"), at)
    problems += _range_problems(args.get("score_range"), at)
    if "mine_hard_negatives" in args:
        problems += mining_problems(args["mine_hard_negatives"], f"{at}.mine_hard_negatives")
        if args.get("negative_samples"):
            problems.append(
                Problem(
                    f"{at}.negative_samples",
                    "mine_hard_negatives supplies the negatives (its num_negatives); remove negative_samples",
                )
            )
    return problems


def _label_problems(args: dict[str, Any], fmt: Any, at: str) -> list[Problem]:
    mapping = args.get("name_to_label")
    if mapping is None:
        return []
    if not isinstance(mapping, dict) or not mapping:
        return [Problem(f"{at}.name_to_label", f"expected a mapping name -> number, got {mapping!r}")]
    names = {"efaq": EFAQ_LABELS, "labeled": LABELED_KINDS}.get(fmt, () if fmt else EFAQ_LABELS + LABELED_KINDS)
    problems = []
    for name, label in mapping.items():
        if names and name not in names:
            hint = "" if fmt else "; for text scores of scored pairs set format: scored-pairs"
            problems.append(
                Problem(
                    f"{at}.name_to_label.{name}",
                    f"unknown name{did_you_mean(name, names)}; valid: {one_of(names)}{hint}",
                )
            )
        elif not _is_number(label):
            problems.append(Problem(f"{at}.name_to_label.{name}", f"expected a number, got {label!r}"))
    return problems


def _samples_problems(samples: Any, at: str) -> list[Problem]:
    if samples is None:
        return []
    if not isinstance(samples, dict):
        return [
            Problem(
                f"{at}.samples_per_anchor",
                f"expected a mapping like {{same_label: 1, same_group: 1, other_group: 1}}, got {samples!r}",
            )
        ]
    problems = []
    for name, count in samples.items():
        if name not in LABELED_KINDS:
            problems.append(
                Problem(
                    f"{at}.samples_per_anchor.{name}",
                    f"unknown kind{did_you_mean(name, LABELED_KINDS)}; valid: {one_of(LABELED_KINDS)}",
                )
            )
        elif not _is_int(count) or count < 0:
            problems.append(Problem(f"{at}.samples_per_anchor.{name}", f"expected an integer >= 0, got {count!r}"))
    return problems


def _range_problems(value: Any, at: str) -> list[Problem]:
    if value is None:
        return []
    if not (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(_is_number(v) for v in value)
        and value[0] < value[1]
    ):
        return [Problem(f"{at}.score_range", f"expected [min, max] with min < max, got {value!r}")]
    return []


def mining_problems(options: Any, at: str) -> list[Problem]:
    """`mine_hard_negatives`: a mapping with a model and sentence-transformers' mining options."""
    if not isinstance(options, dict):
        return [Problem(at, f"expected a mapping with at least `model`, got {options!r}")]
    problems = []
    for key in options:
        if key not in MINING_KEYS:
            problems.append(
                Problem(
                    f"{at}.{key}",
                    f"unknown mining option{did_you_mean(key, MINING_KEYS)}; valid: {one_of(MINING_KEYS)}",
                )
            )
    model = options.get("model")
    if not (isinstance(model, str) and model.strip()) and not (isinstance(model, dict) and model.get("name")):
        problems.append(Problem(f"{at}.model", f"required: a model name or path (or {{name, args}}), got {model!r}"))
    problems += _int_at_least(options, "num_negatives", 1, at)
    problems += _int_at_least(options, "range_min", 0, at)
    problems += _int_at_least(options, "range_max", 1, at)
    problems += _int_at_least(options, "batch_size", 1, at)
    low, high, n = options.get("range_min", 0), options.get("range_max"), options.get("num_negatives", 3)
    if all(_is_int(v) for v in (low, high, n)) and high - low < n:
        problems.append(
            Problem(
                f"{at}.range_max",
                f"range_max - range_min must leave at least num_negatives ({n}) candidates, got {high} - {low}",
            )
        )
    for key in ("max_score", "min_score", "absolute_margin", "relative_margin"):
        if options.get(key) is not None and not _is_number(options[key]):
            problems.append(Problem(f"{at}.{key}", f"expected a number, got {options[key]!r}"))
    if options.get("sampling_strategy", "top") not in ("top", "random"):
        problems.append(
            Problem(f"{at}.sampling_strategy", f"expected `top` or `random`, got {options['sampling_strategy']!r}")
        )
    for key in ("query_prompt", "corpus_prompt", "query_prompt_name", "corpus_prompt_name"):
        if options.get(key) is not None and not isinstance(options[key], str):
            problems.append(Problem(f"{at}.{key}", f"expected a string, got {options[key]!r}"))
    return problems
