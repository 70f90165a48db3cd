"""Bad output paths for `init` and `schema`: exit 2 with one message naming the path and the fix, never a traceback."""

from __future__ import annotations

import errno
import json
import os
import pathlib

import pytest

from embedding.cli import main


def refused(argv: list[str], capsys) -> str:
    """Run the CLI, expect exit 2 with a single `error:` line; return that line."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("argv", [["init", "--force"], ["init"], ["schema"]], ids=["init-force", "init", "schema"])
def test_a_folder_as_output_is_refused_and_left_alone(argv, tmp_path, capsys):
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "mine.yaml").write_text("mine: true\n")
    message = refused([*argv, "-o", str(folder)], capsys)
    assert f"{folder}: is a folder" in message and "give a file path" in message, message
    assert "--force" not in message  # --force would not help: the fix is a file path
    assert sorted(p.name for p in folder.iterdir()) == ["mine.yaml"]


@pytest.mark.parametrize("command", ["init", "schema"])
def test_a_missing_folder_is_named_and_not_created(command, tmp_path, capsys):
    target = tmp_path / "some" / "missing" / "out.file"
    message = refused([command, "-o", str(target)], capsys)
    assert f"folder {target.parent} does not exist" in message and "create it first" in message, message
    assert not (tmp_path / "some").exists()


@pytest.mark.parametrize("command", ["init", "schema"])
def test_a_file_in_place_of_the_folder_is_named(command, tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file\n")
    message = refused([command, "-o", str(blocker / "out.file")], capsys)
    assert f"{blocker} is a file, not a folder" in message, message
    assert blocker.read_text() == "a file\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("command", ["init", "schema"])
def test_a_read_only_folder_is_a_clear_error(command, tmp_path, capsys):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        message = refused([command, "-o", str(folder / "out.file")], capsys)
    finally:
        folder.chmod(0o755)
    assert "cannot write (Permission denied)" in message and "choose a writable location" in message, message


@pytest.mark.parametrize("command", ["init", "schema"])
def test_a_failed_write_is_a_clear_error(command, tmp_path, capsys, monkeypatch):
    # Whatever the OS refuses (a full disk, a read-only mount, permissions) reaches the user as one message.
    def full_disk(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pathlib.Path, "write_text", full_disk)
    target = tmp_path / "out.file"
    message = refused([command, "-o", str(target)], capsys)
    assert f"--output {target}: cannot write ({os.strerror(errno.ENOSPC)})" in message, message


def test_schema_output_still_writes_the_schema(tmp_path, capsys):
    target = tmp_path / "embedding.schema.json"
    assert main(["schema", "-o", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8"))["title"] == "TrainConfig"
    assert capsys.readouterr().out == ""


def test_init_force_overwrites_a_file(tmp_path, capsys):
    target = tmp_path / "config.yaml"
    target.write_text("mine: true\n")
    assert main(["init", "--force", "-o", str(target)]) == 0
    assert "base_model" in target.read_text(encoding="utf-8")
