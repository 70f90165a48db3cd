"""Several evaluators as one: sentence-transformers' SequentialEvaluator with a named main metric.

The training config's `evaluator` list runs as one of these: every evaluator's metrics (each under its own name
prefix) in one mapping, for the trainer's logs, `metric_for_best_model` and the before/after table.
"""

from __future__ import annotations

from sentence_transformers.sentence_transformer.evaluation import SequentialEvaluator

# What SequentialEvaluator adds: a copy of the last evaluator's main metric under another name.
SEQUENTIAL_SCORE = "sequential_score"


class EvaluatorSequence(SequentialEvaluator):
    """Runs `evaluators` in order; the metrics are theirs (prefixed by their names), without `sequential_score`.

    `primary_metric` (the bold row of the before/after table, the metric `fail_if_worse` watches) is `main` when
    the evaluators produce it (the config's metric_for_best_model), else the first evaluator's main metric.
    """

    def __init__(self, evaluators, main: str | None = None):
        super().__init__(evaluators)
        self.main = main

    def __call__(self, model, output_path: str | None = None, epoch: int = -1, steps: int = -1) -> dict[str, float]:
        metrics = super().__call__(model, output_path, epoch, steps)
        metrics.pop(SEQUENTIAL_SCORE, None)
        first = getattr(self.evaluators[0], "primary_metric", None) or next(iter(metrics), None)
        self.primary_metric = self.main if self.main in metrics else first
        return metrics
