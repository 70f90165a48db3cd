"""The one table of this package's losses, and the torch-free check of one objective's loss settings.

Everything that knows about the losses reads `LOSSES` (or `DISTILLATION` / `VARIATION_PENALTY` for the extra
terms): the builder (`build.py`), the package exports (`__init__.py`), `embedding validate`
(`objective_loss_problems`) and the editor schema (`loss_names`, `loss_args_json_schemas`). Adding a loss is one
class plus one `register(LossEntry(...))`. Nothing here imports torch: a loss class is imported by `load()` only.

A `loss:` is one of: a name of this table of the objective's type, a sentence-transformers loss class name
(`st_catalog.py`), or `module:Class` when the config sets `allow_custom_code: true`.

Combinations refused here, and why (each would otherwise be silently ignored or crash mid-run):

* `margin` on a loss it cannot act on: the cross-entropy losses (a shift of the logits is a bias, not a margin),
  sentence-transformers / custom classes (they take no margin; several have their own `loss_args.margin`).
* `gather_across_devices` on a loss without cross-device negatives.
* `batch_sampler: one_per_group` on a loss without in-batch negatives (nothing for it to keep clean).
* `distillation` / `variation_penalty` with a loss that has no `compute_loss_from_embeddings`: the extra terms
  share the main loss's embeddings, and such a loss would force a second student forward pass.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from ..errors import Problem, did_you_mean, one_of
from . import args as typed
from .args import KL_REDUCTIONS, SIMILARITIES  # noqa: F401  (re-exported: the losses' valid choices)
from .checks import label_problems, mapping, st_loss_problems, typed_args_problems
from .st_catalog import ST_ALIASES, ST_WRAPPERS, st_names, st_spec

Kind = Literal["contrastive", "similarity"]
KINDS: tuple[str, ...] = ("contrastive", "similarity")


@dataclass(frozen=True)
class LossEntry:
    """One loss a config can name.

    Attributes:
        name: the config name (`loss: <name>`), unique across kinds.
        kind: the objective type whose data it reads: `contrastive` or `similarity`.
        target: ``"module:Class"``; a module without dots is one of `embedding.losses` (``"ranking:RankingLoss"``),
            else an importable module path.
        args: the typed `loss_args` (a strict pydantic model, see `args.py`); the builder passes its dump.
        margin: the objective's `margin:` key acts on it (passed as `margin=`).
        gather: it has cross-device negatives (`gather_across_devices=` is passed).
        cached: it embeds the batch in mini-batches (GradCache), so its memory does not grow with the batch.
        default: the default loss of its kind (one per kind).
        in_batch: it scores rows against other rows of the batch (in-batch negatives), so rows of one group in a
            batch are false negatives to it: `batch_sampler: one_per_group` acts on it.
        description: one line for the editor schema.
    """

    name: str
    kind: Kind
    target: str
    args: type[BaseModel]
    margin: bool = False
    gather: bool = False
    cached: bool = False
    default: bool = False
    in_batch: bool = True
    description: str = ""

    @property
    def module(self) -> str:
        """The absolute module path of `target`."""
        module = self.target.partition(":")[0]
        local = f"{__package__}.{module}"
        return local if "." not in module and importlib.util.find_spec(local) is not None else module

    @property
    def class_name(self) -> str:
        return self.target.partition(":")[2]

    def load(self) -> type:
        """The loss class (imports its module, hence torch)."""
        return getattr(importlib.import_module(self.module), self.class_name)


LOSSES: dict[str, LossEntry] = {}


def register(entry: LossEntry) -> LossEntry:
    """Add `entry` to `LOSSES`; a ValueError for a taken name, an unknown kind or a second default of a kind."""
    if entry.name in LOSSES:
        raise ValueError(f"loss `{entry.name}` is already registered")
    if entry.kind not in KINDS:
        raise ValueError(f"loss `{entry.name}`: kind must be one of {one_of(KINDS)}, got {entry.kind!r}")
    if ":" not in entry.target:
        raise ValueError(f"loss `{entry.name}`: target must be `module:Class`, got {entry.target!r}")
    if entry.default and any(e.default for e in losses_for(entry.kind).values()):
        raise ValueError(f"loss `{entry.name}`: {entry.kind} already has a default loss")
    LOSSES[entry.name] = entry
    return entry


def entry(name: str) -> LossEntry | None:
    """The table entry of `name`; None for a sentence-transformers or `module:Class` loss."""
    return LOSSES.get(name)


def losses_for(kind: str) -> dict[str, LossEntry]:
    """The entries of one objective type, by name, in table order."""
    return {name: e for name, e in LOSSES.items() if e.kind == kind}


def loss_names(kind: str) -> list[str]:
    """The loss names of one objective type (the `loss:` choices besides class names), default first."""
    entries = losses_for(kind).values()
    return [e.name for e in entries if e.default] + [e.name for e in entries if not e.default]


def default_loss(kind: str) -> str:
    """The loss an objective of type `kind` trains with when it sets no `loss:`."""
    return next(e.name for e in losses_for(kind).values() if e.default)


def loss_args_json_schemas() -> dict[str, dict[str, Any]]:
    """Loss name -> JSON schema of its `loss_args` (for the editor schema of `objectives[].loss_args`)."""
    return {name: e.args.model_json_schema() for name, e in LOSSES.items()}


def term_args_json_schemas() -> dict[str, dict[str, dict[str, Any]]]:
    """`distillation` / `variation_penalty` -> objective type -> JSON schema of that term's `loss_args`."""
    return {
        term: {kind: e.args.model_json_schema() for kind, e in table.items()}
        for term, table in (("distillation", DISTILLATION), ("variation_penalty", VARIATION_PENALTY))
    }


for _entry in (
    LossEntry("ranking", "contrastive", "ranking:RankingLoss", typed.GuidedRankingArgs, margin=True, gather=True,
              default=True, description="Symmetric multiple-negatives ranking (InfoNCE both ways), additive margin."),
    LossEntry("augmented-ranking", "contrastive", "augmented_ranking:AugmentedRankingLoss", typed.GuidedRankingArgs,
              margin=True, gather=True, description="`ranking` with the hard negatives in both directions."),
    LossEntry("cached-ranking", "contrastive", "cached_ranking:CachedRankingLoss", typed.CachedRankingArgs,
              margin=True, gather=True, cached=True, description="`ranking` with GradCache: batches beyond memory."),
    LossEntry("cosine", "similarity", "cosent_margin:CoSENTMarginLoss", typed.CoSENTArgs, margin=True,
              default=True, in_batch=False,
              description="CoSENT: higher-labelled pairs must score higher, by `margin`."),
    LossEntry("augmented-cosine", "similarity", "augmented_cosent:AugmentedCoSENTLoss", typed.AugmentedCoSENTArgs,
              margin=True, description="CoSENT over all n² cross pairs of the batch (O(n²) memory)."),
    LossEntry("cross-entropy", "similarity", "cross_entropy:BinaryCrossEntropyLoss", typed.CrossEntropyArgs,
              in_batch=False, description="BCE of λ·cos against soft targets σ(λ·label)."),
    LossEntry("augmented-cross-entropy", "similarity", "augmented_cross_entropy:AugmentedBinaryCrossEntropyLoss",
              typed.AugmentedCrossEntropyArgs, description="`cross-entropy` over all n² cross pairs."),
    LossEntry("cosine-cross-entropy", "similarity", "cosine_cross_entropy:CosineCrossEntropyLoss",
              typed.CosineCrossEntropyArgs, in_batch=False,
              description="BCE of (cos + 1) / 2 against soft targets σ(λ·label)."),
):  # fmt: skip
    register(_entry)

DEFAULT_LOSS = {kind: default_loss(kind) for kind in KINDS}  # the built-in defaults; `default_loss` reads the table
# The extra terms, by objective type (`name` = the objective key).
DISTILLATION = {
    "contrastive": LossEntry("distillation", "contrastive", "kl_distillation:KLDistillationLoss",
                             typed.KLDistillationArgs, description="KL(teacher ‖ student) over the candidates."),
    "similarity": LossEntry("distillation", "similarity", "similarity_distillation:SimilarityDistillationLoss",
                            typed.SimilarityDistillationArgs, description="CoSENT on the teacher's pair scores."),
}  # fmt: skip
VARIATION_PENALTY = {
    "contrastive": LossEntry("variation_penalty", "contrastive",
                             "in_batch_variance_penalty:InBatchNegativesVariancePenaltyLoss",
                             typed.VariationPenaltyArgs, description="In-batch negatives' cosine → −ε."),
    "similarity": LossEntry("variation_penalty", "similarity",
                            "labeled_variance_penalty:LabeledNegativesVariancePenaltyLoss",
                            typed.VariationPenaltyArgs, description="Labelled negatives' cosine → −ε."),
}  # fmt: skip


def _unknown_name(kind: str, name: str, where: str) -> Problem:
    own = loss_names(kind)
    found = entry(name)
    if found is not None:
        return Problem(
            f"{where}.loss", f"`{name}` is a {found.kind} loss, not a {kind} one; {kind} losses: {one_of(own)}"
        )
    st = st_names()
    return Problem(
        f"{where}.loss",
        f"unknown {kind} loss `{name}`{did_you_mean(name, [*own, *st])}; valid: {one_of(own)}, a "
        f"sentence-transformers loss class ({one_of(st)}), or `module:Class` with `allow_custom_code: true`",
    )


def _custom_problems(name: str, where: str, allow_custom_code: bool) -> list[Problem]:
    if not allow_custom_code:
        return [
            Problem(
                f"{where}.loss",
                f"`{name}` is a custom loss class; loading it runs code from the "
                "config, so set `allow_custom_code: true` at the top level of the config to allow it",
            )
        ]
    module, _, cls = name.partition(":")
    if not module or not cls.isidentifier():
        return [Problem(f"{where}.loss", f"`{name}` is not `module.path:ClassName`")]
    return []


def _combination_problems(
    kind: str, name: str, objective: dict[str, Any], where: str, abilities: tuple[bool, bool, bool]
) -> list[Problem]:
    """Objective keys the loss cannot act on; `abilities` = (takes a margin, gathers, has from_embeddings)."""
    can_margin, can_gather, from_embeddings = abilities
    problems: list[Problem] = []
    if objective.get("margin") is not None and not can_margin:
        ok = [n for n, e in losses_for(kind).items() if e.margin]
        problems.append(
            Problem(f"{where}.margin", f"loss `{name}` cannot use a margin; losses that can: {one_of(ok)}")
        )
    if objective.get("batch_sampler") == "one_per_group" and (own := entry(name)) is not None and not own.in_batch:
        ok = [n for n, e in LOSSES.items() if e.in_batch]
        problems.append(
            Problem(
                f"{where}.batch_sampler",
                f"one_per_group keeps rows of one group out of each other's in-batch negatives, but loss `{name}` "
                f"scores each pair against its own label only (no in-batch negatives); use it with {one_of(ok)}, "
                "or remove `batch_sampler`",
            )
        )
    if objective.get("gather_across_devices") and not can_gather:
        problems.append(
            Problem(
                f"{where}.gather_across_devices",
                f"loss `{name}` has no cross-device negatives; remove `gather_across_devices`",
            )
        )
    for key in ("distillation", "variation_penalty"):
        if objective.get(key) and not from_embeddings:
            problems.append(
                Problem(
                    f"{where}.{key}",
                    f"loss `{name}` embeds the batch itself (no compute_loss_from_embeddings), so it cannot share "
                    f"its embeddings with a `{key}` term; pick another loss or drop `{key}`",
                )
            )
    return problems


def _extra_term_problems(kind: str, objective: dict[str, Any], where: str) -> list[Problem]:
    d_args = mapping(mapping(objective.get("distillation")).get("loss_args"))
    p_args = mapping(mapping(objective.get("variation_penalty")).get("loss_args"))
    return typed_args_problems(
        DISTILLATION[kind].args, d_args, f"{where}.distillation.loss_args", f"{kind} distillation"
    ) + typed_args_problems(
        VARIATION_PENALTY[kind].args, p_args, f"{where}.variation_penalty.loss_args", "the variation penalty"
    )


def objective_loss_problems(objective: dict[str, Any], where: str, *, allow_custom_code: bool) -> list[Problem]:
    """Everything wrong with one objective's loss settings, from its raw config dict.

    Args:
        objective: the objective as written in the config (keys `type`, `loss`, `loss_args`, `margin`,
            `distillation`, `variation_penalty`, `matryoshka`, `gather_across_devices`).
        where: key path of the objective, e.g. ``"objectives[0]"``; problems point below it.
        allow_custom_code: the config's `allow_custom_code`; without it `module:Class` losses are refused.

    Returns:
        The problems, empty when the loss can be built.
    """
    kind = objective.get("type")
    name = objective.get("loss") or (default_loss(kind) if kind in KINDS else None)
    if kind not in KINDS or not isinstance(name, str):
        return []  # the schema reports a bad type
    args = mapping(objective.get("loss_args"))
    own = entry(name)
    if own is not None and own.kind == kind:
        problems = typed_args_problems(own.args, args, f"{where}.loss_args", f"loss `{name}`")
        abilities = (own.margin, own.gather, True)
    elif ":" in name:
        problems = _custom_problems(name, where, allow_custom_code)
        if problems:
            return problems
        abilities = (False, False, True)  # checked when built (build.py)
    elif name in ST_WRAPPERS:
        return [Problem(f"{where}.loss", f"`{name}` cannot be used as a loss: {ST_WRAPPERS[name]}")]
    elif (spec := st_spec(name)) is not None:
        problems = st_loss_problems(name, spec, args, where)
        problems += label_problems(kind, ST_ALIASES.get(name, (name,))[0], objective, where)
        abilities = (False, "gather_across_devices" in spec["args"], spec["from_embeddings"])
    else:
        return [_unknown_name(kind, name, where)]
    return (
        problems
        + _combination_problems(kind, name, objective, where, abilities)
        + _extra_term_problems(kind, objective, where)
    )
