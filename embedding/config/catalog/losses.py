"""The one table of this package's losses: what a config may name as `loss:`, and what each loss can act on.

Everything that knows about the losses reads `LOSSES` (or `DISTILLATION` / `VARIATION_PENALTY` for the extra
terms): the builder (`embedding/losses/build.py`), the package exports (`embedding/losses/__init__.py`), the
config's loss rules (`loss_rules.py`), `embedding list losses` and the editor schema. Adding a loss is one class
plus one `register(LossEntry(...))` below. Nothing here imports torch: a loss class is imported by `load()` only.

A `loss:` is one of: a name of this table of the objective's type, a sentence-transformers loss class name
(`st_losses.py`), or `module:Class` when the config sets `allow_custom_code: true`.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from ...errors import one_of
from . import loss_args as typed

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
        local = f"embedding.losses.{module}"
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
