"""Rules on what runs after training: the quantization cost table and the `export` block need an evaluator to
measure with, and the export needs its packages; said by `validate`, not after an hour of training."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from ..errors import Problem
from ..export import INSTALL, PACKAGES


def _evaluator_types(config: dict[str, Any]) -> list[Any]:
    evaluator = config.get("evaluator")
    specs = evaluator if isinstance(evaluator, list) else [evaluator] if isinstance(evaluator, dict) else []
    return [spec.get("type", "retrieval") for spec in specs if isinstance(spec, dict)]


def check_shipping(config: dict[str, Any]) -> list[Problem]:
    problems = []
    evaluation = config.get("evaluation") if isinstance(config.get("evaluation"), dict) else {}
    types = _evaluator_types(config)
    if evaluation.get("quantization") and "retrieval" not in types:
        problems.append(
            Problem(
                "evaluation.quantization",
                "needs a retrieval `evaluator` to measure each size and precision on; add one, or remove the key",
            )
        )
    if config.get("export"):
        if not types:
            problems.append(
                Problem("export", "needs an `evaluator` to check the exported model against the trained one; add one")
            )
        formats = config["export"].get("formats") if isinstance(config["export"], dict) else None
        needed = {name for fmt in formats or ["onnx"] for name in PACKAGES.get(fmt, ())}
        missing = sorted(name for name in needed if find_spec(name) is None)
        if missing:
            problems.append(Problem("export.formats", f"needs {' and '.join(missing)}, not installed: {INSTALL}"))
    return problems
