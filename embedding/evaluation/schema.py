"""The evaluation config's schema lives with every other schema, in `embedding.config.eval_schema`."""

from __future__ import annotations

from ..config.eval_schema import EvalConfig, TaskSpec

__all__ = ["EvalConfig", "TaskSpec"]
