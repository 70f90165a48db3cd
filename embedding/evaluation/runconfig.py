"""A run's `config.resolved.yaml` read back as the typed config, for the report and for `evaluate`.

The file is the config the run trained with, written by the version that ran it. A run of an older version may
no longer validate against today's schema; readers then get `None` (or only the sections that still validate)
and fall back to defaults instead of failing on a finished run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..config.load import read_config_file
from ..config.schema import MatryoshkaSpec, TrainConfig
from ..errors import UserError

FILE_NAME = "config.resolved.yaml"


def read_mapping(path: Path) -> dict[str, Any] | None:
    """The file's top-level mapping; None when it is missing, empty, not a mapping or not YAML."""
    try:
        return read_config_file(path)
    except UserError:
        return None


def typed(data: dict[str, Any] | None) -> TrainConfig | None:
    """The mapping as a TrainConfig; None when it does not validate (written by another version)."""
    if data is None:
        return None
    try:
        return TrainConfig.model_validate(data)
    except ValidationError:
        return None


def matryoshka_specs(data: dict[str, Any]) -> list[MatryoshkaSpec]:
    """The Matryoshka sections of the run's objectives.

    From the typed config when the file validates; otherwise every `objectives[i].matryoshka` that validates on
    its own, so that the sizes a model was trained at are still known for a config of another version.
    """
    config = typed(data)
    if config is not None:
        return [o.matryoshka for o in config.objectives if o.matryoshka is not None]
    objectives = data.get("objectives")
    specs = []
    for objective in objectives if isinstance(objectives, list) else []:
        section = objective.get("matryoshka") if isinstance(objective, dict) else None
        try:
            specs.append(MatryoshkaSpec.model_validate(section))
        except ValidationError:
            continue
    return specs


def trained_dims(location: str | Path) -> list[int]:
    """Matryoshka dims of the run that produced a model folder (run_dir/final or a checkpoint), if known."""
    for candidate in (Path(location) / FILE_NAME, Path(location).parent / FILE_NAME):
        if candidate.is_file():
            data = read_mapping(candidate)
            if data is None:
                return []
            return sorted({int(d) for spec in matryoshka_specs(data) for d in spec.matryoshka_dims})
    return []
