"""The typed `loss_args` of this package's own losses and extra terms: one small pydantic model per argument set.

Each model lists what its loss class accepts from a config, with the class's defaults (a test compares them with
the constructors) and a description for the editor schema. Like the config schema they are strict and forbid
unknown keys: YAML already gives typed values, so ``"20"`` is not a scale (an integer is accepted for a float).
Nothing here imports torch: `embedding validate` checks configs with these models.

`margin` and `gather_across_devices` are not here: they are objective-level keys, passed by the builder to the
losses whose table entry says they can act on them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

Similarity = Literal["cosine", "dot", "euclidean", "manhattan"]  # sentence-transformers' similarity functions
KLReduction = Literal["batchmean", "sum", "mean"]
SIMILARITIES, KL_REDUCTIONS = get_args(Similarity), get_args(KLReduction)

_SCALE = "λ = 1 / temperature (default 20.0, i.e. temperature 0.05); higher values sharpen the softmax."
_SIMILARITY = "`cosine` (default), `dot`, `euclidean` or `manhattan` (negative distances)."
_MIN_SCORE = "Label of the in-batch cross pairs (default -1.0, the `dissimilar` label)."


class LossArgs(BaseModel):
    """Base of every typed `loss_args` model (same strictness as the config schema's models)."""

    model_config = ConfigDict(extra="forbid", validate_default=True, strict=True, allow_inf_nan=False)


class RankingArgs(LossArgs):
    """`loss_args` of the ranking losses."""

    scale: float = Field(20.0, description=_SCALE)
    similarity: Similarity = Field("cosine", description=_SIMILARITY)


class GuidedRankingArgs(RankingArgs):
    """`loss_args` of `ranking` and `augmented-ranking`: the guided false-negative mask besides scale/similarity."""

    guide: Annotated[str, Field(min_length=1)] | None = Field(
        None,
        description="Mask in-batch candidates that this frozen model scores above the anchor's own positive, less "
        "`guide_margin` (GISTEmbed's rule): `base` = the base model as it was before training, or a model name "
        "or folder. null (default): no mask.",
    )
    guide_margin: float = Field(
        0.0,
        description="Margin of the guide's rule, in the guide's cosine units: a candidate is masked when it scores "
        "above the positive's score minus this (default 0.0; larger masks more).",
    )


class CachedRankingArgs(RankingArgs):
    """`loss_args` of `cached-ranking` (GradCache)."""

    mini_batch_size: Annotated[int, Field(gt=0)] = Field(
        32, description="Rows embedded (and scored) at once; memory, not the result, depends on it."
    )
    mini_batch_num_tokens: Annotated[int, Field(gt=0)] | None = Field(
        None, description="If set, pack embedding chunks by token count instead of rows."
    )
    show_progress_bar: bool = Field(False, description="Show a progress bar over the chunks.")


class CoSENTArgs(LossArgs):
    """`loss_args` of `cosine` (CoSENT)."""

    scale: float = Field(20.0, description="λ, the inverse temperature of the pairwise softplus (default 20.0).")
    similarity: Similarity = Field("cosine", description=_SIMILARITY)


class AugmentedCoSENTArgs(CoSENTArgs):
    """`loss_args` of `augmented-cosine`."""

    min_score: float = Field(-1.0, description=_MIN_SCORE + " It should not exceed the lowest real label.")


class CrossEntropyArgs(LossArgs):
    """`loss_args` of `cross-entropy`."""

    scale: float = Field(20.0, description="λ, applied to the logits and the soft targets (default 20.0).")


class CosineCrossEntropyArgs(LossArgs):
    """`loss_args` of `cosine-cross-entropy`."""

    scale: float = Field(
        20.0,
        description="λ of the soft targets σ(λ·label) only (default 20.0: similar → ≈1, almost_similar → 0.5, "
        "dissimilar → ≈0).",
    )


class AugmentedCrossEntropyArgs(CrossEntropyArgs):
    """`loss_args` of `augmented-cross-entropy`."""

    min_score: float = Field(-1.0, description=_MIN_SCORE + " Its target is σ(−λ) ≈ 0.")


class SimilarityDistillationArgs(LossArgs):
    """`distillation.loss_args` of a similarity objective (CoSENT on the teacher's pair scores)."""

    scale: float = Field(20.0, description="λ (default 20.0).")
    similarity: Similarity = Field("cosine", description=_SIMILARITY + " Used for teacher and student.")


class KLDistillationArgs(SimilarityDistillationArgs):
    """`distillation.loss_args` of a contrastive objective (KL between teacher and student softmax)."""

    reduction: KLReduction = Field(
        "batchmean",
        description="`batchmean` (default: KL per anchor, averaged), `sum`, or `mean` (over all n·m entries).",
    )


class VariationPenaltyArgs(LossArgs):
    """`variation_penalty.loss_args` (Lee et al. 2025, "On the Similarities of Embeddings in Contrastive Learning")."""

    eps: Annotated[float, Field(gt=0)] | Literal["auto"] = Field(
        "auto", description="ε > 0, or `auto` (default) = 1/(N − 1) with N the objective's training rows."
    )

    @field_validator("eps", mode="before")
    @classmethod
    def positive_or_auto(cls, value: Any) -> Any:
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value != "auto" and not (is_number and value > 0):
            raise ValueError(f"must be a positive number or `auto`, got {value!r}")
        return value
