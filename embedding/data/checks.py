"""`preprocess_args` against the formats' typed models: the problems `validate` reports, and the typed args.

With `format` set, the arguments are validated by that format's model for the use (contrastive rows, similarity
rows, retrieval data). Without it the format is only known once the data's columns are seen, so `validate`
accepts a key that at least one format of the use accepts with that value, and `typed_args` keeps, after
detection, the keys of the detected format. Torch-free: `embedding validate` stays instant.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ..config.problems import error_message, key_path
from ..errors import DataError, Problem, did_you_mean, one_of
from .args import USES, MiningArgs
from .formats import FORMATS, for_use

# Text scores (`name_to_label: {entailment: 1}`) are only read with `format: scored-pairs` named: e-faq and
# labeled data use `name_to_label` for their pair kinds, so a detected format could read it either way.
EXPLICIT_ONLY = {"scored-pairs": {"name_to_label"}}


def keys_for(use: str) -> set[str]:
    """Every key a format of `use` reads (the formats registered now, so an added format counts)."""
    return {key for name in for_use(use) for key in FORMATS[name].args[use].model_fields}


KEYS = {use: keys_for(use) for use in USES}  # the built-in formats' keys, for readers of the table
MINING_KEYS = tuple(MiningArgs.model_fields)
NESTED = {"mine_hard_negatives": "mining option", "samples_per_anchor": "kind", "name_to_label": "name"}


def preprocess_problems(use: Any, args: dict[str, Any], where: str) -> list[Problem]:
    """Every problem of one dataset's `preprocess_args` for `use`; `where` is the dataset's key path."""
    if use not in USES:
        return []
    at = f"{where}.preprocess_args"
    fmt = args.get("format")
    if fmt is not None and (fmt not in FORMATS or use not in FORMATS[fmt].args):
        return [_format_problem(fmt, use, at)]
    candidates = [fmt] if fmt else for_use(use)
    valid = set(FORMATS[fmt].args[use].model_fields) if fmt else keys_for(use)
    of_format = f" of format `{fmt}`" if fmt else ""
    problems = [
        Problem(
            f"{at}.{key}",
            f"unknown preprocess argument for {use} data{of_format}{did_you_mean(key, valid)}; valid: {one_of(valid)}",
        )
        for key in args
        if key not in valid
    ]
    accepted: set[str] = set()  # keys whose value one of the candidate formats accepts
    first: dict[str, list[Problem]] = {}
    for name in candidates:
        for key, found in _per_key(name, use, args, at, explicit=bool(fmt)).items():
            if found:
                first.setdefault(key, found)
            else:
                accepted.add(key)
    return problems + [p for key, found in first.items() if key not in accepted for p in found]


def _per_key(name: str, use: str, args: dict[str, Any], at: str, *, explicit: bool) -> dict[str, list[Problem]]:
    """The problems of each key that format `name` reads, by key (empty list: the key's value is fine)."""
    model = FORMATS[name].args[use]
    skip = set() if explicit else EXPLICIT_ONLY.get(name, set())
    given = {k: v for k, v in args.items() if k in model.model_fields and k not in skip}
    found: dict[str, list[Problem]] = {key: [] for key in given}
    try:
        model.model_validate(given)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if p not in ("[key]", "str", "ModelSpec")) or ("",)
            found.setdefault(str(loc[0]), []).append(
                Problem(f"{at}.{key_path(loc)}", _message(model, err, loc, use, explicit))
            )
    return found


def _message(model: type[BaseModel], err: dict[str, Any], loc: tuple, use: str, explicit: bool) -> str:
    kind, value = err["type"], err.get("input")
    if len(loc) == 2 and (
        kind == "extra_forbidden" and loc[0] in NESTED or kind == "literal_error" and loc[0] == "name_to_label"
    ):
        valid = _nested_keys(model, loc[0])
        hint = (
            ""
            if explicit or loc[0] != "name_to_label"
            else "; for text scores of scored pairs set format: scored-pairs"
        )
        return f"unknown {NESTED[loc[0]]}{did_you_mean(str(loc[1]), valid)}; valid: {one_of(valid)}{hint}"
    if loc == ("mine_hard_negatives",) and kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping with at least `model`, got {value!r}"
    if loc[-1] == "model" and loc[0] == "mine_hard_negatives":
        given = "" if kind == "missing" else f", got {value!r}"
        return f"required: a model name or path (or {{name, args}}){given}"
    if kind == "literal_error":
        choices = [c.strip(" '") for c in err["ctx"]["expected"].replace(" or ", ",").split(",") if c.strip(" '")]
        return f"expected {' or '.join(f'`{c}`' for c in choices)}, got {value!r}"
    if kind == "string_type" and loc[-1] in ("group_column", "qrels_split"):
        return f"expected a column/split name, got {value!r}"
    return error_message(model, err)


def _nested_keys(model: type[BaseModel], key: str) -> list[str]:
    annotation = model.model_fields[key].annotation
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return list(candidate.model_fields)
        if getattr(candidate, "__origin__", None) is dict:  # dict[Literal[...], float]
            return list(candidate.__args__[0].__args__)
    return []


def _format_problem(fmt: Any, use: str, at: str) -> Problem:
    if fmt not in FORMATS:
        return Problem(
            f"{at}.format", f"unknown format {fmt!r}{did_you_mean(str(fmt), FORMATS)}; valid: {one_of(FORMATS)}"
        )
    hint = f"; {FORMATS[fmt].cannot}" if FORMATS[fmt].cannot else ""
    what = "the retrieval evaluator" if use == "retrieval" else f"a {use} objective"
    return Problem(
        f"{at}.format", f"`{fmt}` data cannot feed {what}{hint}; formats for {use}: {', '.join(for_use(use))}"
    )


def typed_args(use: str, fmt: str, args: dict[str, Any], where: str):
    """`args` as format `fmt`'s typed model for `use`; keys of other formats (auto-detection) are left out."""
    at = f"{where}.preprocess_args"
    if fmt not in FORMATS or use not in FORMATS[fmt].args:
        problem = _format_problem(fmt, use, at)
        raise DataError(str(problem))
    model = FORMATS[fmt].args[use]
    given = {k: v for k, v in args.items() if k in model.model_fields}
    try:
        return model.model_validate({**given, "format": fmt})
    except ValidationError as exc:
        problems = [p for found in _per_key(fmt, use, args, at, explicit=True).values() for p in found]
        raise DataError("; ".join(str(p) for p in problems or [Problem(at, str(exc))])) from None
