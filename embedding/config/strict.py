"""The base of every config model: strict types, no unknown keys, no NaN or infinity."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # strict: YAML already gives typed values, so "yes" is not a bool and `true` is not a patience of 1.
    # No NaN or infinity (YAML `.nan`, `.inf`): no float key of a config means them.
    model_config = ConfigDict(extra="forbid", validate_default=True, strict=True, allow_inf_nan=False)
