"""`evaluation.tasks` after training (and on each merge candidate) with every process encoding a share.

Rank 0 runs the evaluation as `embedding evaluate` does (check, load every task, then each model on each task);
for each model it loads, the other processes load the same model by the same spec and serve their share of its
encode calls (sentence-transformers' `distributed_evaluation`, as for the before/after evaluation), so the metrics
equal a 1-process evaluation's up to float rounding. Every process gets the result rows.
"""

from __future__ import annotations

from collections.abc import Callable

from ...config.eval_schema import EvalConfig
from ...evaluation.results import ResultRow
from .coordination import is_distributed, is_main
from .served_models import follow, lead, shared


def _sharing(model):
    from sentence_transformers.util.distributed import distributed_evaluation

    return distributed_evaluation(model)


def _evaluate(make_config: Callable[[], EvalConfig], log: Callable[[str], None]) -> list[ResultRow]:
    """Rank 0: `run_evaluation`, each model's encoding shared while it is evaluated."""
    from ...evaluation.run import run_evaluation

    def around_model(model, spec, where):
        return shared(model, spec, where, _sharing)

    return run_evaluation(make_config(), log=log, around_model=around_model).rows


def evaluate_tasks_on_every_rank(make_config: Callable[[], EvalConfig], log: Callable[[str], None]) -> list[ResultRow]:
    """The rows of the evaluation `make_config()` describes (called on rank 0 only), on every process."""
    if not is_distributed():
        from ...evaluation.run import run_evaluation

        return run_evaluation(make_config(), log=log).rows
    if not is_main():
        return follow(_sharing, "the evaluation tasks")
    return lead(_evaluate, make_config, log)
