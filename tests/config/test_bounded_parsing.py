"""Config reading is bounded: size, file kind, nesting depth, alias expansion, key types (files and --set values)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from embedding.config import load
from embedding.config.load import parse_override, read_config_file
from embedding.config.safe_yaml import MAX_DEPTH, MAX_VALUES
from embedding.errors import UserError
from tests.conftest import REPO


def refused(path) -> str:
    with pytest.raises(UserError) as info:
        read_config_file(path)
    return str(info.value)


def test_dev_zero_is_refused_at_once_with_one_message():
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "embedding", "validate", "--config", "/dev/zero"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: config /dev/zero: not a regular file (a device or socket); pass the path of a YAML/JSON file"
    ]
    assert time.monotonic() - started < 60


def test_an_oversize_file_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.truncate(load.MAX_BYTES + 2**20)  # sparse: 11 MiB that a full read would load
    started = time.monotonic()
    message = refused(path)
    assert message == f"config {path}: larger than 10 MiB; a config is a few KB: is this the right file?"
    assert time.monotonic() - started < 5


def test_the_size_limit_is_exact(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "MAX_BYTES", 40)
    path = tmp_path / "config.yaml"
    path.write_text("run_name: x\n" + "#" * (40 - 12))  # exactly 40 bytes
    assert read_config_file(path) == {"run_name": "x"}
    path.write_text("run_name: x\n" + "#" * (41 - 12))
    assert "larger than" in refused(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_that_never_ends_stops_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "MAX_BYTES", 4096)
    pipe = tmp_path / "config.yaml"
    os.mkfifo(pipe)
    written = []

    def write_forever():
        try:
            with open(pipe, "wb") as sink:
                while True:
                    sink.write(b"# a comment line\n" * 64)
                    written.append(1)
        except BrokenPipeError:
            pass  # the reader closed the pipe: what this test waits for

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    assert "larger than" in refused(pipe)
    writer.join(timeout=30)
    assert not writer.is_alive()


def test_a_small_pipe_is_read_like_a_file(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs named pipes")
    pipe = tmp_path / "config.yaml"
    os.mkfifo(pipe)
    writer = threading.Thread(target=lambda: pipe.write_text("run_name: piped\n"), daemon=True)
    writer.start()
    assert read_config_file(pipe) == {"run_name": "piped"}
    writer.join(timeout=30)


def bomb(levels: int) -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_while_loading(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("run_name: x\n" + bomb(9))
    started = time.monotonic()
    message = refused(path)
    # l0..l3 hold 11 + 111 + 1111 + 11111 values; l4 (line 6) brings the total past 100,000
    assert message.startswith(f"config {path}: line 6: holds more than 100,000 values once aliases are expanded")
    assert time.monotonic() - started < 5


def test_aliases_below_the_budget_load(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(bomb(4))  # 12,344 values, aliases expanded
    assert len(read_config_file(path)["l3"]) == 10
    assert MAX_VALUES > 12_344


def test_merge_keys_load_and_may_be_overridden(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("base: &base {lr: 1, steps: 2}\nrun:\n  <<: *base\n  steps: 3\n")
    assert read_config_file(path)["run"] == {"lr": 1, "steps": 3}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000])
def test_deep_yaml_is_refused_with_its_line(tmp_path, depth):
    path = tmp_path / "config.yaml"
    path.write_text(f"run_name: x\nargs:\n  x: {nested(depth)}\n")
    assert refused(path).startswith(f"config {path}: line 3: nested more than {MAX_DEPTH} levels deep")


def test_yaml_at_the_depth_limit_loads(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(f"x: {nested(MAX_DEPTH - 1)}\n")  # the top-level mapping is the first level
    assert "x" in read_config_file(path)


def test_aliases_count_towards_the_depth(tmp_path):
    # each anchor nests the previous one: 60 levels written, 60 more through the alias
    path = tmp_path / "config.yaml"
    path.write_text(f"a: &a {'[' * 60}1{']' * 60}\nb: {'[' * 60}*a{']' * 60}\n")
    assert refused(path).startswith(f"config {path}: line 2: nested more than {MAX_DEPTH} levels deep")


@pytest.mark.parametrize("text", ["a: &a [1, *a]\n", "a: &a {x: *a}\n"])
def test_a_recursive_alias_is_refused(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    assert refused(path) == (
        f"config {path}: line 1: alias `*a` is used inside its own anchor (a recursive structure); write the value out"
    )


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deep_json_is_refused_with_its_line(tmp_path, depth):
    path = tmp_path / "config.json"
    path.write_text('{\n  "run_name": "x",\n  "args": ' + nested(depth) + "\n}\n")
    assert refused(path).startswith(f"config {path}: line 3: nested more than {MAX_DEPTH} levels deep")


def test_brackets_inside_json_strings_do_not_count(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"run_name": "' + "[" * 500 + '\\"{"}')
    assert read_config_file(path) == {"run_name": "[" * 500 + '"{'}


@pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "args: {[a]: 1}\n", "? {a: 1}\n: 2\n"])
def test_an_unhashable_key_is_refused_with_its_line(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text("run_name: x\n" + text)
    message = refused(path)
    assert message.startswith(f"config {path}: line 2: a ")
    assert "is used as a mapping key; keys must be plain names" in message


def test_many_json_keys_are_checked_for_duplicates_in_linear_time(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{" + ", ".join(f'"k{i}": {i}' for i in range(200_000)) + "}")
    started = time.monotonic()
    assert len(read_config_file(path)) == 200_000
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (nested(5000), "nested more than 100 levels deep"),
        ("&a [1, *a]", "alias `*a` is used inside its own anchor"),
        ("{[a]: 1}", "a list is used as a mapping key"),
        ("[" + ", ".join(["&x [" + ", ".join(["1"] * 400) + "]", *["*x"] * 300]) + "]", "more than 100,000 values"),
    ],
)
def test_set_values_have_the_same_bounds(value, problem):
    with pytest.raises(UserError) as info:
        parse_override(f"args.x={value}")
    message = str(info.value)
    assert message.startswith("--set args.x: the value ") and problem in message
    assert len(message) < 300  # names the key; never echoes the value


def test_an_oversize_set_value_is_refused(monkeypatch):
    monkeypatch.setattr(load, "MAX_BYTES", 100)
    assert parse_override("args.x=" + "a" * 100) == (["args", "x"], "a" * 100)
    with pytest.raises(UserError, match=r"^--set args.x: the value is larger than"):
        parse_override("args.x=" + "a" * 101)
