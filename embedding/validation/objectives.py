"""Rules that reach into the components: objective names, each loss (its registry), each dataset's
`preprocess_args` (the formats' typed models) and Matryoshka sizes against the model's files.

This layer sits above data, losses, evaluation and models and calls into them; none of them imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config.schema import MatryoshkaSpec, objective_names
from ..data.checks import preprocess_problems
from ..errors import Problem, UserError
from ..losses.registry import objective_loss_problems
from ..models import check_model_folder, embedding_size, resolve_local


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objectives(config: dict[str, Any]) -> list[Any]:
    return config.get("objectives") if isinstance(config.get("objectives"), list) else []


def check_objective_names_unique(config: dict[str, Any]) -> list[Problem]:
    names = objective_names(_objectives(config))
    problems = []
    for i, name in enumerate(names):
        if name in names[:i]:
            problems.append(
                Problem(
                    f"objectives[{i}].name",
                    f"`{name}` is already the name of objectives[{names.index(name)}]; objective names must be unique",
                )
            )
    return problems


def check_matryoshka_fits_model(config: dict[str, Any]) -> list[Problem]:
    """Matryoshka dims no larger than the base model's embedding size, when the model is on this machine.

    The size comes from the model's files (config.json hidden_size, a Dense module's out_features, ...), read
    without torch; a model that is only on the Hub is checked by `train` after loading, with the same rule.
    """
    specs = {}
    for i, obj in enumerate(_objectives(config)):
        try:
            specs[i] = MatryoshkaSpec.model_validate(_mapping(obj).get("matryoshka"))
        except ValueError:  # absent or malformed: the schema reports it
            continue
    base = _mapping(config.get("base_model"))
    name = base.get("name")
    resolution = resolve_local(name) if specs and isinstance(name, str) and name else None
    size = embedding_size(resolution.location, _mapping(base.get("args"))) if resolution else None
    if size is None:
        return []
    width, source = size
    found = {i: spec.size_problem(width, f"base_model `{name}`: {source}") for i, spec in specs.items()}
    return [Problem(f"objectives[{i}].matryoshka.matryoshka_dims", text) for i, text in found.items() if text]


def component_problems(data: dict[str, Any]) -> list[Problem]:
    """Loss names/arguments and preprocess arguments, checked by their own (torch-free) registries."""
    problems: list[Problem] = []
    allow_custom = bool(data.get("allow_custom_code"))
    for i, obj in enumerate(_objectives(data)):
        if not isinstance(obj, dict):
            continue
        problems += objective_loss_problems(obj, f"objectives[{i}]", allow_custom_code=allow_custom)
        datasets = _mapping(obj.get("datasets"))
        for split in ("train", "validation"):
            spec = datasets.get(split)
            if isinstance(spec, dict):
                problems += preprocess_problems(
                    obj.get("type"), _mapping(spec.get("preprocess_args")), f"objectives[{i}].datasets.{split}"
                )
    return problems  # the evaluators' data arguments: validation.evaluators


def _model_names(config: dict[str, Any]) -> list[tuple[str, Any]]:
    """(key path, name) of every model the run loads: the base model and each objective's teacher."""
    names = [("base_model.name", _mapping(config.get("base_model")).get("name"))]
    for i, obj in enumerate(_objectives(config)):
        teacher = _mapping(_mapping(_mapping(obj).get("distillation")).get("teacher"))
        names.append((f"objectives[{i}].distillation.teacher.name", teacher.get("name")))
        guide = _mapping(_mapping(obj).get("loss_args")).get("guide")
        if guide != "base":  # `base`: the frozen base model, not a folder
            names.append((f"objectives[{i}].loss_args.guide", guide))
    return names


def check_model_folders(config: dict[str, Any]) -> list[Problem]:
    """A local model folder that is no model or lacks its tokenizer, named at validate (no torch, files only)."""
    problems = []
    for where, name in _model_names(config):
        resolution = resolve_local(name) if isinstance(name, str) and name else None
        if resolution is None or resolution.source != "path":
            continue  # cached and packaged models are complete; Hub models are checked when they load
        try:
            check_model_folder(Path(resolution.location), name, where)
        except UserError as exc:
            problems.append(Problem(where, str(exc).removeprefix(f"{where}: ")))
    return problems
