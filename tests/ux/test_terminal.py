"""What a terminal and a pipe show: per-objective loss in progress, unwrapped log lines, -V, --overwrite."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from types import SimpleNamespace

import pytest
import yaml

from embedding.training.display.banner import ProgressLines
from tests.conftest import base_config

LONG_PATH = "/data/" + "/".join(f"folder_number_{i}_with_a_long_name" for i in range(8)) + "/model.safetensors"
LOG_SNIPPET = (
    "from embedding.cli._common import setup_logging; import logging; setup_logging(); "
    f"logging.getLogger('embedding.x').info('saved %s', {LONG_PATH!r}); logging.getLogger('y').warning('next')"
)


def in_pty(argv: list[str], env: dict | None = None, timeout: float = 240) -> str:
    """Run argv with stdout and stderr on a pseudo-terminal; everything it wrote."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))  # a 200-column terminal
    proc = subprocess.Popen(argv, stdout=child, stderr=child, stdin=subprocess.DEVNULL, env=env, close_fds=True)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=timeout)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_line_shows_combined_and_smoothed_loss_per_objective():
    lines = ProgressLines()
    state = SimpleNamespace(global_step=1, max_steps=10, is_world_process_zero=True)
    first = lines.line(state, {"loss": 9.8, "loss/faq/main": 9.8, "learning_rate": 1e-4})
    state.global_step = 2
    second = lines.line(state, {"loss": 40.7, "loss/sts/main": 40.0, "loss/sts/penalty": 0.7})
    state.global_step = 3
    third = lines.line(state, {"loss": 11.8, "loss/faq/main": 11.8})

    assert "loss 9.8000" in first  # not told of several objectives, one seen so far: its loss is the combined loss
    assert (
        "loss combined 40.7000 | faq (smoothed) 9.8000 | sts (smoothed) 40.7000" in second
    )  # components summed per objective
    assert (
        "faq (smoothed) 10.4000" in third and "sts (smoothed) 40.7000" in third
    )  # 9.8 + 0.3 * (11.8 - 9.8); sts keeps its value


def test_several_objectives_label_the_combined_loss_from_the_first_step():
    state = SimpleNamespace(global_step=1, max_steps=10, is_world_process_zero=True)
    line = ProgressLines(objectives=2).line(state, {"loss": 9.8, "loss/faq/main": 9.8})
    assert "loss combined 9.8000 | faq (smoothed) 9.8000" in line


def test_piped_log_lines_are_whole_one_event_per_line():
    out = subprocess.run([sys.executable, "-c", LOG_SNIPPET], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert lines[0].endswith(f"INFO saved {LONG_PATH}") and lines[1].endswith("WARNING next")


def test_terminal_log_lines_are_rich():
    out = in_pty([sys.executable, "-c", LOG_SNIPPET])
    assert "INFO" in out and "model.safetensors" in out and "\x1b[" in out  # styled by rich


@pytest.mark.parametrize("verbose", [False, True])
def test_library_info_only_with_verbose(verbose):
    snippet = (
        "from embedding.cli import _common; import logging; "
        f"_common.LIBRARY_LOGS['shown'] = {verbose}; _common.setup_logging(); "
        "logging.getLogger('transformers.trainer').info('Saving model checkpoint'); "
        "logging.getLogger('transformers.trainer').warning('library warning'); "
        "logging.getLogger('embedding.training').info('own line')"
    )
    out = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, check=True).stdout
    assert "own line" in out and "library warning" in out
    assert ("Saving model checkpoint" in out) is verbose


def test_short_version_flag(capsys):
    from embedding.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["-V"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("embedding ")


@pytest.mark.slow
def test_training_in_a_terminal_and_piped(tiny_bert, efaq_data, tmp_path):
    config = base_config(tiny_bert, efaq_data, tmp_path / "runs")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}  # set by earlier in-process CLI tests
    argv = [sys.executable, "-m", "embedding", "train", "--config", str(path)]

    screen = in_pty(argv, env)
    assert "contrastive (smoothed)=" in screen and "similarity (smoothed)=" in screen and "combined=" in screen, (
        screen[-3000:]
    )
    assert "{'loss'" not in screen and "Information Retrieval Evaluation" not in screen  # one voice
    assert "Writing model shards" not in screen and screen.count("eval step ") == 2  # one line per evaluation
    assert "Computing widget examples" not in screen and "Loading weights" not in screen

    piped = subprocess.run([*argv, "--overwrite"], capture_output=True, text=True, env=env)
    assert piped.returncode == 0, piped.stderr[-3000:]
    steps = [line for line in piped.stdout.splitlines() if line.startswith("step ")]
    assert steps and all("| loss combined " in line for line in steps), piped.stdout
    assert " | contrastive " in steps[-1] and " | similarity " in steps[-1]
    moved = next((tmp_path / "runs").glob("test-run.old-*"))
    assert f"was moved to {moved}" in piped.stdout + piped.stderr

    loud = in_pty([*argv, "--overwrite", "--verbose"], env)  # --verbose: the libraries' own bars come back
    assert "Computing widget examples" in loud or "Writing model shards" in loud, loud[-3000:]
    assert "Loading weights" in loud, loud[-3000:]


@pytest.mark.parametrize("argv", [["--verbose", "list", "formats"], ["list", "formats", "--verbose"]])
def test_verbose_flag_before_or_after_the_command(argv, monkeypatch):
    from embedding.cli import _common, main

    monkeypatch.setitem(_common.LIBRARY_LOGS, "shown", False)
    assert main(argv) == 0 and _common.LIBRARY_LOGS["shown"] is True
