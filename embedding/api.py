"""The Python API, and what `embedding validate`, `preprocess` and `train` call (cli/). Each function takes a
config: a path, a mapping or a TrainConfig.

`embedding evaluate`, `export` and `report` take their own inputs (an evaluation config, a model or run folder)
and call their layers directly (evaluation/, export/, report/).
"""

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
    config_path: str | None = None,
):
    """Train per the config; returns a RunResult (run dir, final model dir, before/after metrics).

    `callbacks`: extra transformers TrainerCallbacks, after the run's own (they see every log and evaluation).
    `config_path`: the file a TrainConfig was read from (with `overrides`: the `--set`s applied to it), for the
    resume hints and the run record; a path given as `config` is its own.
    """
    from .training.run import train as run_training

    path = str(config) if isinstance(config, (str, Path)) else config_path
    validated = config if isinstance(config, TrainConfig) and config_path else _config(config, overrides)
    return run_training(
        validated,
        resume=resume,
        overwrite=overwrite,
        config_path=path,
        overrides=overrides if path else None,
        callbacks=callbacks,
    )


def failures(config: TrainConfig, result) -> list[tuple[str, str]]:
    """Why a finished run does not count as a success (the CLI exits 3 on any), as (what, why) pairs: its main
    metric dropped with `evaluation.fail_if_worse` on, or an export after training failed its check."""
    from .training.steps.export import export_failures

    found = []
    if config.evaluation.fail_if_worse and result.got_worse:
        found.append((f"{result.main_metric} dropped after training", "evaluation.fail_if_worse is on"))
    exports = export_failures(result.run_dir)  # read from the run dir: also after a resume of a finished run
    if exports:
        found.append(("; ".join(exports), "see report.md"))
    return found


def preprocess(config, overrides: list[str] | None = None, *, limit: int | None = None):
    """Materialise every objective's data and the evaluator data; returns a list of summaries."""
    from .training.steps.inspect import preprocess_all

    return preprocess_all(_config(config, overrides), limit=limit)


__all__ = ["failures", "train", "validate", "preprocess", "load_config"]
