"""Build the training loss module of one objective (the config → module side of `registry.py`)."""

from __future__ import annotations

import importlib
import inspect
import logging
from typing import Any

from torch import nn

from ..config.schema import ObjectiveSpec
from ..errors import ConfigError, Problem
from .registry import DEFAULT_LOSS, LOSSES, ST_ALIASES, objective_loss_problems

logger = logging.getLogger(__name__)


def _own_loss_classes() -> dict[str, type[nn.Module]]:
    from .augmented_cosent import AugmentedCoSENTLoss
    from .augmented_cross_entropy import AugmentedBinaryCrossEntropyLoss
    from .augmented_ranking import AugmentedRankingLoss
    from .cached_ranking import CachedRankingLoss
    from .cosent_margin import CoSENTMarginLoss
    from .cosine_cross_entropy import CosineCrossEntropyLoss
    from .cross_entropy import BinaryCrossEntropyLoss
    from .ranking import RankingLoss

    return {
        "ranking": RankingLoss,
        "augmented-ranking": AugmentedRankingLoss,
        "cached-ranking": CachedRankingLoss,
        "cosine": CoSENTMarginLoss,
        "augmented-cosine": AugmentedCoSENTLoss,
        "cross-entropy": BinaryCrossEntropyLoss,
        "augmented-cross-entropy": AugmentedBinaryCrossEntropyLoss,
        "cosine-cross-entropy": CosineCrossEntropyLoss,
    }


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


def _main_loss(model: Any, objective: ObjectiveSpec, name: str) -> nn.Module:
    args = dict(objective.loss_args)
    if name in LOSSES[objective.type]:
        entry = LOSSES[objective.type][name]
        if entry["margin"] and objective.margin is not None:
            args["margin"] = objective.margin
        if entry["gather"]:
            args["gather_across_devices"] = objective.gather_across_devices
        return _construct("objective.loss_args", _own_loss_classes()[name], model, **args)
    if ":" in name:
        module_name, _, class_name = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as error:
            raise ConfigError([Problem("objective.loss", f"cannot import `{name}`: {error}")]) from error
        return _construct("objective.loss_args", cls, model, **args)
    from sentence_transformers.sentence_transformer import losses

    target, fixed = ST_ALIASES.get(name, (name, {}))
    cls = getattr(losses, target)
    if objective.gather_across_devices:
        args["gather_across_devices"] = True
    args = {key: _st_argument(cls, key, value) for key, value in args.items()}
    return _construct("objective.loss_args", cls, model, **fixed, **args)


def build_objective_loss(
    model: Any,
    objective: ObjectiveSpec,
    *,
    teacher: Any = None,
    num_train_rows: int = 0,
    allow_custom_code: bool = False,
    merge_columns: str = "auto",
) -> nn.Module:
    """Build the one loss module an objective trains with (an `ObjectiveLoss`).

    Its forward embeds each column once and returns a dict of weighted components (`main`, `distillation`,
    `penalty`), see `ObjectiveLoss`. Settings are checked again here (`registry.objective_loss_problems`), so a
    config that skipped `validate` fails before training starts, not mid-run.

    Args:
        model: the student SentenceTransformer.
        objective: the validated objective config.
        teacher: unused by the loss (kept in the signature for callers): with distillation the teacher's targets
            travel in the label column, so the train and validation datasets must first go through
            `embedding.losses.teacher.attach_teacher_targets(dataset, teacher, objective.type)`.
        num_train_rows: N, the objective's training rows, for the penalty's `eps: auto` (= 1/(N − 1)).
        allow_custom_code: the config's `allow_custom_code` (needed for `module:Class` losses).
        merge_columns: the config's `merge_columns`: how the columns are grouped into encoder calls.

    Returns:
        The loss module; the student is `loss.model`.

    Raises:
        ConfigError: the objective's loss settings cannot be built.
    """
    del teacher  # see Args: the targets come through the labels, the loss never holds the teacher
    problems = objective_loss_problems(objective.model_dump(), "objective", allow_custom_code=allow_custom_code)
    if problems:
        raise ConfigError(problems)
    from .objective import ObjectiveLoss

    name = objective.loss or DEFAULT_LOSS[objective.type]
    main = _main_loss(model, objective, name)
    shares = hasattr(main, "compute_loss_from_embeddings")
    extra_terms = [key for key in ("distillation", "variation_penalty") if getattr(objective, key) is not None]
    if not shares and extra_terms:  # only reachable with a custom class (the registry checks the others)
        raise ConfigError(
            [
                Problem(
                    f"objective.{extra_terms[0]}",
                    f"loss `{name}` has no compute_loss_from_"
                    f"embeddings, so it cannot share its embeddings with `{extra_terms[0]}`",
                )
            ]
        )
    distillation = penalty = None
    if objective.distillation is not None:
        from .kl_distillation import KLDistillationLoss
        from .similarity_distillation import SimilarityDistillationLoss

        cls = KLDistillationLoss if objective.type == "contrastive" else SimilarityDistillationLoss
        distillation = _construct("objective.distillation.loss_args", cls, model, **objective.distillation.loss_args)
    if objective.variation_penalty is not None:
        from .in_batch_variance_penalty import InBatchNegativesVariancePenaltyLoss
        from .labeled_variance_penalty import LabeledNegativesVariancePenaltyLoss

        cls = (
            InBatchNegativesVariancePenaltyLoss
            if objective.type == "contrastive"
            else LabeledNegativesVariancePenaltyLoss
        )
        eps = resolve_eps(objective.variation_penalty.loss_args.get("eps", "auto"), num_train_rows)
        penalty = cls(model, eps=eps)

    matryoshka = objective.matryoshka
    dims = weights = None
    if matryoshka is not None:
        width = model.get_embedding_dimension()
        if max(matryoshka.matryoshka_dims) > width:
            raise ConfigError(
                [
                    Problem(
                        "objective.matryoshka.matryoshka_dims",
                        f"{matryoshka.matryoshka_dims} has a dim larger than the model's embedding dimension {width}",
                    )
                ]
            )
        if width not in matryoshka.matryoshka_dims:
            logger.warning(
                "matryoshka_dims %s does not include the model's full dimension %d, so the full "
                "embedding is not trained directly; consider adding %d",
                matryoshka.matryoshka_dims,
                width,
                width,
            )
        dims, weights = matryoshka.matryoshka_dims, matryoshka.matryoshka_weights
        if not shares:  # the loss embeds by itself: let sentence-transformers truncate inside its forward
            from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss

            main = MatryoshkaLoss(model, main, dims, weights, matryoshka.n_dims_per_step)
            dims = weights = None
    return ObjectiveLoss(
        model,
        main,
        objective_type=objective.type,
        distillation=distillation,
        distillation_alpha=objective.distillation.alpha if objective.distillation else 1.0,
        penalty=penalty,
        penalty_alpha=objective.variation_penalty.alpha if objective.variation_penalty else 1.0,
        matryoshka_dims=dims,
        matryoshka_weights=weights,
        n_dims_per_step=matryoshka.n_dims_per_step if matryoshka else -1,
        matryoshka_apply_to=matryoshka.apply_to if matryoshka else "main",
        weight=objective.weight,
        merge_columns=merge_columns,
    )
