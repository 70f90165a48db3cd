"""Turn pydantic's validation errors into `Problem`s with key paths, expected types and "did you mean"."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, did_you_mean, one_of


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


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problems_from_validation_error(root: type[BaseModel], error: ValidationError) -> list[Problem]:
    problems = []
    for err in error.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            valid = fields_at(root, loc)
            msg = f"unknown key `{loc[-1]}`{did_you_mean(str(loc[-1]), valid)}; valid keys here: {one_of(valid)}"
        elif kind == "missing":
            msg = "required key is missing; add it"
        elif kind == "literal_error":
            msg = f"{err['msg'].replace('Input should be', 'must be')}, got {_shown(err.get('input'))}"
        elif kind == "value_error":
            msg = err["msg"].removeprefix("Value error, ")
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            msg = f"expected a mapping (key: value pairs), got {_shown(err.get('input'))}"
        elif kind == "too_short" and loc == ("objectives",):
            msg = "at least one objective is needed; add an entry with `type: contrastive` or `type: similarity`"
        elif kind in ("bool_type", "int_type", "float_type", "string_type", "list_type"):
            expected = {
                "bool_type": "true or false",
                "int_type": "an integer",
                "float_type": "a number",
                "string_type": "a string",
                "list_type": "a list",
            }[kind]
            msg = f"expected {expected}, got {_shown(err.get('input'))}"
        else:
            msg = f"{err['msg'].replace('Input should be', 'expected')}, got {_shown(err.get('input'))}"
        problems.append(Problem(key_path(loc), msg))
    return problems
