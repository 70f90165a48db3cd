"""<run dir>/train.log: the libraries' full log of a run, kept off the console, and nothing left behind."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys

import yaml

from embedding import train
from embedding.training.rundir.run_log import FILE_NAME, run_log
from tests.conftest import REPO, base_config

SECRET = "hf_SECRETxyz123"


def tiny_config(tiny_bert, efaq_dir, out, run_name):
    cfg = base_config(tiny_bert, efaq_dir, out, evaluator=None, early_stopping=None, run_name=run_name)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {"max_steps": 1, "per_device_train_batch_size": 4, "report_to": "none", "save_strategy": "no"}
    return cfg


def test_train_log_keeps_the_libraries_records_the_console_does_not_show(tmp_path, tiny_bert, efaq_dir):
    # Given `embedding train` in a process of its own (transformers prints through its own stderr handler)
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(tiny_config(tiny_bert, efaq_dir, tmp_path / "out", "one")))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    env.pop("CI", None)  # CI=1 makes transformers propagate to the root logger: test its default setup
    done = subprocess.run(
        [sys.executable, "-m", "embedding", "train", "-c", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    console = done.stdout + done.stderr

    # Then train.log holds transformers' and sentence-transformers' INFO records, with time, level and logger
    lines = (tmp_path / "out" / "one" / FILE_NAME).read_text().splitlines()
    assert any(" INFO transformers.trainer: ***** Running training *****" in line for line in lines)
    saving = next(line for line in lines if " INFO sentence_transformers." in line and "Saving model" in line)
    assert any(" INFO embedding.training.display.banner: training one" in line for line in lines)  # ours too
    # and the console did not show them (but did show the run)
    assert "Running training" not in console and saving.partition(": ")[2] not in console
    assert "training one" in done.stdout


def test_a_second_run_in_the_same_process_writes_only_its_own_log(tmp_path, tiny_bert, efaq_dir):
    # Given a first run
    first = train(tiny_config(tiny_bert, efaq_dir, tmp_path / "out", "one")).run_dir
    text = (first / FILE_NAME).read_text()
    assert f"Saving model checkpoint to {first}" in text

    # When a second run trains in the same process
    second = train(tiny_config(tiny_bert, efaq_dir, tmp_path / "out", "two")).run_dir

    # Then the first run's log is untouched, the second has its own, and no handler or level is left behind
    assert (first / FILE_NAME).read_text() == text
    assert f"Saving model checkpoint to {second}" in (second / FILE_NAME).read_text()
    assert logging.getLogger("transformers").level == logging.WARNING
    every = [logging.root, *logging.Logger.manager.loggerDict.values()]
    files = [getattr(h, "baseFilename", "") for lg in every for h in getattr(lg, "handlers", [])]
    assert not [f for f in files if f.endswith(FILE_NAME)]


def test_a_secret_in_a_record_is_written_as_stars(tmp_path):
    config = {"args": {"hub_token": SECRET, "report_to": "none"}, "base_model": {"name": "m"}}
    with run_log(tmp_path, config):
        logging.getLogger("transformers.trainer").info("pushing with token=%s", SECRET)
        logging.getLogger("embedding.test").warning("args %s", {"hub_token": SECRET})
    text = (tmp_path / FILE_NAME).read_text()
    assert SECRET not in text
    assert (
        "transformers.trainer: pushing with token=***" in text and "embedding.test: args {'hub_token': '***'}" in text
    )


def test_a_failing_write_to_the_log_prints_no_traceback(tmp_path, capsys):
    class FullDisk:
        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            pass

    with run_log(tmp_path, {}):
        handler = next(h for h in logging.root.handlers if getattr(h, "baseFilename", "").endswith(FILE_NAME))
        handler.stream.close()
        handler.stream = FullDisk()
        logging.getLogger("embedding.test").warning("still said")
    assert "Logging error" not in capsys.readouterr().err
