"""Each objective's loss, summed over its logged components and smoothed across log events.

The trainer's `loss` averages every objective's terms together; objectives live on different scales (a ranking
loss near 10, a CoSENT loss near 40), so with several objectives that one number jumps with the batch mix and
looks like divergence. The components are logged as `loss/<objective>/<term>` (main, distillation, penalty, each
already weighted); their sum is the objective's loss.
"""

from __future__ import annotations

from typing import Any

PREFIX = "loss/"


def objective_totals(logs: dict[str, Any]) -> dict[str, float]:
    """{objective: sum of its `loss/<objective>/<term>` components} of one training log event."""
    totals: dict[str, float] = {}
    for key, value in logs.items():
        if key.startswith(PREFIX) and key.count("/") >= 2 and isinstance(value, (int, float)):
            objective = key[len(PREFIX) :].rsplit("/", 1)[0]
            totals[objective] = totals.get(objective, 0.0) + float(value)
    return totals


class SmoothedLosses:
    """An exponential moving average per objective; an objective absent from an event keeps its last value.

    Args:
        weight: the newest event's share of the average (1.0: no smoothing).
    """

    def __init__(self, weight: float = 0.3):
        self.weight = weight
        self.values: dict[str, float] = {}

    def update(self, logs: dict[str, Any]) -> dict[str, float]:
        for objective, value in objective_totals(logs).items():
            previous = self.values.get(objective)
            self.values[objective] = value if previous is None else previous + self.weight * (value - previous)
        return dict(self.values)
