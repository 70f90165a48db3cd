"""Typed `preprocess_args`: the keys every format shares, and hard-negative mining's options.

Each format declares its own arguments (one pydantic model per use: contrastive rows, similarity rows, retrieval
data) in its module under `formats/`, derived from `DataArgs`; every key has its one default and description
there, and `embedding schema` shows them. Pydantic and the standard library only: `validate` stays instant.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from ..config.schema import ModelSpec, Strict

USES = ("contrastive", "similarity", "retrieval")  # what the rows feed: an objective type or the IR evaluator


class DataArgs(Strict):
    """Keys of every format: which format, column renames, a row limit and map processes."""

    format: str | None = Field(
        None, description="Input shape (efaq, labeled, pairs, scored-pairs, beir); default: detected from columns."
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Map your column names onto the format's: {expected_name: your_column}, "
        "e.g. {sentence: question}.",
    )
    limit: int | None = Field(None, ge=1, description="Use only the first N raw rows (quick trials).")
    num_proc: int | None = Field(
        None, ge=1, description="Processes for the preprocessing map; rows never depend on it."
    )


PROMPT_NAMES = ("query_prompt_name", "corpus_prompt_name")


# sentence_transformers.util.mine_hard_negatives' options a config may set, with that function's own defaults
# except relative_margin (0.05, NV-Retriever's best setting, rather than off).
class MiningArgs(Strict):
    """`mine_hard_negatives`: rank every text with a model and keep the closest non-positives as negatives."""

    model: str | ModelSpec = Field(description="The mining model: a name/path, or {name, args}.")
    num_negatives: int = Field(3, ge=1, description="Negatives kept per (anchor, positive) row.")
    range_min: int = Field(0, ge=0, description="Skip the `range_min` closest candidates (likely paraphrases).")
    range_max: int | None = Field(None, ge=1, description="Consider only the `range_max` closest candidates.")
    max_score: float | None = Field(None, description="Refuse candidates scored above this similarity.")
    min_score: float | None = Field(None, description="Refuse candidates scored below this similarity.")
    absolute_margin: float | None = Field(
        None, description="Refuse candidates within this margin of the positive's similarity."
    )
    relative_margin: float | None = Field(
        0.05,
        ge=0,
        description="False-negative control (NV-Retriever's TopK-PercPos, 95 %): refuse candidates scored above "
        "positive - |positive| x margin (0.05: above 95 % of a positive score), the anchor's lowest positive when it "
        "has several (sentence-transformers' rule); null: off.",
    )
    cross_encoder: str | ModelSpec | None = Field(
        None,
        description="Rescore the candidates with this CrossEncoder (a name/path, or {name, args}) before the "
        "margins and score limits apply; the bi-encoder `model` still picks the candidates.",
    )
    sampling_strategy: Literal["top", "random"] = Field(
        "top", description="`top`: the closest candidates; `random`: a seeded draw among them."
    )
    batch_size: int = Field(32, ge=1, description="Encoding batch size of the mining model.")
    query_prompt: str | None = Field(None, description="Prompt prepended to anchors when encoding.")
    corpus_prompt: str | None = Field(None, description="Prompt prepended to candidates when encoding.")
    query_prompt_name: str | None = Field(None, description="Name of a model prompt for anchors.")
    corpus_prompt_name: str | None = Field(None, description="Name of a model prompt for candidates.")

    @field_validator("range_max")
    @classmethod
    def check_range_leaves_enough(cls, value: int | None, info: ValidationInfo) -> int | None:
        low, n = info.data.get("range_min"), info.data.get("num_negatives")
        if value is not None and low is not None and n is not None and value - low < n:
            raise ValueError(
                f"range_max - range_min must leave at least num_negatives ({n}) candidates, got {value} - {low}"
            )
        return value

    def model_spec(self) -> ModelSpec:
        return self.model if isinstance(self.model, ModelSpec) else ModelSpec(name=self.model)

    def cross_encoder_spec(self) -> ModelSpec | None:
        if self.cross_encoder is None or isinstance(self.cross_encoder, ModelSpec):
            return self.cross_encoder
        return ModelSpec(name=self.cross_encoder)

    def passthrough(self) -> dict[str, Any]:
        """Encoding arguments for `util.mine_hard_negatives`; the miner applies ranges, limits and sampling."""
        return self.model_dump(include={"batch_size", "query_prompt", "corpus_prompt", *PROMPT_NAMES})


class MinedRows(DataArgs):
    """Contrastive rows may get their negatives from mining instead of the data."""

    mine_hard_negatives: MiningArgs | None = Field(
        None, description="Mine hard negatives with a model (replaces negative_samples); see MiningArgs."
    )

    @field_validator("negative_samples", check_fields=False)
    @classmethod
    def check_one_source_of_negatives(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value and info.data.get("mine_hard_negatives") is not None:
            raise ValueError("mine_hard_negatives supplies the negatives (its num_negatives); remove negative_samples")
        return value
