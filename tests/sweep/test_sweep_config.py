"""The `sweep:` block at `embedding validate`, the metric's name, and `embedding train` ignoring the block."""

from __future__ import annotations

import pytest

from embedding.cli import main
from embedding.errors import ConfigError, UserError
from embedding.sweep.metric import metric_key
from embedding.validation import validate_mapping
from tests.sweep.helpers import sweep_config, write_sweep


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        (
            {"args.learnin_rate": {"low": 1e-5, "high": 1e-4}},
            "unknown trainer argument (did you mean `learning_rate`?)",
        ),
        ({"objectives.3.loss": ["ranking"]}, "no such key path in the config: `objectives.3`: index 3 does not exist"),
        ({"args.learning_rate": {"low": 1e-3, "high": 1e-4}}, "low 0.001 > high 0.0001; make low <= high"),
        ({"args.learning_rate": {"low": 0.0, "high": 1e-4, "log": True}}, "`log: true` needs low > 0, got low 0.0"),
        ({"args.num_train_epochs": []}, "no choices; list at least one value"),
        ({"args.num_train_epochs": {"choices": []}}, "no choices; list at least one value"),
        ({"args.learning_rate": {"low": -1e-4, "high": 1e-4}}, "the value -0.0001 does not make a valid config: "),
        ({"args.per_device_train_batch_size": {"low": 0, "high": 8}}, "expected an integer >= 1, got 0"),
        ({"objectives.0.loss": ["ranking", "rankin"]}, "the choice 'rankin' does not make a valid config"),
        ({"run_name": ["a", "b"]}, "a sweep cannot vary run_name, output_dir, sweep"),
        ({"args.learning_rate": {"low": 1e-5, "high": 1e-4}}, None),
    ],
)
def test_a_bad_space_is_reported_naming_the_parameter(tmp_path, parameters, expected):
    cfg = sweep_config("m", tmp_path, tmp_path / "out")
    cfg["sweep"]["parameters"] = parameters
    if expected is None:
        assert validate_mapping(cfg).sweep.space()["args.learning_rate"].log is False
        return
    with pytest.raises(ConfigError) as info:
        validate_mapping(cfg)
    (problem,) = info.value.problems
    assert problem.where == f"sweep.parameters.{next(iter(parameters))}" and expected in problem.message


def test_grid_needs_finite_values_and_validate_exits_2(tmp_path, tiny_bert, efaq_dir, capsys):
    cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / "out", sampler="grid")
    path = write_sweep(tmp_path / "cfg.yaml", cfg)
    assert main(["validate", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert "sweep.parameters.args.learning_rate: sampler `grid` needs a finite set of values" in err
    assert "Traceback" not in err


def test_the_metric_is_found_by_its_short_name_or_named_with_the_candidates():
    logged = {"eval_cosine_ndcg@10": 0.5, "eval_cosine_map@1": 0.2, "eval_runtime": 1.0, "epoch": 1.0}
    assert metric_key("ndcg@10", logged) == "cosine_ndcg@10"
    assert metric_key("eval_cosine_map@1", logged) == "cosine_map@1"
    with pytest.raises(UserError, match=r"`mrr@10` is none of them; the evaluator logs `cosine_map@1`, "):
        metric_key("mrr@10", logged)


def test_train_trains_a_config_with_a_sweep_block_once_and_says_so(tmp_path, tiny_bert, efaq_dir, fake_train, capsys):
    fake = fake_train()
    path = write_sweep(tmp_path / "cfg.yaml", sweep_config(tiny_bert, efaq_dir, tmp_path / "out"))
    assert main(["train", "-c", str(path)]) == 0
    assert [r["dir"] for r in fake.runs] == ["sw"] and fake.runs[0]["args"]["learning_rate"] == 1e-3
    assert "note: the `sweep:` block is ignored" in capsys.readouterr().out
    assert not (tmp_path / "out" / "sw" / "trials").exists()


def test_sweep_without_a_block_is_a_clear_error(tmp_path, tiny_bert, efaq_dir, capsys):
    cfg = sweep_config(tiny_bert, efaq_dir, tmp_path / "out")
    cfg.pop("sweep")
    assert main(["sweep", "-c", str(write_sweep(tmp_path / "cfg.yaml", cfg))]) == 2
    assert "has no `sweep:` block; add one" in capsys.readouterr().err
