"""Rules on the sharding engines, `args.deepspeed` (DeepSpeed ZeRO) and `args.fsdp` / `args.fsdp_config`: their
files, their package, and the settings under which the final model would not be a plain sentence-transformers
folder. Said by `validate`, not when training ends and the model is saved.

Whether this machine can run them (FSDP needs GPUs) is checked when training starts (training/engine_save.py).
"""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from ..errors import Problem

INSTALL = 'pip install deepspeed (or pip install -e ".[deepspeed]")'
FULL_STATE_DICT = "FULL_STATE_DICT"
GATHER_KEY = "stage3_gather_16bit_weights_on_model_save"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def read_json_setting(value: Any, where: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """An engine setting given inline (a mapping) or as the path of a JSON file: its content, or the problem."""
    if isinstance(value, dict):
        return value, []
    if not isinstance(value, str):
        return None, [Problem(where, f"expected a mapping or the path of a JSON file, got {value!r}")]
    path = Path(value).expanduser()
    if not path.is_file():
        hint = "a folder" if path.is_dir() else "no such file"
        return None, [
            Problem(where, f"{value}: {hint}; give the path of a JSON file (relative to the directory you run from)")
        ]
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [Problem(where, f"{value} is not valid JSON ({exc}); fix the file")]
    if not isinstance(content, dict):
        return None, [Problem(where, f"{value} holds {type(content).__name__}, not a JSON object; fix the file")]
    return content, []


def zero_stage(deepspeed: dict[str, Any]) -> Any:
    return _mapping(deepspeed.get("zero_optimization")).get("stage", 0)


def check_engines(config: dict[str, Any]) -> list[Problem]:
    args = _mapping(config.get("args"))
    problems: list[Problem] = []
    deepspeed = fsdp_config = None
    if args.get("deepspeed") is not None:
        deepspeed, found = read_json_setting(args["deepspeed"], "args.deepspeed")
        problems += found
        if find_spec("deepspeed") is None:
            problems.append(
                Problem("args.deepspeed", f"needs the deepspeed package, which is not installed: {INSTALL}")
            )
    if args.get("fsdp_config") is not None:
        fsdp_config, found = read_json_setting(args["fsdp_config"], "args.fsdp_config")
        problems += found
    if deepspeed is not None:
        problems += check_deepspeed(config, deepspeed)
    problems += check_fsdp(args, fsdp_config)
    problems += check_sharded_combinations(config, deepspeed)
    return problems


def check_deepspeed(config: dict[str, Any], deepspeed: dict[str, Any]) -> list[Problem]:
    """ZeRO-3 without gathering saves a DeepSpeed checkpoint, not a model; a fixed precision that is not the run's."""
    problems = []
    stage = zero_stage(deepspeed)
    if stage not in (0, 1, 2, 3):
        problems.append(Problem("args.deepspeed", f"zero_optimization.stage must be 0, 1, 2 or 3, got {stage!r}"))
    if stage == 3 and _mapping(deepspeed.get("zero_optimization")).get(GATHER_KEY) is not True:
        problems.append(
            Problem(
                "args.deepspeed",
                f"ZeRO-3 shards the weights: without zero_optimization.{GATHER_KEY}: true the final model is "
                f"saved as a DeepSpeed checkpoint, not a sentence-transformers folder; set {GATHER_KEY}: true",
            )
        )
    run_precision = _run_precision(config)
    for kind in ("fp16", "bf16"):
        enabled = _mapping(deepspeed.get(kind)).get("enabled")
        if enabled is True and run_precision != kind:
            problems.append(
                Problem(
                    "args.deepspeed",
                    f"{kind}.enabled: true, but the run's precision is {run_precision}; write "
                    f'{kind}: {{enabled: "auto"}} so that `precision` decides, or set precision: {kind}',
                )
            )
    return problems


def _run_precision(config: dict[str, Any]) -> str:
    args = _mapping(config.get("args"))
    if args.get("fp16") is True:
        return "fp16"
    if args.get("bf16") is True:
        return "bf16"
    precision = config.get("precision", "auto")
    return precision if isinstance(precision, str) else "auto"


def check_fsdp(args: dict[str, Any], fsdp_config: dict[str, Any] | None) -> list[Problem]:
    problems = []
    if args.get("fsdp") and args.get("deepspeed") is not None:
        problems.append(
            Problem("args.fsdp", "FSDP and DeepSpeed both shard the model; use one of args.fsdp and args.deepspeed")
        )
    if fsdp_config is not None and not args.get("fsdp"):
        problems.append(
            Problem("args.fsdp_config", "has no effect without args.fsdp; add `fsdp: full_shard` or remove the key")
        )
    state_dict_type = _mapping(fsdp_config).get("state_dict_type", _mapping(fsdp_config).get("fsdp_state_dict_type"))
    if args.get("fsdp") and state_dict_type not in (None, FULL_STATE_DICT):
        problems.append(
            Problem(
                "args.fsdp_config.state_dict_type",
                f"{state_dict_type!r} saves each process's shard, so final/ would hold no model; "
                f"use {FULL_STATE_DICT} (the default) or remove the key",
            )
        )
    return problems


def check_sharded_combinations(config: dict[str, Any], deepspeed: dict[str, Any] | None) -> list[Problem]:
    """An adapter's merge and `merge_with_base` read and write the module's own weights on one process; under
    ZeRO-3 or FSDP each process holds only a shard of them."""
    args = _mapping(config.get("args"))
    engine = "FSDP" if args.get("fsdp") else "ZeRO-3" if deepspeed is not None and zero_stage(deepspeed) == 3 else None
    if engine is None:
        return []
    key = "args.fsdp" if engine == "FSDP" else "args.deepspeed"
    fix = "use ZeRO-2 (or no engine)" if engine == "ZeRO-3" else "use DeepSpeed ZeRO-2 (or no engine)"
    problems = []
    if _mapping(config.get("base_model")).get("adapter"):
        problems.append(
            Problem(key, f"{engine} shards the weights, and base_model.adapter merges them on one process; {fix}")
        )
    if config.get("merge_with_base"):
        problems.append(
            Problem(key, f"{engine} shards the weights, and merge_with_base interpolates them on one process; {fix}")
        )
    return problems
