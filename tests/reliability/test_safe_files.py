"""safe_files: whole writes that never follow a link out of their folder and never carry a remembered secret."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from embedding import safe_files
from embedding.errors import UserError


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path]:
    """A folder and a file outside it, with the file's text to compare after."""
    folder = tmp_path / "run"
    folder.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    return folder, outside


@pytest.mark.parametrize(
    "write",
    [
        lambda p: safe_files.write_text(p, "x"),
        lambda p: safe_files.write_bytes(p, b"x"),
        lambda p: safe_files.write_json(p, {"a": 1}),
        lambda p: safe_files.append_text(p, "x"),
        lambda p: safe_files.append_json_line(p, {"a": 1}),
        lambda p: safe_files.make_dir(p),
    ],
    ids=["text", "bytes", "json", "append", "jsonl", "dir"],
)
def test_a_link_where_a_file_of_ours_goes_is_refused_and_its_target_untouched(planted, write):
    folder, outside = planted
    (folder / "out").symlink_to(outside)
    with pytest.raises(UserError, match=r"out is a symbolic link \(to .*outside.txt\)"):
        write(folder / "out")
    assert outside.read_text() == "precious\n"
    assert (folder / "out").is_symlink()  # refused, not silently replaced: the user sees what was planted


def test_a_linked_folder_between_root_and_file_is_refused(planted, tmp_path):
    folder, _ = planted
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (folder / "evaluation").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UserError, match="evaluation is a symbolic link"):
        safe_files.write_json(folder / "evaluation" / "results.json", {}, root=folder)
    with pytest.raises(UserError, match="evaluation is a symbolic link"):
        safe_files.make_dir(folder / "evaluation" / "sub", root=folder)
    assert list(elsewhere.iterdir()) == []


def test_whole_write_replaces_the_file_leaves_no_temporary_and_keeps_usual_permissions(planted):
    folder, _ = planted
    target = folder / "report.md"
    target.write_text("old")
    safe_files.write_text(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in folder.iterdir()] == ["report.md"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(planted):
    folder, _ = planted
    target = folder / "evaluation.json"
    target.write_text("old")
    with pytest.raises(TypeError):
        safe_files.write_json(target, {"x": object()})
    assert target.read_text() == "old" and len(list(folder.iterdir())) == 1


def test_redacted_secrets_are_scrubbed_from_every_later_text(planted):
    folder, _ = planted
    clean = safe_files.redact({"args": {"hub_token": "hf_remembered123", "max_tokens": 5, "tokenizer": "bert"}})
    assert clean == {"args": {"hub_token": "***", "max_tokens": 5, "tokenizer": "bert"}}
    safe_files.write_text(folder / "a.md", "token was hf_remembered123 here")
    safe_files.append_text(folder / "b.log", "again hf_remembered123\n")
    safe_files.write_json(folder / "c.json", {"note": "hf_remembered123", "token": "other-secret"})
    for name in ("a.md", "b.log", "c.json"):
        assert "hf_remembered123" not in (folder / name).read_text()
    assert json.loads((folder / "c.json").read_text()) == {"note": "***", "token": "***"}
    assert "bert" in safe_files.scrub("bert")  # a setting under a token-like name is no secret


def test_links_in_lists_only_links(planted):
    folder, outside = planted
    (folder / "file").write_text("")
    (folder / "train.log").symlink_to(outside)
    assert safe_files.links_in(folder) == [folder / "train.log"]
    assert safe_files.links_in(folder / "missing") == []
