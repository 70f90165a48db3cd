"""A stand-in for `training.run.train` in the fast sweep tests: a run dir like a real run's, evaluations from a
formula of the trial's values, in milliseconds. The real training is covered by test_sweep_real.py (slow)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import yaml

from embedding.evaluation.results import ResultRow
from embedding.training.rundir.result import RunResult


def validation_score(config) -> float:
    """Larger learning rate, better validation score (and worse test score: the test must never choose)."""
    return round(0.5 + 100 * config.args["learning_rate"], 6)


class FakeTrain:
    def __init__(self, score=validation_score, fail=None, hang=None):
        self.score, self.fail, self.hang = score, fail, hang
        self.runs: list[dict] = []  # one per call: dir, values, evaluation steps seen, how it ended

    def __call__(self, config, *, resume=None, overwrite=False, config_path=None, overrides=None, callbacks=()):
        run_dir = Path(config.output_dir) / config.run_name
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.resolved.yaml").write_text(yaml.safe_dump(config.model_dump(mode="json")))
        record = {"dir": config.run_name, "args": dict(config.args), "steps": [], "resume": resume, "end": "started"}
        self.runs.append(record)
        if self.hang and self.hang(config, record):
            (run_dir / "hanging").write_text("")
            time.sleep(600)
        if self.fail:
            self.fail(config)
        value = self.score(config)
        for step in (2, 4):
            record["steps"].append(step)
            state = SimpleNamespace(global_step=step, max_steps=4)
            for callback in callbacks or ():
                callback.on_evaluate(None, state, None, metrics={"eval_cosine_ndcg@10": value, "epoch": 1.0})
        (run_dir / "final").mkdir(exist_ok=True)
        (run_dir / "final" / "model.safetensors").write_text(json.dumps(config.args))
        record["end"] = "finished"
        test = ResultRow("after", "ir", "/data/efaq", "f", "test", 32, "cosine", "ndcg@10", 1 - value, "now")
        return RunResult(
            run_dir=run_dir,
            model_dir=run_dir / "final",
            after={"cosine_ndcg@10": value},
            main_metric="cosine_ndcg@10",
            train_metrics={"global_step": 4},
            task_rows=[test],
        )
