"""A sweep with real training (tiny BERT): trial dirs, a NaN trial recorded as failed, best.yaml retrains the
best trial's weights bit for bit on CPU."""

from __future__ import annotations

import json

import optuna
import pytest
import torch
import yaml
from optuna.trial import TrialState

from embedding.cli import main
from tests.sweep.helpers import sweep_config, write_sweep
from tests.training.runs import weights

pytestmark = pytest.mark.slow  # five tiny trainings


def test_real_trials_choose_on_validation_and_best_yaml_retrains_the_same_weights(
    tmp_path, tiny_bert, efaq_dir, capsys
):
    cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / "out", sampler="grid", trials=4, keep="all")
    cfg["sweep"]["parameters"] = {"args.learning_rate": [1e-2, 1e308, 3e-4, 3e-3]}  # 1e308: a NaN stop
    cfg["evaluation"] = {"tasks": [{"type": "ir", "dataset": {"name": str(efaq_dir)}, "split": "test"}]}
    path = write_sweep(tmp_path / "cfg.yaml", cfg)
    assert main(["sweep", "-c", str(path)]) == 0
    run_dir = tmp_path / "out" / "sw"
    assert sorted(p.name for p in (run_dir / "trials").iterdir()) == ["000", "001", "002", "003"]
    study = optuna.load_study(study_name="sw", storage=f"sqlite:///{run_dir / 'study.db'}")
    (failed,) = [t for t in study.trials if t.state == TrialState.FAIL]
    assert failed.params["args.learning_rate"] == 1e308 and "is not finite" in failed.user_attrs["error"]
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(done) == 3 and all(t.user_attrs["tasks"] for t in done)  # test scores reported for each
    validation = {}
    for trial in done:  # the value is the trial's own validation score, as its run dir records it
        stored = json.loads((run_dir / "trials" / trial.user_attrs["dir"] / "evaluation.json").read_text())
        validation[trial.number] = stored["after"]["cosine_ndcg@10"]
        assert trial.value == pytest.approx(validation[trial.number])
    assert study.best_trial.value == max(validation.values())

    best = yaml.safe_load((run_dir / "best.yaml").read_text())
    assert best["args"]["learning_rate"] == study.best_trial.params["args.learning_rate"] and "sweep" not in best
    assert main(["train", "-c", str(run_dir / "best.yaml")]) == 0
    again, kept = weights(tmp_path / "out" / "sw-best" / "final"), weights(run_dir / "best")
    assert again.keys() == kept.keys() and all(torch.equal(again[k], kept[k]) for k in kept)
