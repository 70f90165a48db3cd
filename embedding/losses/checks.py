"""Torch-free checks of loss arguments, worded for the config: typed `loss_args` and sentence-transformers classes.

`registry.objective_loss_problems` puts these together for one objective. Each function returns `Problem`s with
the key path below `where`, so `embedding validate` reports every problem of a config at once.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from ..config.problems import problems_from_validation_error
from ..errors import Problem, did_you_mean, one_of
from .st_catalog import BINARY_LABEL_LOSSES, INT_ARGS, NUMBER_ARGS, ST_LABEL_LOSSES, ST_OBJECT_ARGS, ST_SIMILARITY_FCTS

_DEFAULT_LABELS = {"similar": 1, "almost_similar": 0, "dissimilar": -1}  # the e-faq similarity labels


def mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a dict, else `{}` (the schema reports the wrong type)."""
    return value if isinstance(value, dict) else {}


def unknown_argument(key: str, valid: Iterable[str], where: str, what: str) -> Problem:
    """`key` is not an argument of `what`: say so, with a close match and the valid ones."""
    valid = sorted(valid)
    hint = " (set it with the objective's `margin:` key)" if key == "margin" and "margin" not in valid else ""
    return Problem(
        f"{where}.{key}",
        f"unknown argument of {what}{hint or did_you_mean(key, valid)}; valid: {one_of(valid) if valid else '(none)'}",
    )


def _flat(annotation: Any) -> list[Any]:
    """The leaves of a type: `Literal["a", "b"] | None` -> ["a", "b", None-type]; `Annotated[int, ...]` -> [int]."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flat(typing.get_args(annotation)[0])
    if origin is None:
        return [annotation]
    if origin is typing.Literal:
        return list(typing.get_args(annotation))
    return [leaf for arg in typing.get_args(annotation) for leaf in _flat(arg)]


def _arg_problem(model: type[BaseModel], err: dict[str, Any], generic: Problem, where: str, what: str) -> Problem:
    key = str(err["loc"][0]) if err["loc"] else ""
    path = f"{where}.{generic.where}" if generic.where else where
    leaves = _flat(model.model_fields[key].annotation) if key in model.model_fields else []
    if err["type"] == "extra_forbidden":
        return unknown_argument(key, model.model_fields, where, what)
    if err["type"] == "literal_error":
        choices = [leaf for leaf in leaves if isinstance(leaf, str)]
        return Problem(path, f"must be one of {one_of(choices)}, got {err['input']!r}")
    if err["type"] == "greater_than" and err["ctx"]["gt"] == 0:
        return Problem(path, f"must be a positive {'integer' if int in leaves else 'number'}, got {err['input']!r}")
    return Problem(path, generic.message)


def typed_args_problems(model: type[BaseModel], args: dict[str, Any], where: str, what: str) -> list[Problem]:
    """Everything wrong with `args` (a raw `loss_args` mapping at `where`) against its typed `model`.

    Args:
        model: the typed arguments (see `args.py`).
        args: the mapping as written in the config.
        where: its key path, e.g. ``"objectives[0].loss_args"``.
        what: the loss named in "unknown argument of ...", e.g. ``"loss `ranking`"``.
    """
    try:
        model.model_validate(args)
    except ValidationError as error:
        generic = problems_from_validation_error(model, error)
        pairs = zip(error.errors(include_url=False), generic, strict=True)
        # Unknown arguments first: a misspelt key explains the other problems more often than not.
        pairs = sorted(pairs, key=lambda pair: pair[0]["type"] != "extra_forbidden")
        return [_arg_problem(model, e, p, where, what) for e, p in pairs]
    return []


def number_problems(args: dict[str, Any], where: str) -> list[Problem]:
    """Numbers and integers among a sentence-transformers class's arguments (their snapshot has no types)."""
    problems = []
    for key, value in args.items():
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if key in NUMBER_ARGS and not is_number:
            problems.append(Problem(f"{where}.{key}", f"expected a number, got {value!r}"))
        elif key in INT_ARGS and not (isinstance(value, int) and not isinstance(value, bool)):
            problems.append(Problem(f"{where}.{key}", f"expected an integer, got {value!r}"))
    return problems


def st_loss_problems(name: str, spec: dict[str, Any], args: dict[str, Any], where: str) -> list[Problem]:
    """A sentence-transformers class's `loss_args` against its snapshot entry `spec` (see `st_catalog.py`)."""
    valid = set(spec["args"])
    problems = [unknown_argument(key, valid, f"{where}.loss_args", f"`{name}`") for key in args if key not in valid]
    problems += [
        Problem(f"{where}.loss_args", f"`{name}` needs `{key}`") for key in spec["required"] if key not in args
    ]
    for key in sorted(set(args) & ST_OBJECT_ARGS):
        problems.append(Problem(f"{where}.loss_args.{key}", "takes a Python object and cannot be set from a config"))
    value = args.get("similarity_fct")
    if "similarity_fct" in args and value not in ST_SIMILARITY_FCTS:
        problems.append(
            Problem(f"{where}.loss_args.similarity_fct", f"must be one of {one_of(ST_SIMILARITY_FCTS)}, got {value!r}")
        )
    for key in ("guide", "distance_metric"):
        if key in args and not isinstance(args[key], str):
            what = "a model name or path" if key == "guide" else "a metric name, e.g. `COSINE`"
            problems.append(Problem(f"{where}.loss_args.{key}", f"must be {what}, got {args[key]!r}"))
    return problems + number_problems({k: v for k, v in args.items() if k in valid}, f"{where}.loss_args")


def label_problems(kind: str, name: str, objective: dict[str, Any], where: str) -> list[Problem]:
    """A sentence-transformers loss must fit the objective's data: labels or not, and the label values it learns."""
    if kind == "contrastive" and name in ST_LABEL_LOSSES:
        return [
            Problem(
                f"{where}.loss",
                f"`{name}` needs a label column, but contrastive data has none "
                "(anchor, positive, negatives); use it in a `similarity` objective",
            )
        ]
    if kind == "similarity" and name not in ST_LABEL_LOSSES:
        return [
            Problem(
                f"{where}.loss",
                f"`{name}` ignores the label column: every (anchor, candidate) row would "
                "count as a positive pair, dissimilar ones included; use it in a `contrastive` objective",
            )
        ]
    if name not in BINARY_LABEL_LOSSES:
        return []
    train = mapping(mapping(objective.get("datasets")).get("train"))
    labels = mapping(mapping(train.get("preprocess_args")).get("name_to_label") or _DEFAULT_LABELS)
    bad = ", ".join(f"{k}: {v}" for k, v in labels.items() if v not in (0, 1))
    if not bad:
        return []
    return [
        Problem(
            f"{where}",
            f"`{name}` learns from labels 0/1 only, but the labels include {bad}; "
            "set datasets.train.preprocess_args.name_to_label, e.g. {similar: 1, almost_similar: 0, dissimilar: 0}",
        )
    ]
