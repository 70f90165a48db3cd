"""What a sweep found and what pruning saved, read from sweep run dirs (their study.db and trial dirs).

Run the sweep first (benchmarks/configs/aia_bde_sweep.yaml), optionally the same sweep without pruning, then:

    python benchmarks/sweep.py runs/aia-bde-sweep [--compare runs/aia-bde-sweep-nopruning] [--replay runs/replayed]

Prints each trial (state, values, validation metric, test scores, CPU seconds), the best trial chosen on
validation with its test score, and the CPU time pruning saved:
- `--replay DIR` measures it on the same trials: each pruned trial is trained to its end from its own
  config.resolved.yaml (a normal run in DIR/NNN, timed as the sweep times a trial), so the saving is (CPU seconds of
  the replayed runs) - (CPU seconds the pruned trials spent). A trial pruned at its last step had trained every
  step: it is not replayed and counts as nothing saved. It also shows what pruning cut: each replayed trial's final
  validation metric and test scores beside the best trial's. Replays already in DIR/replayed.json are kept.
- `--compare DIR` measures it against a whole second sweep run with `sweep.pruner: none` (its own TPE sequence).
- Without either, it is estimated for each pruned trial as (its CPU seconds) x (its planned steps / steps it ran).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import optuna
from optuna.trial import TrialState


def load(run_dir: Path) -> optuna.Study:
    return optuna.load_study(study_name=run_dir.name, storage=f"sqlite:///{(run_dir / 'study.db').resolve()}")


EPOCHS = "args.num_train_epochs"  # a trial's planned length, when the sweep searches it


def cpu(trial) -> float:
    return float(trial.user_attrs.get("cpu_s") or 0.0)


def steps_run(trial) -> int:
    return max(trial.intermediate_values) if trial.intermediate_values else 0


def planned_steps(study: optuna.Study):
    """trial -> the steps it would have trained unpruned (steps per epoch, from the finished trials, x its epochs)."""
    finished = [t for t in study.trials if t.state == TrialState.COMPLETE and "steps" in t.user_attrs]
    per_epoch = min((t.user_attrs["steps"] / t.params.get(EPOCHS, 1) for t in finished), default=0)
    return lambda trial: round(per_epoch * trial.params.get(EPOCHS, 1))


def summary(run_dir: Path) -> tuple[float, float]:
    """Print the trials; return (total CPU seconds, estimated CPU seconds saved by pruning)."""
    study = load(run_dir)
    trials = [t for t in study.trials if not t.user_attrs.get("skipped")]
    planned, saved = planned_steps(study), 0.0
    print(f"== {run_dir}")
    for t in trials:
        steps = steps_run(t)
        if t.state == TrialState.PRUNED and steps and planned(t):
            saved += cpu(t) * (planned(t) / steps - 1)
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


def replay(run_dir: Path, out: Path) -> None:
    """Train each pruned trial to its end; print the CPU time pruning saved on those trials, measured."""
    import yaml

    from embedding.sweep.metric import metric_key, task_scores
    from embedding.training.run import train
    from embedding.validation import validate_mapping

    study, record = load(run_dir), out / "replayed.json"
    done = json.loads(record.read_text()) if record.exists() else {}
    chosen = [t.user_attrs["metric"] for t in study.trials if "metric" in t.user_attrs]  # the key the sweep chose on
    if not chosen:
        raise SystemExit(
            f"{run_dir}: no trial finished, so there is nothing to compare a replay with; run the sweep on"
        )
    metric = chosen[0]
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED and not t.user_attrs.get("skipped")]
    planned = planned_steps(study)
    for t in pruned:
        name = f"{t.number:03d}"
        if name in done:
            continue
        if planned(t) and steps_run(t) >= planned(
            t
        ):  # pruned at its last evaluation: it trained every step, nothing to replay
            done[name] = {"params": t.params, "pruned_cpu_s": cpu(t), "cpu_s": cpu(t), "at_last_step": True}
            continue
        data = yaml.safe_load((run_dir / "trials" / t.user_attrs["dir"] / "config.resolved.yaml").read_text())
        config = validate_mapping({**data, "output_dir": str(out), "run_name": name}, check_paths=True)
        started, cpu_start = time.time(), time.process_time()
        result = train(config, overwrite=True)
        key = metric_key(metric, result.after)
        done[name] = {
            "params": t.params,
            "pruned_cpu_s": cpu(t),
            "cpu_s": round(time.process_time() - cpu_start, 2),
            "wall_s": round(time.time() - started, 2),
            "validation": float(result.after[key]),
            "tasks": task_scores(result.task_rows),
        }
        out.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(done, indent=1))
    print(f"== pruned trials of {run_dir}, each trained to its end in {out}")
    for name, row in sorted(done.items()):
        if row.get("at_last_step"):
            print(f"trial {name} {row['params']} pruned at its last step: trained in full, nothing saved")
            continue
        print(
            f"trial {name} {row['params']} validation {row['validation']:.4f} tasks {row['tasks']} "
            f"cpu {row['cpu_s']:.0f} s (pruned: {row['pruned_cpu_s']:.0f} s)"
        )
    full, spent = sum(r["cpu_s"] for r in done.values()), sum(r["pruned_cpu_s"] for r in done.values())
    print(
        f"measured on {len(done)} pruned trials: {full:.0f} CPU s trained to the end, {spent:.0f} CPU s pruned: "
        f"pruning saved {full - spent:.0f} CPU s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--compare", type=Path, help="the same sweep run with `sweep.pruner: none`")
    parser.add_argument("--replay", type=Path, help="train each pruned trial to its end in this folder")
    args = parser.parse_args()
    total, _ = summary(args.run_dir)
    if args.replay:
        replay(args.run_dir, args.replay)
    if args.compare:
        other, _ = summary(args.compare)
        print(f"measured: without pruning {other:.0f} CPU s, with {total:.0f} CPU s: saved {other - total:.0f}")


if __name__ == "__main__":
    main()
