"""Torch-free checks of `preprocess_args`, run by `embedding validate`."""

from __future__ import annotations

from typing import Any

from ..errors import Problem, did_you_mean, one_of

FORMATS = ("efaq", "labeled", "pairs", "scored-pairs", "beir")
COMMON_KEYS = {"format", "columns", "limit"}
KEYS = {
    "contrastive": COMMON_KEYS | {"negative_samples", "mine_hard_negatives"},
    "similarity": COMMON_KEYS | {"name_to_label"},
    "retrieval": COMMON_KEYS | {"negative_samples", "qrels_split"},
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def preprocess_problems(kind: Any, args: dict[str, Any], where: str) -> list[Problem]:
    if kind not in KEYS:
        return []
    at = f"{where}.preprocess_args"
    problems = []
    for key in args:
        if key not in KEYS[kind]:
            problems.append(Problem(f"{at}.{key}", f"unknown preprocess argument for {kind} data"
                                    f"{did_you_mean(key, KEYS[kind])}; valid: {one_of(KEYS[kind])}"))
    if "format" in args and args["format"] not in FORMATS:
        problems.append(Problem(f"{at}.format", f"unknown format {args['format']!r}"
                                f"{did_you_mean(str(args['format']), FORMATS)}; valid: {one_of(FORMATS)}"))
    if "negative_samples" in args:
        value, low = args["negative_samples"], -1 if kind == "retrieval" else 0
        if not _is_int(value) or value < low:
            meaning = " (-1 = all)" if low < 0 else ""
            problems.append(Problem(f"{at}.negative_samples", f"expected an integer >= {low}{meaning}, got {value!r}"))
    if "limit" in args and (not _is_int(args["limit"]) or args["limit"] <= 0):
        problems.append(Problem(f"{at}.limit", f"expected a positive integer, got {args['limit']!r}"))
    columns = args.get("columns")
    if columns is not None and not (isinstance(columns, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items())):
        problems.append(Problem(f"{at}.columns", "expected a mapping {expected_name: your_column}, "
                                f"got {columns!r}"))
    mapping = args.get("name_to_label")
    if mapping is not None:
        if not isinstance(mapping, dict) or not mapping:
            problems.append(Problem(f"{at}.name_to_label", f"expected a mapping column -> number, got {mapping!r}"))
        else:
            for column, label in mapping.items():
                if column not in ("similar", "almost_similar", "dissimilar"):
                    problems.append(Problem(f"{at}.name_to_label.{column}", "unknown e-faq column"
                                            f"{did_you_mean(column, ('similar', 'almost_similar', 'dissimilar'))}"))
                elif isinstance(label, bool) or not isinstance(label, (int, float)):
                    problems.append(Problem(f"{at}.name_to_label.{column}", f"expected a number, got {label!r}"))
    return problems
