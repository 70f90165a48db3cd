"""8: a damaged data file (a corrupt JSON line mid-stream, a cut-short .gz, a line that is an array) is named with
its line, exit 2; the run's checkpoints are kept and `--resume` works once the file is put back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from embedding.cli import main
from embedding.config.schema import TrainDatasetSpec
from embedding.data import streaming
from embedding.data.sources import load_split, stream_parts
from embedding.data.stream_rows import streamed_rows
from embedding.errors import DataError
from tests.conftest import EFAQ_ROWS, base_config, write_jsonl


def two_shards(folder: Path) -> Path:
    write_jsonl(folder / "train-00000-of-00002.jsonl", EFAQ_ROWS)
    write_jsonl(folder / "train-00001-of-00002.jsonl", EFAQ_ROWS)
    return folder / "train-00001-of-00002.jsonl"


def stream(folder: Path):
    spec = TrainDatasetSpec(name=str(folder), args={"split": "train"}, streaming=True)
    data = streamed_rows(stream_parts(spec, "w"), "contrastive", {}, seed=1, where="w")
    return list(data.dataset)


def load(folder: Path):
    return load_split(TrainDatasetSpec(name=str(folder), args={"split": "train"}), "w")


def cut_line(path: Path, number: int) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = lines[number - 1][:15]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(streaming, "BATCH_ROWS", 2)  # the bad line sits in a later batch than the first


def test_a_corrupt_line_in_the_middle_of_a_stream_is_named(tmp_path):
    shard = two_shards(tmp_path / "data")
    cut_line(shard, 3)
    with pytest.raises(DataError, match=rf"streamed data file {shard}: line 3: invalid JSON .*--resume"):
        stream(tmp_path / "data")


def test_a_cut_short_gz_shard_is_named_streamed_and_in_memory(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    packed = gzip.compress("".join(json.dumps(r) + "\n" for r in EFAQ_ROWS * 40).encode())
    (folder / "train.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match=r"train.jsonl.gz: the compressed file is cut short .* after line \d+"):
        stream(folder)
    with pytest.raises(DataError, match=r"train.jsonl.gz the compressed file is cut short .* after line \d+"):
        load(folder)


@pytest.mark.parametrize("first", [True, False], ids=["only-line", "second-line"])
def test_a_jsonl_line_that_is_an_array_is_named_with_its_line(tmp_path, first):
    folder = tmp_path / "data"
    folder.mkdir()
    rows = [] if first else [json.dumps(EFAQ_ROWS[0])]
    (folder / "train.jsonl").write_text("\n".join([*rows, '["como pedir", "cartao"]']) + "\n")
    line = 1 if first else 2
    with pytest.raises(DataError, match=rf"train.jsonl:? line {line}: an array where a JSON object is expected"):
        load(folder)


@pytest.mark.slow
def test_a_stream_damaged_before_a_resume_keeps_the_checkpoint_and_resumes_once_fixed(
    tmp_path, tiny_bert, efaq_dir, capsys
):
    data = tmp_path / "data"
    shard = two_shards(data)
    cfg = base_config(tiny_bert, data, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["objectives"][0]["datasets"]["train"]["streaming"] = True
    cfg["args"] = {"max_steps": 2, "per_device_train_batch_size": 4, "save_strategy": "steps", "save_steps": 2}
    cfg["args"] |= {"report_to": "none", "seed": 3}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["train", "-c", str(path)]) == 0
    run_dir = tmp_path / "out" / "test-run"
    good = shard.read_bytes()
    cut_line(shard, 3)
    capsys.readouterr()

    longer = ["--set", "args.max_steps=4", "--resume"]
    assert main(["train", "-c", str(path), *longer]) == 2
    err = capsys.readouterr().err
    assert f"streamed data file {shard}: line 3: invalid JSON" in err and "Traceback" not in err, err
    assert (run_dir / "checkpoint-2").is_dir() and (run_dir / "final").is_dir()

    shard.write_bytes(good)  # put back as it was (a new mtime, the same bytes)
    assert main(["train", "-c", str(path), *longer]) == 0
    assert (run_dir / "checkpoint-4").is_dir()
