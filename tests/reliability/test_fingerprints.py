"""5 and 6: the base model's weights (merge_with_base) and a stream's files (--resume) are recorded at the run's
start; a merge with other base weights and a resume over other streamed files are refused, naming the files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from embedding.cli import main
from embedding.errors import UserError
from embedding.training.rundir import fingerprints
from tests.conftest import EFAQ_ROWS, base_config, write_jsonl, write_tiny_bert

WHERE = "objectives[0].datasets.train"


def shards(folder: Path, n: int = 2) -> list[str]:
    for i in range(n):
        write_jsonl(folder / f"train-{i:05d}-of-{n:05d}.jsonl", EFAQ_ROWS)
    return sorted(str(p) for p in folder.glob("*.jsonl"))


def test_a_resume_over_the_same_stream_passes_even_with_new_mtimes(tmp_path):
    files = shards(tmp_path / "data")
    fingerprints.check_streams(tmp_path, {WHERE: files}, resumed=False)
    os.utime(files[0], (1, 1))  # copied back, touched: the bytes are what count
    fingerprints.check_streams(tmp_path, {WHERE: files}, resumed=True)


@pytest.mark.parametrize("change", ["removed", "added", "changed"])
def test_a_resume_over_a_changed_stream_is_refused_naming_the_file(tmp_path, change):
    files = shards(tmp_path / "data")
    fingerprints.check_streams(tmp_path, {WHERE: files}, resumed=False)
    if change == "removed":
        Path(files[1]).unlink()
        named, files = files[1], files[:1]
    elif change == "added":
        write_jsonl(tmp_path / "data" / "train-extra.jsonl", EFAQ_ROWS[:2])
        named, files = str(tmp_path / "data" / "train-extra.jsonl"), [*files, str(tmp_path / "data/train-extra.jsonl")]
    else:
        text = Path(files[0]).read_text()
        Path(files[0]).write_text(text.replace("cartao", "cartoa"))  # same size, other bytes
        named = files[0]
    with pytest.raises(UserError, match="the streamed data changed") as refused:
        fingerprints.check_streams(tmp_path, {WHERE: files}, resumed=True)
    assert f"{WHERE}: {change}: {named}" in str(refused.value)


def test_a_fresh_start_replaces_the_record_of_a_start_that_stopped_early(tmp_path):
    files = shards(tmp_path / "data")
    fingerprints.check_streams(tmp_path, {WHERE: files}, resumed=False)
    Path(files[1]).unlink()  # the user fixes the data, then starts again (no checkpoint yet)
    fingerprints.check_streams(tmp_path, {WHERE: files[:1]}, resumed=False)
    fingerprints.check_streams(tmp_path, {WHERE: files[:1]}, resumed=True)


def test_a_base_model_whose_weights_changed_is_not_merged(tmp_path):
    base = write_tiny_bert(tmp_path / "base")
    fingerprints.remember(tmp_path, "base_model", fingerprints.base_model_record(str(base), "path"), fresh=True)
    fingerprints.check_base_unchanged(tmp_path, str(base), "path")
    write_tiny_bert(tmp_path / "base", seed=1)  # other weights, same names and sizes
    with pytest.raises(UserError, match="merge_with_base: the base model changed on disk") as refused:
        fingerprints.check_base_unchanged(tmp_path, str(base), "path")
    assert f"changed: {base / 'model.safetensors'}" in str(refused.value)
    assert "The trained model is kept in" in str(refused.value)


@pytest.mark.slow
def test_a_merge_after_the_base_was_replaced_mid_run_exits_2_and_keeps_the_trained_model(
    tmp_path, tiny_bert, efaq_dir, monkeypatch, capsys
):
    from transformers import TrainerCallback

    import embedding.training.run as run

    base = tmp_path / "base"
    shutil.copytree(tiny_bert, base)
    original = (base / "model.safetensors").read_bytes()
    cfg = base_config(base, efaq_dir, tmp_path / "out", early_stopping=None)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["args"] |= {"max_steps": 2, "save_steps": 2, "eval_steps": 2}
    cfg["merge_with_base"] = {"alpha": [0.5, 1.0]}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))

    class ReplaceBase(TrainerCallback):
        def on_train_end(self, args, state, control, **kwargs):
            write_tiny_bert(tmp_path / "other", seed=1)
            shutil.copyfile(tmp_path / "other" / "model.safetensors", base / "model.safetensors")

    build = run.build_trainer
    monkeypatch.setattr(run, "build_trainer", lambda plan, callbacks: build(plan, [*callbacks, ReplaceBase()]))
    assert main(["train", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    run_dir = tmp_path / "out" / "test-run"
    assert "merge_with_base: the base model changed on disk" in err and str(base / "model.safetensors") in err, err
    assert (run_dir / "final").is_dir() and not (run_dir / "merge.json").exists()

    monkeypatch.undo()
    (base / "model.safetensors").write_bytes(original)  # the base put back: --resume merges
    assert main(["train", "-c", str(path), "--resume"]) == 0
    assert (run_dir / "merge.json").is_file() and (run_dir / "final-unmerged").is_dir()


@pytest.mark.slow
def test_a_streamed_resume_after_a_shard_was_removed_is_refused(tmp_path, tiny_bert, capsys):
    files = shards(tmp_path / "data", 3)
    cfg = base_config(tiny_bert, tmp_path / "data", tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["objectives"][0]["datasets"]["train"]["streaming"] = True
    cfg["args"] = {"max_steps": 2, "per_device_train_batch_size": 4, "save_strategy": "steps", "save_steps": 2}
    cfg["args"] |= {"report_to": "none", "seed": 3}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["train", "-c", str(path)]) == 0
    kept = Path(files[2]).read_bytes()
    Path(files[2]).unlink()
    capsys.readouterr()
    longer = ["--set", "args.max_steps=4", "--resume"]
    assert main(["train", "-c", str(path), *longer]) == 2
    err = capsys.readouterr().err
    assert f"{WHERE}: removed: {files[2]}" in err and "Traceback" not in err, err
    Path(files[2]).write_bytes(kept)
    assert main(["train", "-c", str(path), *longer]) == 0
