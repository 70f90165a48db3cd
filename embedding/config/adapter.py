"""`base_model.adapter`: train a LoRA adapter (peft) instead of every weight of the base model.

Only the student takes an adapter: teachers are `ModelSpec`s and never train, so the key lives on a subclass.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import ModelSpec
from .strict import Strict

INSTALL = "run pip install 'embedding[adapter]' (peft)"


class AdapterSpec(Strict):
    """A LoRA adapter: W' = W + (alpha / r) · B·A on the `target_modules` linear layers; only A and B train."""

    type: Literal["lora"] = Field("lora", description="The adapter kind; `lora` (peft's LoraConfig).")
    r: int = Field(
        8,
        ge=1,
        le=16384,
        description="Rank of the update matrices A (r × in) and B (out × r); at most the model's hidden size (checked "
        "from its files when it is on this machine).",
    )
    alpha: float = Field(16.0, gt=0, description="Scaling numerator: the update is multiplied by alpha / r.")
    dropout: float = Field(0.1, ge=0, lt=1, description="Dropout on the adapter's input during training.")
    target_modules: list[str] | None = Field(
        None,
        min_length=1,
        description="Names (last part, e.g. query, value) of the linear layers that get an adapter; default: "
        "peft's choice for the architecture (query and value for BERT-like encoders).",
    )


class BaseModelSpec(ModelSpec):
    """The model to train (`base_model`): a ModelSpec that may take a LoRA adapter."""

    adapter: AdapterSpec | None = Field(
        None,
        description="Train a LoRA adapter instead of the full model (needs peft: `pip install 'embedding[adapter]'`). "
        "The run saves final/ (adapter merged in: a plain model) and final-adapter/ (the adapter alone).",
    )
