"""`embedding evaluate` through the real entry point: tables, results files, sizes, errors, both forms."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from embedding.cli import main
from embedding.evaluation.results import COLUMNS


def rows_of(folder) -> list[dict]:
    return json.loads((folder / "results.json").read_text())["rows"]


def test_two_models_give_one_table_and_results_files(tiny_model, data_dir, tmp_path, capsys):
    # Given the quick form with a model and the BM25 baseline
    out = tmp_path / "out"
    argv = [
        "evaluate",
        "--model",
        str(tiny_model),
        "--model",
        "bm25",
        "--task",
        "ir",
        "--dataset",
        str(data_dir / "efaq"),
        "--output-dir",
        str(out),
    ]

    # When
    code = main(argv)

    # Then one table with a column per model, and both files with the promised columns
    printed = capsys.readouterr().out
    assert code == 0
    assert "evaluation results" in printed and "bm25" in printed and "ndcg@10" in printed
    with (out / "results.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert (
        list(table[0])
        == COLUMNS
        == ["model", "task", "dataset", "dataset_fingerprint", "split", "dim", "similarity", "metric", "value", "date"]
    )
    assert {r["model"] for r in table} == {str(tiny_model), "bm25"}
    assert {(r["model"], r["dim"], r["similarity"]) for r in table} == {
        (str(tiny_model), "32", "cosine"),
        ("bm25", "", "bm25"),
    }
    assert len(rows_of(out)) == len(table) == 2 * 15

    # When the same evaluation runs again, Then its rows are replaced, not appended
    assert main(argv) == 0
    assert "30 rows of an earlier run with the same key replaced" in capsys.readouterr().out
    assert len(rows_of(out)) == 30


def test_dimensions_give_one_row_set_per_size_and_skip_sizes_above_the_model(tiny_model, data_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "evaluate",
            "--model",
            str(tiny_model),
            "--task",
            "sts",
            "--dataset",
            str(data_dir / "pairs"),
            "--dimensions",
            "8,16,32,64",
            "--output-dir",
            str(out),
        ]
    )
    assert code == 0
    rows = rows_of(out)
    assert sorted({r["dim"] for r in rows}) == [8, 16, 32]
    for dim in (8, 16, 32):
        assert sorted(r["metric"] for r in rows if r["dim"] == dim) == ["pearson", "spearman"]
    assert "sizes [64] skipped (embedding size is 32)" in capsys.readouterr().err


def test_bm25_on_an_sts_task_is_skipped_with_a_note(tiny_model, data_dir, tmp_path, capsys):
    # Given bm25 and a real model on an sts task: bm25 is skipped with a note, the model is evaluated
    code = main(
        [
            "evaluate",
            "--model",
            "bm25",
            "--model",
            str(tiny_model),
            "--task",
            "sts",
            "--dataset",
            str(data_dir / "pairs"),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    assert "models[0] (bm25): skipped tasks[0] (sts): BM25 ranks documents" in capsys.readouterr().err
    # When bm25 is the only model, nothing at all is evaluated: that is an error, not an empty success
    code = main(
        [
            "evaluate",
            "--model",
            "bm25",
            "--task",
            "sts",
            "--dataset",
            str(data_dir / "pairs"),
            "--output-dir",
            str(tmp_path / "none"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "nothing to evaluate" in err and "BM25 ranks documents" in err
    assert not (tmp_path / "none" / "results.json").exists()


def test_quick_form_and_config_form_give_the_same_numbers(tiny_model, data_dir, tmp_path):
    # Given the same evaluation as flags and as a config file
    quick, configured = tmp_path / "quick", tmp_path / "config"
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(tiny_model),
                "--task",
                "ir",
                "--dataset",
                str(data_dir / "beir"),
                "--dimensions",
                "16,32",
                "--output-dir",
                str(quick),
            ]
        )
        == 0
    )
    config = {
        "models": [str(tiny_model)],
        "dimensions": [16, 32],
        "output_dir": str(configured),
        "tasks": [{"type": "ir", "dataset": {"name": str(data_dir / "beir")}, "split": "test"}],
    }
    (tmp_path / "eval.yaml").write_text(yaml.safe_dump(config))

    # When
    assert main(["evaluate", "--config", str(tmp_path / "eval.yaml")]) == 0

    # Then
    def values(folder):
        return {(r["dim"], r["metric"]): r["value"] for r in rows_of(folder)}

    assert values(quick) == values(configured)
    assert len(values(quick)) == 2 * 15


def test_labeled_data_as_an_ir_task(tiny_model, data_dir, tmp_path):
    assert (
        main(
            [
                "evaluate",
                "--model",
                "bm25",
                "--task",
                "ir",
                "--dataset",
                str(data_dir / "labeled"),
                "--output-dir",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    assert {r["metric"] for r in rows_of(tmp_path / "out")} >= {"ndcg@10", "mrr@10", "accuracy@1"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--task", "rank"], "tasks[0].type: must be 'ir' or 'sts', got 'rank'"),
        (["--dataset", "{missing}"], "tasks[0].dataset.name: dataset `{missing}` not found"),
        (["--split", "dev"], "tasks[0].split: split `dev` not found in {efaq}; available: test, validation"),
        (["--task", "sts"], "tasks[0].dataset: format `efaq` cannot be used for an `sts` task; use scored-pairs data"),
        (["--dimensions", "16,x"], "--dimensions '16,x': expected comma-separated integers"),
    ],
)
def test_bad_task_dataset_or_split_exits_2_naming_it(argv, message, tiny_model, data_dir, tmp_path, capsys):
    base = {
        "--model": str(tiny_model),
        "--task": "ir",
        "--dataset": str(data_dir / "efaq"),
        "--output-dir": str(tmp_path / "out"),
    }
    base.update(dict(zip(argv[::2], argv[1::2], strict=True)))
    args = ["evaluate", *[item for pair in base.items() for item in pair]]
    args = [a.replace("{missing}", str(tmp_path / "nope")) for a in args]
    assert main(args) == 2
    expected = message.format(missing=tmp_path / "nope", efaq=data_dir / "efaq")
    assert expected in capsys.readouterr().err


def test_config_problems_are_reported_together_with_their_keys(tmp_path, capsys):
    config = {
        "models": ["bm25"],
        "tasks": [
            {"type": "rank", "dataset": {"name": "x"}},
            {"type": "ir", "dataset": {"name": "x"}, "spilt": "test"},
        ],
    }
    (tmp_path / "eval.yaml").write_text(yaml.safe_dump(config))
    assert main(["evaluate", "--config", str(tmp_path / "eval.yaml")]) == 2
    err = capsys.readouterr().err
    assert "has 2 problems" in err
    assert "tasks[0].type: must be 'ir' or 'sts', got 'rank'" in err
    assert "tasks[1].spilt: unknown key `spilt` (did you mean `split`?)" in err


def test_unknown_evaluator_argument_is_refused_before_loading(tmp_path, capsys):
    config = {"models": ["bm25"], "tasks": [{"type": "ir", "dataset": {"name": "x"}, "args": {"ndcg_at": [5]}}]}
    (tmp_path / "eval.yaml").write_text(yaml.safe_dump(config))
    assert main(["evaluate", "--config", str(tmp_path / "eval.yaml")]) == 2
    assert (
        "tasks[0].args.ndcg_at: unknown InformationRetrievalEvaluator argument (did you mean `ndcg_at_k`?)"
        in capsys.readouterr().err
    )


def test_config_and_quick_flags_together_are_refused(tmp_path, capsys):
    (tmp_path / "eval.yaml").write_text("models: [bm25]\n")
    assert main(["evaluate", "--config", str(tmp_path / "eval.yaml"), "--model", "bm25"]) == 2
    assert "--model: give either --config or the quick form" in capsys.readouterr().err


def test_default_sizes_are_the_trained_matryoshka_dims_plus_full_size(tiny_model, data_dir, tmp_path):
    # Given a model folder inside a run dir whose resolved config trained dims 8 and 16
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_model, run_dir / "final")
    (run_dir / "config.resolved.yaml").write_text(
        yaml.safe_dump({"objectives": [{"type": "contrastive", "matryoshka": {"matryoshka_dims": [16, 8]}}]})
    )

    # When no --dimensions are given
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(run_dir / "final"),
                "--task",
                "sts",
                "--dataset",
                str(data_dir / "pairs"),
                "--output-dir",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )

    # Then
    assert sorted({r["dim"] for r in rows_of(tmp_path / "out")}) == [8, 16, 32]


@pytest.mark.parametrize(
    ("task", "message"),
    [
        (
            {"type": "sts", "dataset": {"name": "{pairs}", "preprocess_args": {"negative_samples": 1}}},
            "tasks[0].dataset.preprocess_args.negative_samples: not used by sts tasks",
        ),
        (
            {"type": "ir", "dataset": {"name": "{efaq}", "preprocess_args": {"negatives": 1}}},
            "tasks[0].dataset.preprocess_args.negatives: unknown preprocess argument for retrieval data",
        ),
        ({"type": "sts", "dataset": {"name": "{beir}"}}, "tasks[0].dataset: `{beir}` is a BEIR retrieval folder"),
        (
            {"type": "ir", "split": "test", "dataset": {"name": "{efaq}", "args": {"split": "validation"}}},
            "tasks[0]: dataset.args.split `validation` and split `test` disagree; set only `split`",
        ),
    ],
)
def test_task_data_problems_exit_2_naming_the_key(task, message, data_dir, tmp_path, capsys):
    paths = {k: str(data_dir / k) for k in ("pairs", "efaq", "beir")}
    task["dataset"]["name"] = task["dataset"]["name"].format(**paths)
    (tmp_path / "eval.yaml").write_text(yaml.safe_dump({"models": ["bm25"], "tasks": [task]}))
    assert main(["evaluate", "--config", str(tmp_path / "eval.yaml")]) == 2
    assert message.format(**paths) in capsys.readouterr().err
