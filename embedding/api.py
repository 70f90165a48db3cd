"""The Python API: what the CLI calls. Each function takes a config (path, mapping or TrainConfig)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config.load import apply_overrides
from .config.schema import TrainConfig
from .validation import load_config, validate_mapping


def _config(config: str | Path | dict[str, Any] | TrainConfig, overrides: list[str] | None = None) -> TrainConfig:
    if isinstance(config, TrainConfig):
        return config if not overrides else validate_mapping(apply_overrides(config.model_dump(), overrides))
    if isinstance(config, dict):
        return validate_mapping(apply_overrides(dict(config), overrides or []))
    return load_config(config, overrides)


def validate(config, overrides: list[str] | None = None) -> TrainConfig:
    """Check a config without loading any model or dataset; raises ConfigError listing every problem."""
    return _config(config, overrides)


def train(
    config,
    overrides: list[str] | None = None,
    *,
    resume: str | bool | None = None,
    overwrite: bool = False,
    callbacks: list | None = None,
):
    """Train per the config; returns a RunResult (run dir, final model dir, before/after metrics).

    `callbacks`: extra transformers TrainerCallbacks, after the run's own (they see every log and evaluation).
    """
    from .training.run import train as run_training

    path = str(config) if isinstance(config, (str, Path)) else None
    return run_training(
        _config(config, overrides),
        resume=resume,
        overwrite=overwrite,
        config_path=path,
        overrides=overrides if path else None,
        callbacks=callbacks,
    )


def preprocess(config, overrides: list[str] | None = None, *, limit: int | None = None):
    """Materialise every objective's data and the evaluator data; returns a list of summaries."""
    from .training.steps.inspect import preprocess_all

    return preprocess_all(_config(config, overrides), limit=limit)


__all__ = ["train", "validate", "preprocess", "load_config"]
