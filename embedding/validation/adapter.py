"""Rules on `base_model.adapter` that the schema cannot express: the adapter needs peft, said by `validate` before
any model loads. Its values (r >= 1, alpha > 0, 0 <= dropout < 1, type) are the schema's; whether
`target_modules` names layers of the model is checked when the model loads (models/adapter.py)."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from ..config.adapter import INSTALL
from ..errors import Problem


def check_adapter(config: dict[str, Any]) -> list[Problem]:
    model = config.get("base_model")
    if not isinstance(model, dict) or not isinstance(model.get("adapter"), dict):
        return []
    if find_spec("peft") is None:
        return [Problem("base_model.adapter", f"needs the peft package, which is not installed: {INSTALL}")]
    return []
