"""The sweep's machinery on a stand-in trainer (fast): trial dirs, choosing on validation, grid, pruning, faults."""

from __future__ import annotations

import statistics

import optuna
import yaml

from embedding.cli import main
from embedding.errors import TrainingFault
from tests.sweep.helpers import sweep_config, write_sweep


def load_study(run_dir):
    return optuna.load_study(study_name=run_dir.name, storage=f"sqlite:///{run_dir / 'study.db'}")


def test_four_trials_four_run_dirs_and_the_best_on_validation(tmp_path, tiny_bert, efaq_dir, fake_train, capsys):
    fake = fake_train(plots=True)
    path = write_sweep(tmp_path / "cfg.yaml", sweep_config(tiny_bert, efaq_dir, tmp_path / "out"))
    assert main(["sweep", "-c", str(path)]) == 0
    run_dir = tmp_path / "out" / "sw"
    assert sorted(p.name for p in (run_dir / "trials").iterdir()) == ["000", "001", "002", "003"]
    for trial in (run_dir / "trials").iterdir():  # a normal run's config: re-runnable with `embedding train`
        resolved = yaml.safe_load((trial / "config.resolved.yaml").read_text())
        assert resolved["run_name"] == trial.name and resolved["output_dir"] == str(run_dir / "trials")
    rates = [r["args"]["learning_rate"] for r in fake.runs]
    assert len(set(rates)) == 4 and all(1e-4 <= r <= 1e-2 for r in rates)
    best_rate = max(rates)  # the best validation score; the test score (1 - value) would pick the smallest
    best = yaml.safe_load((run_dir / "best.yaml").read_text())
    assert best["args"]["learning_rate"] == best_rate and "sweep" not in best and best["run_name"] == "sw-best"
    assert yaml.safe_load((run_dir / "best" / "model.safetensors").read_text())["learning_rate"] == best_rate
    # keep: 1 (default): only the best trial keeps its model
    assert [p.parent.name for p in sorted((run_dir / "trials").glob("*/final"))] == [
        next(r["dir"] for r in fake.runs if r["args"]["learning_rate"] == best_rate)
    ]
    report = (run_dir / "sweep.md").read_text()
    assert "| trial | state | `args.learning_rate` | validation | ir efaq/test ndcg@10 (test) |" in report
    assert report.count("| finished |") == 4
    best_dir = next(r["dir"] for r in fake.runs if r["args"]["learning_rate"] == best_rate)
    assert f"| {best_dir} **best** | finished |" in report
    assert (run_dir / "sweep_history.png").is_file() and (run_dir / "sweep_params.png").is_file()
    out = capsys.readouterr().out
    assert out.count("finished | args.learning_rate=") == 4 and "best trial" in out


def test_grid_over_two_by_two_gives_exactly_those_four_configs(tmp_path, tiny_bert, efaq_dir, fake_train):
    fake = fake_train()
    cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / "out", sampler="grid", trials=4)
    cfg["sweep"]["parameters"] = {"args.learning_rate": [1e-3, 1e-4], "args.per_device_train_batch_size": [2, 4]}
    assert main(["sweep", "-c", str(write_sweep(tmp_path / "cfg.yaml", cfg))]) == 0
    seen = sorted((r["args"]["learning_rate"], r["args"]["per_device_train_batch_size"]) for r in fake.runs)
    assert seen == [(1e-4, 2), (1e-4, 4), (1e-3, 2), (1e-3, 4)]


def test_seeded_sampler_suggests_the_same_configs_again(tmp_path, tiny_bert, efaq_dir, fake_train):
    rates = []
    for name in ("a", "b"):
        fake = fake_train()
        cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / name, sampler="tpe", seed=3, trials=3)
        assert main(["sweep", "-c", str(write_sweep(tmp_path / f"{name}.yaml", cfg))]) == 0
        rates.append([r["args"]["learning_rate"] for r in fake.runs])
    assert rates[0] == rates[1] and len(set(rates[0])) == 3


def test_pruning_stops_the_trial_whose_intermediate_value_is_worst(tmp_path, tiny_bert, efaq_dir, fake_train):
    fake = fake_train()
    cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / "out", sampler="grid", trials=3, pruner="median")
    cfg["sweep"]["pruner_args"] = {"n_startup_trials": 1}
    cfg["sweep"]["parameters"] = {"args.learning_rate": [1e-3, 5e-3, 1e-4]}
    assert main(["sweep", "-c", str(write_sweep(tmp_path / "cfg.yaml", cfg))]) == 0
    study = load_study(tmp_path / "out" / "sw")
    states = {t.params["args.learning_rate"]: t.state for t in study.trials}
    seen = []  # the step-2 values of the trials finished before, as Optuna's median pruner compares them
    for run in fake.runs:
        value = 0.5 + 100 * run["args"]["learning_rate"]
        if seen and value < statistics.median(seen):  # worse than the median at step 2: stopped there, at once
            assert states[run["args"]["learning_rate"]] == optuna.trial.TrialState.PRUNED and run["steps"] == [2]
            trial_dir = tmp_path / "out" / "sw" / "trials" / run["dir"]
            assert '"event": "pruned"' in (trial_dir / "logs.jsonl").read_text()  # its run dir keeps its state
        else:
            assert states[run["args"]["learning_rate"]] == optuna.trial.TrialState.COMPLETE
            assert run["steps"] == [2, 4]
            seen.append(value)
    assert list(states.values()).count(optuna.trial.TrialState.PRUNED) == 1


def test_a_failing_trial_is_recorded_with_its_message_and_the_sweep_goes_on(
    tmp_path, tiny_bert, efaq_dir, fake_train, capsys
):
    def nan_at_huge_rates(config):
        if config.args["learning_rate"] > 1:
            raise TrainingFault("step 1: the loss is not finite; training stopped.")

    fake_train(fail=nan_at_huge_rates)
    cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / "out", sampler="grid", trials=3)
    cfg["sweep"]["parameters"] = {"args.learning_rate": [1e-3, 1e30, 1e-4]}
    assert main(["sweep", "-c", str(write_sweep(tmp_path / "cfg.yaml", cfg))]) == 0
    study = load_study(tmp_path / "out" / "sw")
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert [t.params["args.learning_rate"] for t in failed] == [1e30]
    assert "the loss is not finite" in failed[0].user_attrs["error"]
    assert sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) == 2
    assert (
        "failed | args.learning_rate=1e+30 | TrainingFault: step 1: the loss is not finite" in capsys.readouterr().out
    )
    assert "| failed |" in (tmp_path / "out" / "sw" / "sweep.md").read_text()


def test_a_value_the_schema_refuses_only_in_combination_fails_that_trial(tmp_path, tiny_bert, efaq_dir, fake_train):
    fake_train()
    cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / "out", sampler="grid", trials=2)
    # eval_steps 3 with save_steps 2 breaks load_best_model_at_end's rule: not visible from one bound alone
    cfg["args"].update(load_best_model_at_end=True, metric_for_best_model="cosine_ndcg@10")
    cfg["sweep"]["parameters"] = {"args.eval_steps": [2, 3]}
    assert main(["sweep", "-c", str(write_sweep(tmp_path / "cfg.yaml", cfg))]) in (0, 2)


def test_a_trial_at_its_last_step_finishes_however_it_compares(tmp_path):
    """Worse than the median at a middle step: pruned. Worse at its last step: finished, its result kept."""
    from types import SimpleNamespace

    import pytest

    from embedding.sweep.trial import ReportToPruner

    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=1))
    first = study.ask()
    for step in (2, 4):
        first.report(0.9, step)
    study.tell(first, 0.9)

    def evaluate(step: int) -> None:
        callback = ReportToPruner(study.ask(), "cosine_ndcg@10", tmp_path)
        callback.on_evaluate(None, SimpleNamespace(global_step=step, max_steps=4), None, {"eval_cosine_ndcg@10": 0.1})

    with pytest.raises(optuna.TrialPruned):
        evaluate(2)
    evaluate(4)  # the same value at the trial's last step: no TrialPruned
