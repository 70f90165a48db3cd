"""Names and paths: run_name fits the file system, `~` is expanded in the config's local paths, and `validate`
reports local data paths that do not exist, by the same rule data loading uses (Hub ids are left alone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from embedding.config.eval_schema import EvalConfig
from embedding.config.schema import NAME_MAX, RUN_NAME_MAX
from embedding.errors import ConfigError, DataError
from embedding.validation import load_config, validate_mapping
from embedding.validation.machine import missing_local_path
from tests.conftest import base_config


@pytest.fixture
def home(monkeypatch, tmp_path):
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def cfg(tmp_path, data):
    return base_config("some/model", data, tmp_path / "out")


def problems_of(data, *, check_paths=False) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_mapping(data, check_paths=check_paths)
    return [str(p) for p in info.value.problems]


# ------------------------------------------------------------------------------------------------------ run_name


def test_run_name_with_a_nul_byte_is_refused(cfg):
    cfg["run_name"] = "run\0name"
    assert problems_of(cfg) == [
        "run_name: 'run\\x00name' contains a NUL byte (\\0), which no file name can hold; remove it"
    ]


def test_run_name_length_counts_utf8_bytes_and_leaves_room_for_overwrite(cfg, tmp_path):
    cfg["run_name"] = "é" * (RUN_NAME_MAX // 2 + 1)  # 2 bytes each: one over the limit
    (problem,) = problems_of(cfg)
    assert problem.startswith(f"run_name: is {RUN_NAME_MAX + 1} bytes long (UTF-8)")
    assert f"use a run_name of at most {RUN_NAME_MAX} bytes" in problem
    # The longest accepted name still fits once --overwrite renames the run dir aside; one byte more does not.
    cfg["run_name"] = "r" * RUN_NAME_MAX
    name = validate_mapping(cfg).run_name
    (tmp_path / f"{name}.old-20250101-120000").mkdir()
    assert len(f"{name}.old-20250101-120000") == NAME_MAX
    with pytest.raises(OSError):
        (tmp_path / f"{name}r.old-20250101-120000").mkdir()


def test_output_dir_with_a_nul_byte_is_refused(cfg):
    cfg["output_dir"] = "runs\0"
    assert problems_of(cfg)[0].startswith("output_dir: 'runs\\x00' contains a NUL byte")


# ------------------------------------------------------------------------------------------------- ~ expansion


def test_home_is_expanded_in_output_dir_and_model_names(cfg, home):
    cfg["output_dir"] = "~/runs"
    cfg["base_model"]["name"] = "~/models/student"
    cfg["objectives"][0]["distillation"] = {"alpha": 1.0, "teacher": {"name": "~/models/teacher"}}
    config = validate_mapping(cfg)
    assert config.output_dir == str(home / "runs")
    assert config.base_model.name == str(home / "models" / "student")
    assert config.objectives[0].distillation.teacher.name == str(home / "models" / "teacher")
    # what the run writes to config.resolved.yaml (training/resume.py dumps the typed config)
    assert config.model_dump(mode="json")["output_dir"] == str(home / "runs")


def test_hub_ids_and_plain_paths_are_kept_as_written(cfg, home):
    cfg["output_dir"] = "runs/~x"
    config = validate_mapping(cfg)
    assert (config.output_dir, config.base_model.name) == ("runs/~x", "some/model")


def test_evaluation_output_dir_is_expanded(home):
    config = EvalConfig.model_validate(
        {"models": ["bm25"], "tasks": [{"type": "ir", "dataset": {"name": "d"}}], "output_dir": "~/eval"}
    )
    assert config.output_dir == str(home / "eval")


# ----------------------------------------------------------------------------------------- local data paths


@pytest.mark.parametrize(
    ("name", "local"),
    [
        ("./faq", True),
        ("../faq", True),
        ("faq/train.jsonl", True),
        ("train.jsonl", True),
        ("data/faq/train", True),
        ("~/no-such-data", True),
        ("org/name", False),
        ("name", False),
        ("json", False),
        ("hf://datasets/org/name", False),
    ],
)
def test_missing_local_path_follows_the_loaders_rule(name, local, home, tmp_path, monkeypatch):
    """The same names data loading reports as "no local file or folder" (data/sources.py), without the Hub."""
    from embedding.data import sources

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "empty-datasets-cache"))
    assert (missing_local_path(name) is not None) == local
    loader_says_local = False
    try:
        sources._check_findable(name, {}, "x")
    except DataError as exc:
        loader_says_local = "there is no local file or folder" in str(exc)
    assert loader_says_local == local


def write_config(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_validate_reports_every_missing_local_dataset(cfg, tmp_path, data):
    (data / "train.jsonl").write_text("{}\n")
    cfg["objectives"][0]["datasets"]["train"]["name"] = str(data / "trian.jsonl")
    cfg["objectives"][1]["datasets"]["train"]["name"] = str(tmp_path / "nowhere")
    cfg["evaluator"]["dataset"]["name"] = "./no/such/folder"
    cfg["evaluation"] = {"tasks": [{"type": "ir", "dataset": {"name": str(tmp_path / "beir")}}]}
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path / "cfg.yaml", cfg))
    problems = {p.where: p.message for p in info.value.problems}
    assert set(problems) == {
        "objectives[0].datasets.train.name",
        "objectives[1].datasets.train.name",
        "evaluator.dataset.name",
        "evaluation.tasks[0].dataset.name",
    }
    assert problems["objectives[0].datasets.train.name"].startswith(
        f"dataset `{data / 'trian.jsonl'}` not found: there is no local file or folder {data / 'trian.jsonl'} "
        "(did you mean `train.jsonl`?); give a local path"
    )
    assert str(Path.cwd() / "no" / "such" / "folder") in problems["evaluator.dataset.name"]


def test_hub_ids_existing_paths_and_home_pass(cfg, tmp_path, home):
    (home / "faq").mkdir()
    cfg["objectives"][0]["datasets"]["train"]["name"] = "~/faq"
    cfg["objectives"][1]["datasets"]["train"]["name"] = "some-org/some-dataset"
    load_config(write_config(tmp_path / "cfg.yaml", cfg))


def test_a_mapping_built_in_code_is_not_checked_against_the_disk(cfg, tmp_path):
    cfg["objectives"][0]["datasets"]["train"]["name"] = str(tmp_path / "written-later")
    validate_mapping(cfg)
    assert problems_of(cfg, check_paths=True)[0].startswith("objectives[0].datasets.train.name: dataset")


def test_data_files_are_checked_for_file_builders_and_local_folders(cfg, tmp_path, data, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (data / "train.jsonl").write_text("{}\n")
    train = cfg["objectives"][0]["datasets"]["train"]
    train.update(name="json", args={"split": "train", "data_files": {"train": "data/train.jsonl", "test": "x.jsonl"}})
    cfg["objectives"][1]["datasets"]["train"]["args"]["data_files"] = ["train.jsonl", "tarin.jsonl", "*.jsonl"]
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path / "cfg.yaml", cfg))
    assert [str(p) for p in info.value.problems] == [
        f"objectives[0].datasets.train.args.data_files.test: `x.jsonl` not found: there is no file "
        f"{tmp_path / 'x.jsonl'}; fix the path",
        f"objectives[1].datasets.train.args.data_files[1]: `tarin.jsonl` not found: there is no file "
        f"{data / 'tarin.jsonl'} (did you mean `train.jsonl`?); fix the path",
    ]


def test_data_files_of_a_hub_dataset_are_left_to_the_hub(cfg, tmp_path):
    train = cfg["objectives"][0]["datasets"]["train"]
    train.update(name="org/name", args={"split": "train", "data_files": "en/train-00000.parquet"})
    load_config(write_config(tmp_path / "cfg.yaml", cfg))


def test_home_of_an_unknown_user_is_reported_not_raised(cfg, tmp_path):
    cfg["objectives"][0]["datasets"]["train"]["name"] = "~no-such-user-here/faq"
    cfg["objectives"][1]["datasets"]["train"]["args"]["data_files"] = "~no-such-user-here/train.jsonl"
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path / "cfg.yaml", cfg))
    assert [p.where for p in info.value.problems] == [
        "objectives[0].datasets.train.name",
        "objectives[1].datasets.train.args.data_files",
    ]


def test_a_name_no_file_system_can_hold_is_reported_not_raised(cfg, tmp_path):
    name = "./" + "x" * (os.pathconf("/", "PC_NAME_MAX") + 1)
    cfg["objectives"][0]["datasets"]["train"]["name"] = name
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path / "cfg.yaml", cfg))
    assert [p.where for p in info.value.problems] == ["objectives[0].datasets.train.name"]
