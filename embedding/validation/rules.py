"""Rules on the trainer `args` and the evaluator: known keys and choices, and the combinations users trip over.

They read the raw mapping defensively (the typed config may be None when other keys are broken), so that every
problem of a file is reported in one go. One function per rule, named `check_<rule>`.
"""

from __future__ import annotations

from typing import Any

from ..config.schema import objective_names
from ..config.trainer_args import IR_DEFAULTS, RESERVED_ARGS, SCORE_FUNCTIONS, ir_evaluator_args, trainer_arg_specs
from ..errors import Problem, did_you_mean
from .values import arg_value_problem

# Metric family in a metric name -> the evaluator argument that lists its k values.
METRIC_ARGS = {
    "accuracy": "accuracy_at_k",
    "precision": "precision_recall_at_k",
    "recall": "precision_recall_at_k",
    "mrr": "mrr_at_k",
    "ndcg": "ndcg_at_k",
    "map": "map_at_k",
}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def check_args_keys(args: dict[str, Any]) -> list[Problem]:
    """Known keys, not managed by the run, each value of its type, among its choices and in its range."""
    known = trainer_arg_specs()
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
        elif (text := arg_value_problem(key, value)) is not None:
            problems.append(Problem(where, text))
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
    for obj, name in zip(objectives, objective_names(objectives), strict=True):
        if _mapping(_mapping(obj).get("datasets")).get("validation"):
            has_validation = True
            names.add(f"{name}_loss")
    if has_validation:
        names.add("loss")
    return names


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
    metric_kind, _, k = bare.rpartition("@")
    key = METRIC_ARGS.get(metric_kind.rsplit("_", 1)[-1]) if "@" in bare else None
    if key:
        hint += f", or add {k} to evaluator.args.{key}" if hint else f"; add {k} to evaluator.args.{key}"
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
