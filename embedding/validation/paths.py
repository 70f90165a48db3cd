"""Local data paths that do not exist: a dataset `name` (training, validation, evaluator, evaluation tasks) and
the files of its `args.data_files`, caught by `validate` before any model or library is loaded.

A name is a local path by the rule data loading uses (`data.sources`): a path that exists is loaded as one; a name
that is no Hub id (./ ../ / ~, several slashes) or ends in a data-file suffix is a local path, so a missing one is
a typo; anything else (`org/name`, `name`, a builder such as `json`) is left to the loader and the Hub.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from ..config.evaluator_schema import evaluator_entries
from ..data.sources import FILE_BUILDERS
from ..errors import Problem, did_you_mean
from ..hub import looks_like_repo_id

# datasets' builders that read `data_files` from this machine (a Hub dataset reads them from its repo).
LOCAL_FILE_BUILDERS = {"json", "csv", "parquet", "text", "arrow", "pandas"}
GLOB = ("*", "?", "[")


def _exists(path: Path) -> bool | None:
    """Whether `path` exists; None when the system cannot tell (a folder it may not read)."""
    try:
        return path.exists()
    except ValueError:  # a NUL byte: no such file can exist
        return False
    except OSError as exc:
        return False if exc.errno == errno.ENAMETOOLONG else None


def missing_local_path(name: str) -> Path | None:
    """The absolute path `name` stands for when it is a local path that does not exist, else None."""
    if "://" in name:
        return None
    path = Path(os.path.expanduser(name))
    if _exists(path) is not False:
        return None
    if looks_like_repo_id(name) and path.suffix.lower() not in FILE_BUILDERS:
        return None
    return path.absolute()


def _near_miss(path: Path) -> str:
    """' (did you mean `x`?)' from the names in the path's folder, when that folder exists."""
    try:
        siblings = [p.name for p in path.parent.iterdir()][:1000]
    except OSError:
        return ""
    return did_you_mean(path.name, siblings)


def name_problem(name: str, where: str) -> Problem | None:
    checked = missing_local_path(name)
    if checked is None:
        return None
    return Problem(
        f"{where}.name",
        f"dataset `{name}` not found: there is no local file or folder {checked}{_near_miss(checked)}; give a "
        "local path (a folder in Hub layout or a .jsonl/.json/.csv/.parquet/.tsv file) that exists, or a Hub id "
        "(`org/name`)",
    )


def _data_files(value: Any, where: str) -> list[tuple[str, str]]:
    """(key path, file) of each entry of `data_files`: a string, a list, or a mapping of split -> either."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, list):
        return [(f"{where}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str)]
    if isinstance(value, dict):
        return [pair for split, v in value.items() for pair in _data_files(v, f"{where}.{split}")]
    return []


def data_files_problems(name: str, data_files: Any, where: str) -> list[Problem]:
    """Entries of `args.data_files` that name a local file that is not there (globs and URLs left to the loader)."""
    folder = Path(os.path.expanduser(name))
    if name in LOCAL_FILE_BUILDERS:
        base = Path.cwd()
    elif _exists(folder) and folder.is_dir():
        base = folder  # datasets reads a folder's data_files relative to it
    else:
        return []
    problems = []
    for key, file in _data_files(data_files, f"{where}.args.data_files"):
        if "://" in file or any(c in file for c in GLOB):
            continue
        path = base / Path(os.path.expanduser(file))
        if _exists(path) is False:
            problems.append(
                Problem(key, f"`{file}` not found: there is no file {path.absolute()}{_near_miss(path)}; fix the path")
            )
    return problems


def _dataset_specs(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(key path, mapping) of every dataset of a training config: objectives, evaluator, evaluation tasks."""
    specs = []
    objectives = data.get("objectives") if isinstance(data.get("objectives"), list) else []
    for i, obj in enumerate(objectives):
        datasets = obj.get("datasets") if isinstance(obj, dict) else None
        for split in ("train", "validation"):
            if isinstance(datasets, dict) and isinstance(datasets.get(split), dict):
                specs.append((f"objectives[{i}].datasets.{split}", datasets[split]))
    for where, _, evaluator in evaluator_entries(data.get("evaluator")):
        if isinstance(evaluator, dict) and isinstance(evaluator.get("dataset"), dict):
            specs.append((f"{where}.dataset", evaluator["dataset"]))
    evaluation = data.get("evaluation") if isinstance(data.get("evaluation"), dict) else {}
    tasks = evaluation.get("tasks") if isinstance(evaluation.get("tasks"), list) else []
    for j, task in enumerate(tasks):
        if isinstance(task, dict) and isinstance(task.get("dataset"), dict):
            specs.append((f"evaluation.tasks[{j}].dataset", task["dataset"]))
    return specs


def check_local_paths(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for where, spec in _dataset_specs(data):
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            continue  # the schema reports it
        problem = name_problem(name, where)
        if problem is not None:
            problems.append(problem)
        elif isinstance(spec.get("args"), dict) and "data_files" in spec["args"]:
            problems += data_files_problems(name, spec["args"]["data_files"], where)
    return problems
