"""Rules on the trainer `args`: known keys and choices, the metric they select, and the combinations users trip
over.

They read the raw mapping defensively (the typed config may be None when other keys are broken), so that every
problem of a file is reported in one go. One function per rule, named `check_<rule>`.
"""

from __future__ import annotations

from typing import Any

from ..config.schema import objective_names
from ..config.trainer_args import RESERVED_ARGS, trainer_arg_specs
from ..errors import Problem, did_you_mean
from .evaluators import IR_METRIC_ARGS, evaluator_metrics
from .values import arg_value_problem


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


def evaluator_metric_names(config: dict[str, Any]) -> set[str]:
    """Metric keys (without the trainer's `eval_` prefix) the configured evaluators and eval losses produce."""
    names = {n for *_, metrics in evaluator_metrics(config.get("evaluator")) for n in metrics}
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
    hint += _k_hint(config.get("evaluator"), bare, after_match=bool(hint))
    if isinstance(config.get("evaluator"), list):
        listed = [n for *_, metrics in evaluator_metrics(config["evaluator"], listed=True) for n in metrics]
        losses = sorted(n for n in produced if n == "loss" or n.endswith("_loss"))
        hint += (
            f"; the evaluators log: {', '.join(listed + losses)} (retrieval metrics also as dot_, euclidean_, "
            "manhattan_ when that is the model's similarity function)"
        )
    return [Problem("args.metric_for_best_model", f"`{metric}` is not produced by the configured evaluator{hint}")]


def _k_hint(evaluator: Any, bare: str, *, after_match: bool) -> str:
    """`add 5 to evaluator.args.ndcg_at_k` when `bare` is a retrieval metric at a k its evaluator does not list."""
    if "@" not in bare:
        return ""
    metric_kind, _, k = bare.rpartition("@")
    key = IR_METRIC_ARGS.get(metric_kind.rsplit("_", 1)[-1])
    retrieval = [(where, name) for where, name, kind, _ in evaluator_metrics(evaluator) if kind == "retrieval"]
    where = next((w for w, name in retrieval if name is None or bare.startswith(f"{name}_")), None)
    if not key or where is None:
        return ""
    return f", or add {k} to {where}.args.{key}" if after_match else f"; add {k} to {where}.args.{key}"


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
