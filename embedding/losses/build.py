"""Build the training loss module of one objective from its typed config (the table: config/catalog/losses.py).

A typed `ObjectiveSpec` has passed every loss rule already (they are its validators): nothing is checked again
here, only what needs the classes themselves (a constructor's own argument checks).
"""

from __future__ import annotations

import importlib
import inspect
import logging
from typing import Any

from torch import nn

from ..config.catalog.losses import DISTILLATION, VARIATION_PENALTY, default_loss, entry
from ..config.catalog.st_losses import ST_ALIASES
from ..config.schema import ObjectiveSpec
from ..errors import ConfigError, Problem

logger = logging.getLogger(__name__)


def resolve_eps(eps: Any, num_train_rows: int) -> float:
    """The penalty's ε: a number as given, or `auto` = 1/(N − 1) with N the training rows (Lee et al. 2025)."""
    if eps != "auto":
        return float(eps)
    if num_train_rows < 2:
        raise ConfigError(
            [
                Problem(
                    "variation_penalty.loss_args.eps",
                    f"`auto` needs the number of training rows (got {num_train_rows}); set eps to a number, e.g. 2e-5",
                )
            ]
        )
    return 1.0 / (num_train_rows - 1)


def _st_argument(cls: type, key: str, value: Any) -> Any:
    """Turn a YAML value into what a sentence-transformers constructor expects (functions, enums, models)."""
    from sentence_transformers import SentenceTransformer, util

    if key == "similarity_fct" and isinstance(value, str):
        return getattr(util, value)
    if key == "directions" and isinstance(value, list):
        return tuple(value)
    if key == "guide" and isinstance(value, str):  # GISTEmbed's guide: offline-first like every model name
        from ..models import resolve

        return SentenceTransformer(resolve(value, "objective.loss_args.guide").location)
    if key == "distance_metric" and isinstance(value, str):
        default = inspect.signature(cls.__init__).parameters[key].default
        if isinstance(default, str):  # a Literal option (EmbedDistillLoss), not a metric function
            return value
        owner_name = default.__qualname__.split(".")[0]  # e.g. TripletDistanceMetric.<lambda>
        owner = vars(inspect.getmodule(cls))[owner_name]
        options = [name for name in vars(owner) if not name.startswith("_")]
        for candidate in (value, value.upper(), value.lower()):
            if candidate in options:
                return getattr(owner, candidate)
        raise ConfigError(
            [
                Problem(
                    "objective.loss_args.distance_metric",
                    f"unknown metric {value!r} of {cls.__name__}; valid: {', '.join(f'`{o}`' for o in options)}",
                )
            ]
        )
    return value


def _construct(where: str, cls: type, *args: Any, **kwargs: Any) -> nn.Module:
    """Instantiate a loss; a constructor's own argument check becomes a config problem, not a traceback."""
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError) as error:
        raise ConfigError([Problem(where, f"{cls.__name__}: {error}")]) from error


def _import_class(name: str) -> type:
    """The class of a `module.path:ClassName` loss (a custom one: the config allows custom code)."""
    module_name, _, class_name = name.partition(":")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ConfigError([Problem("objective.loss", f"cannot import `{name}`: {error}")]) from error


def _main_loss(model: Any, objective: ObjectiveSpec, name: str) -> nn.Module:
    own = entry(name)
    if own is not None:
        args = own.args.model_validate(objective.loss_args).model_dump()
        if own.margin and objective.margin is not None:
            args["margin"] = objective.margin
        if own.gather:
            args["gather_across_devices"] = objective.gather_across_devices
        return _construct("objective.loss_args", own.load(), model, **args)
    args = dict(objective.loss_args)
    if ":" in name:
        return _construct("objective.loss_args", _import_class(name), model, **args)
    from sentence_transformers.sentence_transformer import losses

    target, fixed = ST_ALIASES.get(name, (name, {}))
    cls = getattr(losses, target)
    if objective.gather_across_devices:
        args["gather_across_devices"] = True
    args = {key: _st_argument(cls, key, value) for key, value in args.items()}
    return _construct("objective.loss_args", cls, model, **fixed, **args)


def _distillation_term(model: Any, objective: ObjectiveSpec) -> nn.Module | None:
    if objective.distillation is None:
        return None
    term = DISTILLATION[objective.type]
    args = term.args.model_validate(objective.distillation.loss_args).model_dump()
    return _construct("objective.distillation.loss_args", term.load(), model, **args)


def _penalty_term(model: Any, objective: ObjectiveSpec, num_train_rows: int) -> nn.Module | None:
    if objective.variation_penalty is None:
        return None
    term = VARIATION_PENALTY[objective.type]
    eps = term.args.model_validate(objective.variation_penalty.loss_args).model_dump()["eps"]
    return term.load()(model, eps=resolve_eps(eps, num_train_rows))


def _matryoshka(
    model: Any, main: nn.Module, objective: ObjectiveSpec, merge_columns: str
) -> tuple[nn.Module, Any, Any]:
    """(main loss, dims, weights) for `ObjectiveLoss`: it truncates itself unless the main loss embeds by itself.

    With `merge_columns: stock` and no extra terms, sentence-transformers' own MatryoshkaLoss wraps the main loss,
    as in a stock script: it sorts the dims and truncates the previous dim's embeddings, which rounds differently.
    """
    matryoshka = objective.matryoshka
    if matryoshka is None:
        return main, None, None
    width = model.get_embedding_dimension()
    problem = matryoshka.size_problem(width)
    if problem is not None:  # `validate` reads the size from the model's files; this catches configs that skipped it
        raise ConfigError([Problem("objective.matryoshka.matryoshka_dims", problem)])
    if width not in matryoshka.matryoshka_dims:
        logger.warning(
            "matryoshka_dims %s does not include the model's full dimension %d, so the full "
            "embedding is not trained directly; consider adding %d",
            matryoshka.matryoshka_dims,
            width,
            width,
        )
    dims, weights = matryoshka.matryoshka_dims, matryoshka.matryoshka_weights
    # GradCache losses (`calculate_loss`) keep ObjectiveLoss's chunked truncation; extra terms need shared embeddings.
    stock = merge_columns == "stock" and objective.distillation is None and objective.variation_penalty is None
    if hasattr(main, "compute_loss_from_embeddings") and not (stock and not hasattr(main, "calculate_loss")):
        return main, dims, weights
    from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss  # truncates inside its forward

    return MatryoshkaLoss(model, main, dims, weights, matryoshka.n_dims_per_step), None, None


def build_objective_loss(
    model: Any,
    objective: ObjectiveSpec,
    *,
    num_train_rows: int = 0,
    merge_columns: str = "auto",
    execution: Any = None,
    component_prefix: str = "",
) -> nn.Module:
    """Build the one loss module an objective trains with (an `ObjectiveLoss`).

    Its forward embeds each column once and returns a dict of weighted components (`main`, `distillation`,
    `penalty`), see `ObjectiveLoss`. With distillation the teacher's targets travel in the label column: the
    datasets first go through `embedding.forward.teacher.attach_teacher_targets(dataset, teacher, objective.type)`.

    Args:
        model: the student SentenceTransformer.
        objective: the typed objective config (its `module:Class` loss allowed by the config's allow_custom_code).
        num_train_rows: N, the objective's training rows, for the penalty's `eps: auto` (= 1/(N − 1)).
        merge_columns: the config's `execution.merge_columns` (used without `execution`).
        execution: the run's decided `Execution` (forward/execution.py), handed to the loss.
        component_prefix: prepended to the loss's component names (`loss/<objective>/` in a run's logs).

    Returns:
        The loss module; the student is `loss.model`.

    Raises:
        ConfigError: a loss class refuses its arguments, or cannot share its embeddings with an extra term.
    """
    from .objective import ObjectiveLoss

    name = objective.loss or default_loss(objective.type)
    main = _main_loss(model, objective, name)
    merge_columns = execution.merge_columns if execution is not None else merge_columns
    main, dims, weights = _matryoshka(model, main, objective, merge_columns)
    return _construct(
        f"objective.{'distillation' if objective.distillation else 'variation_penalty'}",
        ObjectiveLoss,
        model,
        main,
        objective_type=objective.type,
        distillation=_distillation_term(model, objective),
        distillation_alpha=objective.distillation.alpha if objective.distillation else 1.0,
        penalty=_penalty_term(model, objective, num_train_rows),
        penalty_alpha=objective.variation_penalty.alpha if objective.variation_penalty else 1.0,
        matryoshka_dims=dims,
        matryoshka_weights=weights,
        n_dims_per_step=objective.matryoshka.n_dims_per_step if objective.matryoshka else -1,
        matryoshka_apply_to=objective.matryoshka.apply_to if objective.matryoshka else "main",
        weight=objective.weight,
        merge_columns=merge_columns,
        execution=execution,
        component_prefix=component_prefix,
    )
