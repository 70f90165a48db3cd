"""Cross-field rules users keep tripping over, checked before any model or dataset is loaded.

They read the raw mapping defensively (the typed config may be None when other keys are broken), so that
every problem of a file is reported in one go. One function per rule, named `check_<rule>`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import Problem, did_you_mean

# Set by the run itself: the run dir is output_dir/run_name, logs live inside it.
RESERVED_ARGS = {
    "output_dir": "set the top-level `output_dir` (the run goes to output_dir/run_name)",
    "logging_dir": "logs are written inside the run dir",
    "run_name": "set the top-level `run_name`",
}
SCORE_FUNCTIONS = ("cosine", "dot", "euclidean", "manhattan")
IR_DEFAULTS = {
    "accuracy_at_k": [1, 3, 5, 10],
    "precision_recall_at_k": [1, 3, 5, 10],
    "mrr_at_k": [10],
    "ndcg_at_k": [10],
    "map_at_k": [100],
}


@cache
def trainer_arg_specs() -> dict[str, dict[str, Any]]:
    return json.loads(Path(__file__).with_name("trainer_args.json").read_text())


@cache
def ir_evaluator_args() -> list[str]:
    return json.loads(Path(__file__).with_name("ir_evaluator_args.json").read_text())


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def check_args_keys(args: dict[str, Any]) -> list[Problem]:
    specs = trainer_arg_specs()
    known = {name: spec["type"] for name, spec in specs.items()}
    problems = []
    for key, value in args.items():
        where = f"args.{key}"
        if key in RESERVED_ARGS:
            problems.append(Problem(where, f"is managed by embedding; remove it ({RESERVED_ARGS[key]})"))
        elif key not in known:
            problems.append(
                Problem(
                    where,
                    f"unknown trainer argument{did_you_mean(key, known)}; see "
                    "SentenceTransformerTrainingArguments for the valid keys",
                )
            )
        else:
            expected = known[key]
            ok = {
                "bool": lambda v: isinstance(v, bool),
                "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
                "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                "str": lambda v: isinstance(v, str),
            }.get(expected, lambda v: True)(value)
            choices = specs[key].get("choices")
            if value is not None and not ok:
                problems.append(Problem(where, f"expected {expected}, got {value!r}"))
            elif choices and isinstance(value, str) and value not in choices:
                problems.append(
                    Problem(
                        where,
                        f"{value!r} is not a valid choice{did_you_mean(value, choices)}; "
                        f"valid: {', '.join(f'`{c}`' for c in choices)}",
                    )
                )
    return problems


def check_evaluator_args(config: dict[str, Any]) -> list[Problem]:
    evaluator = config.get("evaluator")
    if not isinstance(evaluator, dict) or not isinstance(evaluator.get("args"), dict):
        return []
    valid = ir_evaluator_args()
    problems = []
    for key, value in evaluator["args"].items():
        if key not in valid:
            problems.append(
                Problem(
                    f"evaluator.args.{key}",
                    f"unknown InformationRetrievalEvaluator argument"
                    f"{did_you_mean(key, valid)}; valid: {', '.join(valid)}",
                )
            )
        elif key.endswith("_at_k") and not (
            isinstance(value, list)
            and value
            and all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in value)
        ):
            problems.append(Problem(f"evaluator.args.{key}", f"expected a list of positive integers, got {value!r}"))
    return problems


def check_evaluation_tasks(config: dict[str, Any]) -> list[Problem]:
    """`evaluation.tasks` use the `embedding evaluate` task schema (kept there, checked here)."""
    from pydantic import ValidationError

    from ..evaluation.schema import TaskSpec
    from .problems import problems_from_validation_error

    tasks = _mapping(config.get("evaluation")).get("tasks")
    problems: list[Problem] = []
    for i, task in enumerate(tasks if isinstance(tasks, list) else []):
        try:
            TaskSpec.model_validate(task)
        except ValidationError as exc:
            problems += [
                Problem(f"evaluation.tasks[{i}].{p.where}" if p.where else f"evaluation.tasks[{i}]", p.message)
                for p in problems_from_validation_error(TaskSpec, exc)
            ]
    return problems


def check_objective_names_unique(config: dict[str, Any]) -> list[Problem]:
    objectives = config.get("objectives") if isinstance(config.get("objectives"), list) else []
    names = [objective_default_name(objectives, i) for i in range(len(objectives))]
    problems = []
    for i, name in enumerate(names):
        if name in names[:i]:
            problems.append(
                Problem(
                    f"objectives[{i}].name",
                    f"`{name}` is already the name of objectives[{names.index(name)}]; objective names must be unique",
                )
            )
    return problems


def evaluator_metric_names(config: dict[str, Any]) -> set[str]:
    """Metric keys (without the trainer's `eval_` prefix) the configured evaluator and eval losses produce."""
    names: set[str] = set()
    evaluator = config.get("evaluator")
    if isinstance(evaluator, dict):
        ev_args = {**IR_DEFAULTS, **_mapping(evaluator.get("args"))}
        prefix = f"{ev_args['name']}_" if ev_args.get("name") else ""
        per_k = {
            "accuracy": ev_args["accuracy_at_k"],
            "precision": ev_args["precision_recall_at_k"],
            "recall": ev_args["precision_recall_at_k"],
            "mrr": ev_args["mrr_at_k"],
            "ndcg": ev_args["ndcg_at_k"],
            "map": ev_args["map_at_k"],
        }
        for score in SCORE_FUNCTIONS:
            for metric, ks in per_k.items():
                for k in ks if isinstance(ks, list) else []:
                    names.add(f"{prefix}{score}_{metric}@{k}")
    objectives = config.get("objectives") if isinstance(config.get("objectives"), list) else []
    has_validation = False
    for i, obj in enumerate(objectives):
        obj = _mapping(obj)
        if _mapping(obj.get("datasets")).get("validation"):
            has_validation = True
            names.add(f"{obj.get('name') or objective_default_name(objectives, i)}_loss")
    if has_validation:
        names.add("loss")
    return names


def objective_default_name(objectives: list[Any], index: int) -> str:
    """Name of objective `index`: its `name`, else its type, numbered when a type repeats (contrastive_2)."""
    seen: dict[str, int] = {}
    taken = {o.get("name") for o in objectives if isinstance(o, dict) and o.get("name")}
    result = ""
    for i, obj in enumerate(objectives):
        obj = _mapping(obj)
        if obj.get("name"):
            result = obj["name"]
        else:
            base = str(obj.get("type") or "objective")
            seen[base] = seen.get(base, 0) + 1
            result = base if seen[base] == 1 else f"{base}_{seen[base]}"
            while result in taken:
                seen[base] += 1
                result = f"{base}_{seen[base]}"
        if i == index:
            return result
    return result


def check_metric_for_best_model(config: dict[str, Any], args: dict[str, Any]) -> list[Problem]:
    metric = args.get("metric_for_best_model")
    if not isinstance(metric, str):
        return []
    produced = evaluator_metric_names(config)
    bare = metric.removeprefix("eval_")
    if bare in produced:
        return []
    if not produced:
        return [
            Problem(
                "args.metric_for_best_model",
                f"`{metric}` is not produced: there is no `evaluator` and no "
                "objective has validation data; add an evaluator or remove the key",
            )
        ]
    hint = did_you_mean(bare, produced)
    if "@" in bare and not hint:
        metric_kind, _, k = bare.rpartition("@")
        key = {
            "accuracy": "accuracy_at_k",
            "precision": "precision_recall_at_k",
            "recall": "precision_recall_at_k",
            "mrr": "mrr_at_k",
            "ndcg": "ndcg_at_k",
            "map": "map_at_k",
        }.get(metric_kind.rsplit("_", 1)[-1])
        if key:
            hint = f"; add {k} to evaluator.args.{key}"
    elif "@" in bare and hint:
        metric_kind, _, k = bare.rpartition("@")
        key = {
            "accuracy": "accuracy_at_k",
            "precision": "precision_recall_at_k",
            "recall": "precision_recall_at_k",
            "mrr": "mrr_at_k",
            "ndcg": "ndcg_at_k",
            "map": "map_at_k",
        }.get(metric_kind.rsplit("_", 1)[-1])
        if key:
            hint += f", or add {k} to evaluator.args.{key}"
    return [Problem("args.metric_for_best_model", f"`{metric}` is not produced by the configured evaluator{hint}")]


def check_early_stopping(config: dict[str, Any], args: dict[str, Any]) -> list[Problem]:
    if not config.get("early_stopping"):
        return []
    problems = []
    if args.get("eval_strategy", "no") in ("no", None):
        problems.append(Problem("early_stopping", "needs evaluation: set args.eval_strategy to `steps` or `epoch`"))
    if not args.get("metric_for_best_model"):
        problems.append(Problem("early_stopping", "needs args.metric_for_best_model (e.g. `cosine_ndcg@10`)"))
    if not args.get("load_best_model_at_end"):
        problems.append(Problem("early_stopping", "needs args.load_best_model_at_end: true"))
    return problems


def check_save_matches_eval(args: dict[str, Any]) -> list[Problem]:
    if not args.get("load_best_model_at_end"):
        return []
    eval_strategy, save_strategy = args.get("eval_strategy", "no"), args.get("save_strategy", "steps")
    if save_strategy != "best" and eval_strategy != save_strategy:
        return [
            Problem(
                "args.save_strategy",
                f"load_best_model_at_end needs save_strategy == eval_strategy "
                f"(got {save_strategy!r} and {eval_strategy!r})",
            )
        ]
    save_steps, eval_steps = args.get("save_steps", 500), args.get("eval_steps") or args.get("logging_steps", 500)
    if (
        eval_strategy == "steps"
        and isinstance(save_steps, int)
        and isinstance(eval_steps, int)
        and eval_steps > 0
        and save_steps % eval_steps != 0
    ):
        return [
            Problem(
                "args.save_steps",
                f"{save_steps} must be a multiple of eval_steps ({eval_steps}) when "
                f"load_best_model_at_end is on; e.g. save_steps: {eval_steps * max(1, save_steps // eval_steps)}",
            )
        ]
    return []


def cross_field_problems(data: dict[str, Any], config: Any) -> list[Problem]:
    args = _mapping(data.get("args"))
    problems = check_args_keys(args)
    problems += check_early_stopping(data, args)
    problems += check_metric_for_best_model(data, args)
    problems += check_save_matches_eval(args)
    problems += check_evaluator_args(data)
    problems += check_objective_names_unique(data)
    problems += check_evaluation_tasks(data)
    problems += check_matryoshka_fits_model(data)
    problems += component_problems(data)
    return problems


def check_matryoshka_fits_model(config: dict[str, Any]) -> list[Problem]:
    """Matryoshka dims no larger than the base model's embedding size, when the model is on this machine.

    The size comes from the model's files (config.json hidden_size, a Dense module's out_features, ...), read
    without torch; a model that is only on the Hub is skipped here and checked by `train` after loading.
    """
    objectives = config.get("objectives") if isinstance(config.get("objectives"), list) else []
    wanted = []
    for i, obj in enumerate(objectives):
        dims = _mapping(_mapping(obj).get("matryoshka")).get("matryoshka_dims")
        ints = [d for d in dims if isinstance(d, int) and not isinstance(d, bool)] if isinstance(dims, list) else []
        if ints:
            wanted.append((i, max(ints)))
    base = _mapping(config.get("base_model"))
    name = base.get("name")
    if not wanted or not isinstance(name, str) or not name:
        return []
    from ..models import embedding_size, resolve_local

    resolution = resolve_local(name)
    if resolution is None:
        return []
    size = embedding_size(resolution.location, _mapping(base.get("args")))
    if size is None:
        return []
    width, source = size
    return [
        Problem(
            f"objectives[{i}].matryoshka.matryoshka_dims",
            f"{largest} is larger than the model's embedding size {width} (base_model `{name}`: "
            f"{source}); use dims <= {width}, e.g. [{_example_dims(width)}]",
        )
        for i, largest in wanted
        if largest > width
    ]


def _example_dims(width: int) -> str:
    dims = [d for d in (8, 16, 32, 64, 128, 256, 512, 768, 1024) if d < width][-3:] + [width]
    return ", ".join(str(d) for d in dims)


def component_problems(data: dict[str, Any]) -> list[Problem]:
    """Loss names/arguments and preprocess arguments, checked by their own (torch-free) registries."""
    from ..data.checks import preprocess_problems
    from ..losses.registry import objective_loss_problems

    problems: list[Problem] = []
    allow_custom = bool(data.get("allow_custom_code"))
    objectives = data.get("objectives") if isinstance(data.get("objectives"), list) else []
    for i, obj in enumerate(objectives):
        if not isinstance(obj, dict):
            continue
        problems += objective_loss_problems(obj, f"objectives[{i}]", allow_custom_code=allow_custom)
        datasets = _mapping(obj.get("datasets"))
        for split in ("train", "validation"):
            spec = datasets.get(split)
            if isinstance(spec, dict):
                problems += preprocess_problems(
                    obj.get("type"), _mapping(spec.get("preprocess_args")), f"objectives[{i}].datasets.{split}"
                )
    evaluator = _mapping(data.get("evaluator"))
    if isinstance(evaluator.get("dataset"), dict):
        problems += preprocess_problems(
            "retrieval", _mapping(evaluator["dataset"].get("preprocess_args")), "evaluator.dataset"
        )
    return problems
