"""Load raw datasets: Hub ids, local folders in Hub layout, single local files, builders with data_files.

A dataset configured several times (train, validation, evaluator) is loaded once per run (`SourceCache`).
Errors name the config key path and list what exists.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config.schema import DatasetSpec
from ..errors import DataError, did_you_mean
from .filtering import apply_filter
from .local import (
    check_has_data,
    check_utf8,
    data_files,
    expand,
    expand_data_files,
    first_line_problem,
    json_lines_problem,
)

FILE_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".tsv": "csv"}


def _load_kwargs(spec: DatasetSpec, where: str) -> tuple[str, dict[str, Any]]:
    """Map a DatasetSpec onto `load_dataset(path, **kwargs)`: a single file becomes builder + data_files.

    `~` is expanded in `name` and in `data_files` (datasets would take `~/shop` for a Hub id).
    """
    args = dict(spec.args)
    if "data_files" in args:
        args["data_files"] = expand_data_files(args["data_files"])
    name = expand(spec.name)
    path = Path(name)
    if path.is_file():
        builder = FILE_BUILDERS.get(path.suffix.lower())
        if builder is None:
            raise DataError(
                f"{where}.name: unsupported file type `{path.suffix}` ({spec.name}); use one of "
                f"{', '.join(sorted(FILE_BUILDERS))}"
            )
        if path.stat().st_size == 0:
            raise DataError(f"{where}: {spec.name} is empty; point `name` at a file with rows")
        args.setdefault("split", "train")  # a single file is one split
        args.setdefault("data_files", {str(args["split"]).split("[")[0]: str(path)})  # `train[:90%]` slices train
        if path.suffix.lower() == ".tsv":
            args.setdefault("delimiter", "\t")
        return builder, args
    return name, args


def _check_local(name: str, args: dict[str, Any], where: str) -> None:
    """A local folder holds data files, and the files this split reads are UTF-8: said before datasets guesses."""
    folder = Path(name).is_dir()
    if folder and not args.get("data_files"):
        check_has_data(Path(name), where)
    if folder or name in _builders():  # a Hub repo's data_files are the repo's, not this machine's
        for file in data_files(name, args):
            check_utf8(file, where)
            if (problem := first_line_problem(file)) is not None:
                raise DataError(f"{where}: {file} {problem}")


def load_split(spec: DatasetSpec, where: str):
    """Load one split as a `datasets.Dataset` (its `filter` applied), or raise a DataError naming `where` and the
    fix."""
    import datasets

    name, args = _load_kwargs(spec, where)
    split = args.get("split")
    _check_findable(name, args, where)
    _check_local(name, args, where)
    try:
        with _quiet_datasets_errors():  # its own error logs would duplicate the one message we print
            loaded = datasets.load_dataset(name, **args)
    except ValueError as exc:
        text = str(exc)
        unknown = re.search(r"doesn't have a '([^']+)' key", text)
        if unknown:
            key = unknown.group(1)
            valid = [p for p in inspect.signature(datasets.load_dataset).parameters if p not in ("path", "kwargs")]
            raise DataError(
                f"{where}.args.{key}: unknown argument `{key}` of datasets.load_dataset"
                f"{did_you_mean(key, valid)}; valid: {', '.join(valid)}"
            ) from None
        if "corresponds to no data" in text:
            raise DataError(f"{where}: {spec.name} is empty (split {split} has no rows)") from None
        if "split" in text.lower():
            available = _available_splits(name, {k: v for k, v in args.items() if k != "split"})
            raise DataError(
                f"{where}.args.split: split `{split}` not found in {spec.name}; "
                f"available: {', '.join(available) or 'unknown'}"
            ) from None
        raise DataError(f"{where}: cannot load {spec.name}: {text.splitlines()[0]}") from None
    except FileNotFoundError as exc:
        raise DataError(
            f"{where}.name: dataset `{spec.name}` not found ({str(exc).splitlines()[0]}); give a "
            "local path, a file, or a Hub id reachable from this machine"
        ) from None
    except TypeError as exc:
        raise DataError(f"{where}.args: {str(exc).splitlines()[0]}; see datasets.load_dataset's arguments") from None
    except StopIteration:
        raise DataError(f"{where}: {spec.name} is empty; point `name` at data with rows") from None
    except (datasets.exceptions.DatasetGenerationError, EOFError) as exc:  # EOFError: a cut-short .gz
        raise DataError(f"{where}: cannot read {spec.name}: {_first_bad_line(expand(spec.name), exc)}") from None
    except Exception as exc:  # connection problems, gated repos, corrupt files: still the user's input
        raise DataError(
            f"{where}: cannot load `{spec.name}`: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None
    if isinstance(loaded, datasets.DatasetDict):
        raise DataError(
            f"{where}.args.split: `{spec.name}` has several splits ({', '.join(loaded)}); choose one with `split:`"
        )
    if len(loaded) == 0:
        raise DataError(f"{where}: dataset `{spec.name}` (split {split}) is empty")
    return apply_filter(loaded, spec.filter, where)


def dataset_not_found(name: str, checked: Path, hint: str = "") -> str:
    """The one message for a dataset name that is a local path that does not exist (`validate` adds `hint`)."""
    return (
        f"dataset `{name}` not found: there is no local file or folder {checked}{hint}; give a local path (a folder "
        "in Hub layout or a .jsonl/.json/.csv/.parquet/.tsv file) that exists, or a Hub id (`org/name`)"
    )


def _check_findable(name: str, args: dict[str, Any], where: str) -> None:
    """Fail at once, naming `where`, when `name` can only come from the Hub and the Hub does not answer.

    A builder (json, csv, ...) or an existing local path goes to datasets as before; so does a Hub id that is
    cached or when the Hub answers a short probe (embedding.hub). A name that is no Hub id (an absolute or
    ./ path, several slashes, a data-file suffix) is a local path that does not exist: said as such.
    """
    from .. import hub

    if name in _builders() or Path(name).expanduser().exists():
        return
    repo_id, remote_only = name, False
    for prefix in ("hf://datasets/", "hf://buckets/"):
        if name.startswith(prefix):
            repo_id, remote_only = name[len(prefix) :], True
    checked = Path(name).expanduser().absolute()
    if not remote_only and (not hub.looks_like_repo_id(name) or Path(name).suffix.lower() in FILE_BUILDERS):
        raise DataError(f"{where}.name: {dataset_not_found(name, checked)}")
    if _in_datasets_cache(repo_id, args.get("cache_dir")):
        return  # datasets falls back to its cache on its own
    status = hub.hub_status(datasets=True)
    if status.reachable:
        return
    flag = hub.offline_flag(datasets=True)
    hub_text = f"Hub downloads are off ({flag})" if flag else status.describe()
    local = "" if remote_only else f"not a local folder or file (checked {checked}), "
    fix = (
        "allow Hub access (unset HF_HUB_OFFLINE / HF_DATASETS_OFFLINE)"
        if flag
        else "go online (or set HF_ENDPOINT to a reachable mirror)"
    )
    raise DataError(
        f"{where}.name: dataset `{name}` not found: it is {local}not in the Hugging Face cache, and "
        f"{hub_text}. Set `name` to the right local path, or {fix}, or pre-download it "
        f"(`hf download --repo-type dataset {repo_id}`) on a machine with internet"
    )


def _builders() -> set[str]:
    """datasets' packaged builder names (json, csv, parquet, ...): not Hub ids, never probed."""
    try:  # a private name of datasets: fall back to the common ones if a release moves it
        from datasets.packaged_modules import _PACKAGED_DATASETS_MODULES

        return set(_PACKAGED_DATASETS_MODULES)
    except ImportError:
        return {
            "json",
            "csv",
            "parquet",
            "text",
            "arrow",
            "pandas",
            "sql",
            "webdataset",
            "imagefolder",
            "audiofolder",
            "videofolder",
        }


def _in_datasets_cache(repo_id: str, cache_dir: Any = None) -> bool:
    """A Hub dataset that datasets can load without the network: a hub snapshot or a prepared copy."""
    from .. import hub

    repo_id = "/".join([part for part in repo_id.split("@")[0].split("/") if part][:2])  # org/name[@rev]/dir
    if hub.cached_snapshot(repo_id, "dataset") is not None:
        return True
    try:
        import datasets
        from datasets.naming import camelcase_to_snakecase

        root = Path(str(cache_dir or datasets.config.HF_DATASETS_CACHE)).expanduser()
        parts = repo_id.split("/")
        parts[-1] = camelcase_to_snakecase(parts[-1])
        prepared = root / "___".join(parts)
        return any(p.is_dir() for p in prepared.glob("*/*/*"))
    except Exception:  # cannot tell: let datasets try, as before
        return True


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
    """For JSON-lines files (plain or compressed), the file and first line that is no JSON object, or where a
    compressed file is cut short; otherwise the library's own reason."""
    path = Path(name)
    files = [path] if path.is_file() else sorted(path.rglob("*.json*")) if path.is_dir() else []
    for file in files:
        problem = json_lines_problem(file)
        if problem is not None:
            return f"{file.name} {problem}"
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
        key = json.dumps([spec.name, spec.args, spec.model_dump(mode="json")["filter"]], sort_keys=True, default=str)
        if key not in self._loaded:
            self._loaded[key] = load_split(spec, where)
        return self._loaded[key]

    def __len__(self) -> int:
        return len(self._loaded)


def stream_parts(spec: DatasetSpec, where: str) -> list:
    """The data files of one split as streaming shards (data/streaming.py), in the order the in-memory path reads
    them; the same checks as `load_split` first (a local path exists, is UTF-8; a Hub id is reachable)."""
    import datasets

    from .streaming import Part

    name, args = _load_kwargs(spec, where)
    split = args.pop("split", None) or "train"
    _check_findable(name, args, where)
    _check_local(name, {**args, "split": split}, where)
    own = set(inspect.signature(datasets.load_dataset_builder).parameters)
    try:
        with _quiet_datasets_errors():
            builder = datasets.load_dataset_builder(name, **args)
    except Exception as exc:  # unknown builder arguments, unreachable repos, unreadable folders: the user's input
        raise DataError(f"{where}: cannot stream `{spec.name}`: {type(exc).__name__}: {_first_line(exc)}") from None
    files = (builder.config.data_files or {}).get(split)
    if not files:
        available = ", ".join(map(str, builder.config.data_files or {})) or "none"
        raise DataError(f"{where}.args.split: split `{split}` not found in {spec.name}; available: {available}")
    options = tuple(sorted((k, v) for k, v in args.items() if k not in own and k != "data_files"))
    return [Part(builder.name, str(file), options) for file in files]


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else ""
