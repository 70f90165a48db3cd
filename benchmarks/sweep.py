"""What a sweep found and what pruning saved, read from sweep run dirs (their study.db and trial dirs).

Run the sweep first (benchmarks/configs/aia_bde_sweep.yaml), optionally the same sweep without pruning, then:

    python benchmarks/sweep.py runs/aia-bde-sweep [--compare runs/aia-bde-sweep-nopruning]

Prints each trial (state, values, validation metric, test scores, CPU seconds), the best trial chosen on
validation with its test score, and the CPU time pruning saved: measured against the `--compare` sweep when given,
and estimated for each pruned trial as (its CPU seconds) x (steps of a full trial / steps it ran) - its CPU seconds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import optuna
from optuna.trial import TrialState


def load(run_dir: Path) -> optuna.Study:
    return optuna.load_study(study_name=run_dir.name, storage=f"sqlite:///{(run_dir / 'study.db').resolve()}")


def cpu(trial) -> float:
    return float(trial.user_attrs.get("cpu_s") or 0.0)


def summary(run_dir: Path) -> tuple[float, float]:
    """Print the trials; return (total CPU seconds, estimated CPU seconds saved by pruning)."""
    study = load(run_dir)
    trials = [t for t in study.trials if not t.user_attrs.get("skipped")]
    finished = [t for t in trials if t.state == TrialState.COMPLETE]
    full_steps = max((t.user_attrs.get("steps") or max(t.intermediate_values, default=0) for t in finished), default=0)
    saved = 0.0
    print(f"== {run_dir}")
    for t in trials:
        steps = max(t.intermediate_values) if t.intermediate_values else 0
        if t.state == TrialState.PRUNED and steps and full_steps:
            saved += cpu(t) * (full_steps / steps - 1)
        value = f"{t.value:.4f}" if t.value is not None else "-"
        print(
            f"trial {t.number:03d} {t.state.name:8s} {t.params} validation {value} tasks {t.user_attrs.get('tasks')} "
            f"cpu {cpu(t):.0f} s steps {t.user_attrs.get('steps', steps)}"
        )
    try:
        best = study.best_trial
        print(
            f"best (validation): trial {best.number:03d} {best.params} validation {best.value:.4f} "
            f"test {best.user_attrs.get('tasks')}"
        )
    except ValueError:
        print("no trial finished")
    total = sum(cpu(t) for t in trials)
    print(f"CPU seconds in all: {total:.0f}; pruning saved about {saved:.0f} (estimated from the pruned trials)")
    return total, saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--compare", type=Path, help="the same sweep run with `sweep.pruner: none`")
    args = parser.parse_args()
    total, _ = summary(args.run_dir)
    if args.compare:
        other, _ = summary(args.compare)
        print(f"measured: without pruning {other:.0f} CPU s, with {total:.0f} CPU s: saved {other - total:.0f}")


if __name__ == "__main__":
    main()
