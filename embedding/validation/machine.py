"""The checks that need this machine, torch-free, at `validate` (before `train` loads anything): local data paths
and `data_files`, local model folders (base model, teachers, mining models, guide), sizes read from a model's
files (Matryoshka dims, the adapter's rank), the sharding engines' JSON files, installed packages. Everything else
about a config is the schema's (embedding/config).

A name is a local path by the rule data loading uses (`data.sources`): one that exists, or no Hub id (./ ../ / ~,
several slashes) or a data-file suffix, so a missing one is a typo; `org/name`, `name`, `json` go to the Hub/loader.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from ..config.adapter import INSTALL as ADAPTER_INSTALL
from ..config.catalog.trainer_args import TRACKERS
from ..config.common import mapping
from ..config.evaluator_schema import evaluator_entries
from ..data.sources import FILE_BUILDERS, dataset_not_found
from ..errors import Problem, UserError, did_you_mean
from ..export import INSTALL as EXPORT_INSTALL
from ..export import PACKAGES
from ..hub import looks_like_repo_id
from ..models import check_model_folder, embedding_size, resolve_local
from ..models.size import hidden_size

LOCAL_FILE_BUILDERS = {"json", "csv", "parquet", "text", "arrow", "pandas"}  # they read `data_files` from here
GLOB = ("*", "?", "[")
LOCAL_PREFIXES = ("./", "../", "/", "~")
DEEPSPEED = 'pip install deepspeed (or pip install -e ".[deepspeed]")'
GATHER_KEY = "stage3_gather_16bit_weights_on_model_save"


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
    path = Path(os.path.expanduser(name))
    if "://" in name or _exists(path) is not False:
        return None
    if looks_like_repo_id(name) and path.suffix.lower() not in FILE_BUILDERS:
        return None
    return path.absolute()


def _near_miss(path: Path) -> str:
    """' (did you mean `x`?)' from the names in the path's folder, when that folder exists."""
    try:
        return did_you_mean(path.name, [p.name for p in path.parent.iterdir()][:1000])
    except OSError:
        return ""


def _data_files(value: Any, where: str) -> list[tuple[str, str]]:
    """(key path, file) of each entry of `data_files`: a string, a list, or a mapping of split -> either."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, list):
        return [(f"{where}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str)]
    return [pair for split, v in mapping(value).items() for pair in _data_files(v, f"{where}.{split}")]


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
        path = base / Path(os.path.expanduser(file))
        if "://" not in file and not any(c in file for c in GLOB) and _exists(path) is False:
            problems.append(
                Problem(key, f"`{file}` not found: there is no file {path.absolute()}{_near_miss(path)}; fix the path")
            )
    return problems


def datasets_of(config: Any) -> list[tuple[str, Any]]:
    """(key path, spec) of every dataset of a training config: objectives, evaluator, evaluation tasks."""
    specs = [
        (f"objectives[{i}].datasets.{split}", spec)
        for i, objective in enumerate(config.objectives)
        for split, spec in (("train", objective.datasets.train), ("validation", objective.datasets.validation))
        if spec is not None
    ]
    specs += [(f"{where}.dataset", spec.dataset) for where, _, spec in evaluator_entries(config.evaluator)]
    return specs + [(f"evaluation.tasks[{j}].dataset", task.dataset) for j, task in enumerate(config.evaluation.tasks)]


def data_problems(config: Any) -> list[Problem]:
    problems: list[Problem] = []
    for where, spec in datasets_of(config):
        if (missing := missing_local_path(spec.name)) is not None:
            problems.append(Problem(f"{where}.name", dataset_not_found(spec.name, missing, _near_miss(missing))))
        elif "data_files" in spec.args:
            problems += data_files_problems(spec.name, spec.args["data_files"], where)
    return problems


def models_of(config: Any) -> list[tuple[str, str]]:
    """(key path, name) of every model the run loads: the base model, teachers, mining models and guides."""
    names = [("base_model.name", config.base_model.name)]
    for i, objective in enumerate(config.objectives):
        if objective.distillation is not None:
            names.append((f"objectives[{i}].distillation.teacher.name", objective.distillation.teacher.name))
        guide = objective.loss_args.get("guide")
        if isinstance(guide, str) and guide != "base":  # `base`: the frozen base model, not a folder
            names.append((f"objectives[{i}].loss_args.guide", guide))
        model = mapping(objective.datasets.train.preprocess_args.get("mine_hard_negatives")).get("model")
        model = mapping(model).get("name") if isinstance(model, dict) else model
        if isinstance(model, str):
            names.append((f"objectives[{i}].datasets.train.preprocess_args.mine_hard_negatives.model", model))
    return names


def model_problems(config: Any) -> list[Problem]:
    """A local-looking model path (./ ../ / ~) that does not exist, or a local folder that is no model or lacks
    its tokenizer (files only, no torch); cached, packaged and Hub models are checked when they load."""
    problems = []
    for where, name in models_of(config):
        resolution = resolve_local(name)
        if resolution is None and name.startswith(LOCAL_PREFIXES) and (missing := missing_local_path(name)):
            text = f"model `{name}` not found: there is no folder {missing}{_near_miss(missing)}; fix the path"
            problems.append(Problem(where, text))
        elif resolution is not None and resolution.source == "path":
            try:
                check_model_folder(Path(resolution.location), name, where)
            except UserError as exc:
                problems.append(Problem(where, str(exc).removeprefix(f"{where}: ")))
    return problems


def size_problems(config: Any) -> list[Problem]:
    """Matryoshka dims no larger than the base model's embedding size, and the adapter's rank no larger than its
    hidden size, when the model is on this machine; a Hub model is checked by `train` after loading."""
    base, resolution = config.base_model, resolve_local(config.base_model.name)
    size = embedding_size(resolution.location, base.args) if resolution else None
    texts = {
        f"objectives[{i}].matryoshka.matryoshka_dims": o.matryoshka.size_problem(
            size[0], f"base_model `{base.name}`: {size[1]}"
        )
        for i, o in enumerate(config.objectives)
        if size and o.matryoshka
    }
    hidden = hidden_size(Path(resolution.location)) if resolution else None  # bounds a LoRA rank
    if base.adapter is not None and hidden is not None and base.adapter.r > hidden[0]:
        texts["base_model.adapter.r"] = (
            f"{base.adapter.r} is larger than the model's hidden size {hidden[0]} (base_model `{base.name}`); a LoRA "
            "rank is at most that, usually 4 to 64"
        )
    return [Problem(where, text) for where, text in texts.items() if text]


def read_json_setting(value: Any, where: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """An engine setting given inline (a mapping) or as the path of a JSON file: its content, or the problem."""
    if isinstance(value, dict) or value is None:
        return value, []
    if not isinstance(value, str):
        return None, [Problem(where, f"expected a mapping or the path of a JSON file, got {value!r}")]
    path = Path(value).expanduser()
    if not path.is_file():
        hint = f"{value}: {'a folder' if path.is_dir() else 'no such file'}; give the path of a JSON file"
        return None, [Problem(where, f"{hint} (relative to the directory you run from)")]
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [Problem(where, f"{value} is not valid JSON ({exc}); fix the file")]
    if not isinstance(content, dict):
        return None, [Problem(where, f"{value} holds {type(content).__name__}, not a JSON object; fix the file")]
    return content, []


def engine_problems(data: dict[str, Any]) -> list[Problem]:
    """DeepSpeed / FSDP files, and the settings under which the final model would not be a plain folder (on the
    mapping as written, so they are named with the config's other problems)."""
    args = mapping(data.get("args"))
    deepspeed, problems = read_json_setting(args.get("deepspeed"), "args.deepspeed")
    fsdp_config, found = read_json_setting(args.get("fsdp_config"), "args.fsdp_config")
    problems += found
    zero = mapping(mapping(deepspeed).get("zero_optimization"))
    stage = zero.get("stage", 0)
    if deepspeed is not None and stage not in (0, 1, 2, 3):
        problems.append(Problem("args.deepspeed", f"zero_optimization.stage must be 0, 1, 2 or 3, got {stage!r}"))
    if deepspeed is not None and stage == 3 and zero.get(GATHER_KEY) is not True:
        problems.append(
            Problem(
                "args.deepspeed",
                f"ZeRO-3 shards the weights: without zero_optimization.{GATHER_KEY}: true the final "
                "model is saved as a DeepSpeed checkpoint, not a sentence-transformers folder; set "
                f"{GATHER_KEY}: true",
            )
        )
    fixed = [kind for kind in ("fp16", "bf16") if args.get(kind) is True]
    precision = fixed[0] if fixed else data.get("precision", "auto")
    for kind in ("fp16", "bf16"):
        if mapping(mapping(deepspeed).get(kind)).get("enabled") is True and precision != kind:
            problems.append(
                Problem(
                    "args.deepspeed",
                    f"{kind}.enabled: true, but the run's precision is {precision}; write "
                    f'{kind}: {{enabled: "auto"}} so that `precision` decides, or set precision: {kind}',
                )
            )
    state_dict_type = mapping(fsdp_config).get("state_dict_type", mapping(fsdp_config).get("fsdp_state_dict_type"))
    if args.get("fsdp") and state_dict_type not in (None, "FULL_STATE_DICT"):
        problems.append(
            Problem(
                "args.fsdp_config.state_dict_type",
                f"{state_dict_type!r} saves each process's shard, so final/ would hold no model; use "
                "FULL_STATE_DICT (the default) or remove the key",
            )
        )
    engine = "FSDP" if args.get("fsdp") else "ZeRO-3" if deepspeed is not None and stage == 3 else None
    fix = "use ZeRO-2 (or no engine)" if engine == "ZeRO-3" else "use DeepSpeed ZeRO-2 (or no engine)"
    adapter = mapping(data.get("base_model")).get("adapter")
    for used, what in (
        (adapter, "base_model.adapter merges them"),
        (data.get("merge_with_base"), "merge_with_base interpolates them"),
    ):
        if engine and used:
            where = "args.fsdp" if engine == "FSDP" else "args.deepspeed"
            problems.append(Problem(where, f"{engine} shards the weights, and {what} on one process; {fix}"))
    return problems


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken install, or a module whose spec was removed
        return False


def package_problems(data: dict[str, Any]) -> list[Problem]:
    """The packages the config's trackers, adapter, engine and export need, looked up without importing them; on
    the mapping as written, so they are named with the config's other problems."""
    problems, args = [], mapping(data.get("args"))
    report_to = args.get("report_to")
    names = [n for n in ([report_to] if isinstance(report_to, str) else report_to or []) if n not in ("all", "none")]
    missing = [
        n for n in names if n in TRACKERS and not all(any(map(_installed, m.split("|"))) for m in TRACKERS[n][0])
    ]
    if missing:
        packages = " ".join(dict.fromkeys(TRACKERS[n][1] for n in missing))
        one = len(missing) == 1
        problems.append(
            Problem(
                "args.report_to",
                f"{' and '.join(f'`{n}`' for n in missing)} {'is' if one else 'are'} not installed; "
                f"run `pip install {packages}`, or remove {'it' if one else 'them'} from report_to",
            )
        )
    adapter = isinstance(mapping(data.get("base_model")).get("adapter"), dict)
    needs = [("base_model.adapter", adapter, "peft", ADAPTER_INSTALL)]
    for where, used, package, install in needs + [
        ("args.deepspeed", args.get("deepspeed") is not None, "deepspeed", DEEPSPEED)
    ]:
        if used and not _installed(package):
            problems.append(Problem(where, f"needs the {package} package, which is not installed: {install}"))
    if isinstance(data.get("export"), dict):
        formats = data["export"].get("formats") if isinstance(data["export"].get("formats"), list) else ["onnx"]
        needed = sorted({name for fmt in formats for name in PACKAGES.get(fmt, ())})
        if missing := [name for name in needed if not _installed(name)]:
            text = f"needs {' and '.join(missing)}, not installed: {EXPORT_INSTALL}"
            problems.append(Problem("export.formats", text))
    return problems


def machine_problems(data: dict[str, Any], config: Any, *, paths: bool) -> list[Problem]:
    """Every check of this machine: engines and packages on the mapping as written, the rest once it is a typed
    config (`config`, None when the schema refused it); `paths`: also the data and model files it names."""
    typed = (data_problems(config) + model_problems(config) if paths else []) + size_problems(config) if config else []
    return typed + engine_problems(data) + package_problems(data)
