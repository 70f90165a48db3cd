"""Turn pydantic's validation errors into `Problem`s with key paths, expected types and "did you mean"."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import AfterValidator, BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..errors import Problem, did_you_mean, one_of

# What a rule found: (key path below the model that checks it, message). `fail` raises them as one pydantic error,
# so a rule's problems join the schema's, each at its own key path.
Found = list[tuple[tuple[Any, ...], str]]


def fail(found: Found) -> None:
    """Raise every problem a validator found at once (nothing when it found none)."""
    if found:
        raise ValidationError.from_exception_data(
            "config",
            [
                InitErrorDetails(type=PydanticCustomError("rule", "{message}", {"message": m}), loc=loc, input=None)
                for loc, m in found
            ],
        )


def refuse_unless(test: Any, message: Any, *, none: bool = True) -> AfterValidator:
    """A field validator that refuses a value `test` rejects (None passes when `none`), with `message(value)`."""

    def check(value: Any) -> Any:
        if (value is not None or not none) and not test(value):
            raise ValueError(message(value))
        return value

    return AfterValidator(check)


def mapping_problems(
    model: type[BaseModel],
    value: Any,
    what: str,
    at: tuple[Any, ...] = (),
    *,
    tail: str | None = None,
    note: Any = None,
) -> Found:
    """A mapping whose keys come from a library (trainer, evaluator or loss arguments) against its typed `model`.

    An unknown key is `unknown <what>` with a did-you-mean and the valid keys (`tail` replaces that list);
    `note(key)` may give a better hint for a key that belongs elsewhere. Unknown keys come first: a misspelt key
    explains the rest.
    """
    try:
        model.model_validate(value)
        return []
    except ValidationError as error:
        errors = merged_union_errors(error.errors(include_url=False))
    found = []
    for err in sorted(errors, key=lambda e: e["type"] != "extra_forbidden"):
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            key, valid = str(loc[-1]), sorted(model.model_fields)
            hint = (note and note(key)) or did_you_mean(key, valid)
            listed = f"; valid: {one_of(valid) if valid else '(none)'}" if tail is None else tail
            found.append((at + loc, f"unknown {what}{hint}{listed}"))
        else:
            found.append((at + loc, error_message(model, err)))
    return found


def key_path(loc: tuple[Any, ...]) -> str:
    """('objectives', 1, 'datasets', 'train') -> 'objectives[1].datasets.train'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `X`, `X | None` or `list[X]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _submodel(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _submodel(arg)
            if found is not None:
                return found
    return None


def fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model that owns the key at `loc` (for did-you-mean on unknown keys)."""
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _submodel(field.annotation) if field else None
    return list(model.model_fields) if model else []


# Tags of discriminated unions (the objective types): pydantic puts them in error locations; users never wrote them.
TAGS = ("contrastive", "similarity")


SHAPE_ERRORS = {
    "model_type": "Input should be a mapping (one evaluator) or a list of them",
    "too_short": "give at least one evaluator or remove the key",
}


def without_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """('objectives', 0, 'contrastive', 'los') -> ('objectives', 0, 'los'); ('evaluator', 'list', 1) ->
    ('evaluator', 1)."""
    if loc[:1] == ("evaluator",) and loc[1:2] in (("one",), ("list",)):
        loc = loc[:1] + loc[2:]
    return tuple(p for i, p in enumerate(loc) if not (p in TAGS and i and isinstance(loc[i - 1], int)))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# How pydantic labels the members of a plain union (`bool | Literal["auto"]`) in error locations: one error per
# member, e.g. `execution.packed.bool` and `execution.packed.literal['auto']`. Users never wrote these labels.
UNION_MEMBER = re.compile(
    r"^(bool|int|float|str|none|literal\[.*\]|(list|dict|tuple|set)\[.*\]|constrained-.*|function-.*)$"
)


def _member_at(loc: tuple[Any, ...]) -> int | None:
    """Index of the first union-member label in `loc`, if any."""
    for i, part in enumerate(loc):
        if i and isinstance(part, str) and UNION_MEMBER.match(part):
            return i
    return None


def merged_union_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One error per key where a value matched no member of a union, instead of one per member.

    When some member got further (a list whose item is out of range), the user meant that member: only its errors
    are kept. Otherwise one error at the key says every accepted form (`expected true or false, or 'auto'`)."""
    out: list[dict[str, Any]] = []
    groups: dict[tuple[Any, ...], list[tuple[int, dict[str, Any]]]] = {}
    for err in errors:
        at = _member_at(tuple(err["loc"]))
        if at is None:
            out.append(err)
            continue
        key = tuple(err["loc"][:at])
        if key not in groups:
            groups[key] = []
            out.append({"loc": key, "type": "_union", "members": groups[key], "input": err.get("input")})
        groups[key].append((at, err))
    result = []
    for err in out:
        if err["type"] != "_union":
            result.append(err)
            continue
        deeper = [e for at, e in err["members"] if len(e["loc"]) > at + 1]
        if deeper:  # e.g. bucket_widths: [16, 0]: the list member's own item error, its label dropped
            result += [
                {**e, "loc": tuple(p for i, p in enumerate(e["loc"]) if i != at)}
                for at, e in err["members"]
                if len(e["loc"]) > at + 1
            ]
        else:
            result.append(err)
    return result


def _accepted(err: dict[str, Any]) -> str:
    """One union member's expectation in words: `true or false`, `'auto'`, `an integer >= 1`, `a list`."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "literal_error":
        return str(ctx.get("expected", err["msg"].removeprefix("Input should be ")))
    if kind in BOUNDS:
        what = "an integer" if isinstance(err.get("input"), int) else "a number"
        return f"{what} {BOUNDS[kind]} {ctx[BOUND_KEYS[kind]]}"
    if kind in EXPECTED:
        return EXPECTED[kind]
    return err["msg"].removeprefix("Input should be ").removeprefix("Value error, ")


def problems_from_validation_error(root: type[BaseModel], error: ValidationError, prefix: str = "") -> list[Problem]:
    """One Problem per pydantic error, its key path below `prefix` (e.g. `objectives[0].loss_args`)."""
    problems = []
    for err in merged_union_errors(error.errors(include_url=False)):
        if tuple(err["loc"]) in (("evaluator", "one"), ("evaluator", "list")) and err["type"] in SHAPE_ERRORS:
            err["msg"], err["type"] = SHAPE_ERRORS[err["type"]], "evaluator_shape"  # neither shape, or an empty list
        loc = err["loc"] = without_tags(tuple(err["loc"])) + (("type",) if err["type"].startswith("union_tag") else ())
        path = key_path(loc)
        where = f"{prefix}.{path}" if prefix and path else prefix or path
        problems.append(Problem(where, error_message(root, err)))
    return problems


def error_message(root: type[BaseModel], err: dict[str, Any]) -> str:
    """What a user reads for one pydantic error: the expectation in words and the value given."""
    loc, kind = tuple(err["loc"]), err["type"]
    got = f", got {_shown(err.get('input'))}"
    if kind == "rule":
        return err["msg"]
    if kind == "_union":
        accepted = list(dict.fromkeys(_accepted(member) for _, member in err["members"]))
        return f"expected {', or '.join(accepted)}{got}"
    if kind == "extra_forbidden":
        valid = fields_at(root, loc)
        return f"unknown key `{loc[-1]}`{did_you_mean(str(loc[-1]), valid)}; valid keys here: {one_of(valid)}"
    if kind == "missing":
        return "required key is missing; add it"
    if kind == "union_tag_not_found":
        return f"required key is missing; add `type: {'` or `type: '.join(TAGS)}`"
    if kind == "union_tag_invalid":
        tag = (err.get("ctx") or {}).get("tag")
        return f"must be {' or '.join(repr(t) for t in TAGS)}, got {tag!r}"
    if kind == "literal_error":
        return f"{err['msg'].replace('Input should be', 'must be')}{got}"
    if kind == "value_error":
        return err["msg"].removeprefix("Value error, ")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value pairs){got}"
    if kind == "too_short" and loc == ("objectives",):
        return "at least one objective is needed; add an entry with `type: contrastive` or `type: similarity`"
    if kind in EXPECTED or (kind in BOUNDS and isinstance(err.get("input"), (int, float))):
        return f"expected {_accepted(err)}{got}"
    return f"{err['msg'].replace('Input should be', 'expected')}{got}"


EXPECTED = {
    "bool_type": "true or false",
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "list_type": "a list",
}
BOUNDS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
BOUND_KEYS = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}
