"""Load raw datasets: Hub ids, local folders in Hub layout, single local files, builders with data_files.

A dataset configured several times (train, validation, evaluator) is loaded once per run (`SourceCache`).
Errors name the config key path and list what exists.
"""

from __future__ import annotations

import inspect
import json
import logging
from contextlib import contextmanager
import re
from pathlib import Path
from typing import Any

from ..config.schema import DatasetSpec
from ..errors import DataError, did_you_mean

FILE_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".tsv": "csv"}


def _load_kwargs(spec: DatasetSpec, where: str) -> tuple[str, dict[str, Any]]:
    """Map a DatasetSpec onto `load_dataset(path, **kwargs)`: a single file becomes builder + data_files."""
    args = dict(spec.args)
    path = Path(spec.name)
    if path.is_file():
        builder = FILE_BUILDERS.get(path.suffix.lower())
        if builder is None:
            raise DataError(f"{where}.name: unsupported file type `{path.suffix}` ({spec.name}); use one of "
                            f"{', '.join(sorted(FILE_BUILDERS))}")
        if path.stat().st_size == 0:
            raise DataError(f"{where}: {spec.name} is empty; point `name` at a file with rows")
        args.setdefault("split", "train")  # a single file is one split
        args.setdefault("data_files", {args["split"]: str(path)})
        if path.suffix.lower() == ".tsv":
            args.setdefault("delimiter", "\t")
        return builder, args
    return spec.name, args


def load_split(spec: DatasetSpec, where: str):
    """Load one split as a `datasets.Dataset`, or raise a DataError naming `where` and the fix."""
    import datasets

    name, args = _load_kwargs(spec, where)
    split = args.get("split")
    try:
        with _quiet_datasets_errors():  # its own error logs would duplicate the one message we print
            loaded = datasets.load_dataset(name, **args)
    except ValueError as exc:
        text = str(exc)
        unknown = re.search(r"doesn't have a '([^']+)' key", text)
        if unknown:
            key = unknown.group(1)
            valid = [p for p in inspect.signature(datasets.load_dataset).parameters if p not in ("path", "kwargs")]
            raise DataError(f"{where}.args.{key}: unknown argument `{key}` of datasets.load_dataset"
                            f"{did_you_mean(key, valid)}; valid: {', '.join(valid)}") from None
        if "corresponds to no data" in text:
            raise DataError(f"{where}: {spec.name} is empty (split {split} has no rows)") from None
        if "split" in text.lower():
            available = _available_splits(name, {k: v for k, v in args.items() if k != "split"})
            raise DataError(f"{where}.args.split: split `{split}` not found in {spec.name}; "
                            f"available: {', '.join(available) or 'unknown'}") from None
        raise DataError(f"{where}: cannot load {spec.name}: {text.splitlines()[0]}") from None
    except FileNotFoundError as exc:
        raise DataError(f"{where}.name: dataset `{spec.name}` not found ({str(exc).splitlines()[0]}); give a "
                        "local path, a file, or a Hub id reachable from this machine") from None
    except TypeError as exc:
        raise DataError(f"{where}.args: {str(exc).splitlines()[0]}; see datasets.load_dataset's arguments") from None
    except StopIteration:
        raise DataError(f"{where}: {spec.name} is empty; point `name` at data with rows") from None
    except datasets.exceptions.DatasetGenerationError as exc:
        raise DataError(f"{where}: cannot read {spec.name}: {_first_bad_line(spec.name, exc)}") from None
    except Exception as exc:  # connection problems, gated repos, corrupt files: still the user's input
        raise DataError(f"{where}: cannot load `{spec.name}`: {type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    if isinstance(loaded, datasets.DatasetDict):
        raise DataError(f"{where}.args.split: `{spec.name}` has several splits ({', '.join(loaded)}); "
                        "choose one with `split:`")
    if len(loaded) == 0:
        raise DataError(f"{where}: dataset `{spec.name}` (split {split}) is empty")
    return loaded


@contextmanager
def _quiet_datasets_errors():
    logger = logging.getLogger("datasets")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _first_bad_line(name: str, exc: Exception) -> str:
    """For JSON-lines files, the first line that does not parse; otherwise the library's own reason."""
    files = [Path(name)] if Path(name).is_file() else sorted(Path(name).glob("*.json*")) if Path(name).is_dir() else []
    for file in files:
        if file.suffix.lower() != ".jsonl":
            continue
        with file.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        json.loads(line)
                    except json.JSONDecodeError as err:
                        return f"{file.name} line {number}: invalid JSON ({err.msg}); fix or remove that line"
    cause = exc.__cause__ or exc
    return f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"


def _available_splits(name: str, args: dict[str, Any]) -> list[str]:
    folder = Path(name)
    if folder.is_dir():
        return sorted({p.stem.split("-")[0] for p in folder.iterdir() if p.suffix in FILE_BUILDERS})
    if isinstance(args.get("data_files"), dict):
        return sorted(args["data_files"])
    try:
        import datasets

        return list(datasets.get_dataset_split_names(name, **args))
    except Exception:
        return []


class SourceCache:
    """Loads each distinct (name, args) once per run."""

    def __init__(self):
        self._loaded: dict[str, Any] = {}

    def get(self, spec: DatasetSpec, where: str):
        key = json.dumps([spec.name, spec.args], sort_keys=True, default=str)
        if key not in self._loaded:
            self._loaded[key] = load_split(spec, where)
        return self._loaded[key]

    def __len__(self) -> int:
        return len(self._loaded)
