"""`datasets.train.streaming: true`: what a stream of rows can and cannot do, said by `validate` before any data.

A stream has no length known ahead and no random access: the run needs `args.max_steps`, and everything that
picks rows by index (batch samplers, one_per_group, mining, distillation targets, a row filter counted up front)
or mixes several objectives' datasets (sentence-transformers takes an iterable dataset alone) is refused.
Length grouping needs no setting: a stream has no sampler of ours, so batches come as the stream's shuffle gives.
"""

from __future__ import annotations

from typing import Any

from ..errors import Problem

# Per objective: preprocess_args / objective keys a stream cannot honour -> why.
_ARGS = {"mine_hard_negatives": "mining embeds the whole corpus at once"}
_OBJECTIVE = {"distillation": "teacher targets are computed for every row before training"}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def check_streaming(config: dict[str, Any]) -> list[Problem]:
    objectives = config.get("objectives") if isinstance(config.get("objectives"), list) else []
    streamed = [i for i, o in enumerate(objectives) if _train(o).get("streaming") is True]
    if not streamed:
        return []
    args = _mapping(config.get("args"))
    problems = []
    for i in streamed:
        where = f"objectives[{i}].datasets.train.streaming"
        problems += _run_problems(where, args, len(objectives))
        problems += _objective_problems(where, _mapping(objectives[i]), args)
    return problems


def _train(objective: Any) -> dict[str, Any]:
    return _mapping(_mapping(_mapping(objective).get("datasets")).get("train"))


def _run_problems(where: str, args: dict[str, Any], objectives: int) -> list[Problem]:
    problems = []
    steps = args.get("max_steps")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps <= 0:
        problems.append(
            Problem(
                where,
                "a stream has no length known ahead, so the run needs a number of steps: set args.max_steps "
                "(e.g. max_steps: 1000); num_train_epochs cannot apply",
            )
        )
    if objectives > 1:
        problems.append(
            Problem(
                where,
                f"streamed rows train one objective alone ({objectives} configured): sentence-transformers "
                "cannot mix a stream with other datasets; keep one objective or set streaming: false",
            )
        )
    return problems


def _objective_problems(where: str, objective: dict[str, Any], args: dict[str, Any]) -> list[Problem]:
    problems = []
    sampler = objective.get("batch_sampler") or args.get("batch_sampler")
    if sampler not in (None, "batch_sampler"):
        problems.append(
            Problem(
                where,
                f"batch_sampler `{sampler}` picks rows by index, a stream is read in order: remove batch_sampler "
                "(rows come in the stream's seeded shuffle; duplicates in a batch are not prevented)",
            )
        )
    train = _train(objective)
    if train.get("filter"):
        problems.append(Problem(where, "a row `filter` is not applied to streamed data: remove `filter`"))
    for key, why in _ARGS.items():
        if _mapping(train.get("preprocess_args")).get(key) is not None:
            problems.append(Problem(where, f"preprocess_args.{key} cannot apply to a stream ({why}); remove it"))
    for key, why in _OBJECTIVE.items():
        if objective.get(key) is not None:
            problems.append(Problem(where, f"`{key}` cannot apply to a stream ({why}); remove it"))
    return problems
