"""Bad input: every case in tests/bad_inputs/ must end with exit code 2 and one message, no traceback.

Each case is a folder holding a config (or a deliberately broken file), optional data files, and `expected.yaml`:

    what: one line on what is wrong
    command: validate | train | preprocess       # default validate; train only when a model must be loaded
    exit_code: 2
    message: [substrings that must all appear in stderr: file / key path / row / column, and the fix]
    args: [extra CLI args]                       # optional, e.g. [--set, args.max_steps]
    config: file or folder passed to --config    # optional; default: the case's config.* file
    xfail: why the package gets it wrong today   # optional: the case runs as xfail(strict=True)
    needs: no_gpu | no_deepspeed                 # optional: the machine the case describes (else skipped)

Placeholders in the case's files and `args`: {MODEL} (a tiny random BERT), {DATA} (the case folder),
{OUT} (the case folder's `out/`, so a case can ship an existing run dir) and {EFAQ} (a valid tiny e-faq folder).
Every case runs in a temporary copy of its folder, through `embedding.cli.main` in-process.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from embedding.cli import build_parser, main
from tests.conftest import EFAQ_ROWS, base_config, write_jsonl

CASES_DIR = Path(__file__).with_name("bad_inputs")
COMMANDS = ("validate", "train", "preprocess")
# tqdm bars (datasets' "Generating train split", "Map") share stderr with the message; they are not messages.
PROGRESS_BAR = re.compile(r"(\d+%\|.*\||\[\d+:\d+(<[\d:?]+)?, [^\]]*\])\s*$")


def load_expected(folder: Path) -> dict:
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    assert expected.get("command", "validate") in COMMANDS, folder.name
    assert expected.get("message"), f"{folder.name}: expected.yaml needs `message`"
    return expected


def _machine_lacks(what: str) -> bool:
    """Whether this machine is the one a case describes (`needs: no_gpu`: FSDP refused without a GPU)."""
    import importlib.util

    import torch

    if what == "no_gpu":
        return not torch.cuda.is_available()
    if what == "no_deepspeed":
        return importlib.util.find_spec("deepspeed") is None
    raise ValueError(f"unknown `needs: {what}`")


def case_params():
    params = []
    for folder in sorted(p for p in CASES_DIR.iterdir() if (p / "expected.yaml").exists()):
        expected = load_expected(folder)
        reason = expected.get("xfail")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        if expected.get("needs") and not _machine_lacks(expected["needs"]):
            marks.append(pytest.mark.skip(reason=f"describes a machine with {expected['needs']}"))
        params.append(pytest.param(folder, id=folder.name, marks=marks))
    return params


@pytest.fixture(scope="module")
def shared_efaq(tmp_path_factory) -> Path:
    """A valid e-faq folder for {EFAQ}, shared by the module so `datasets` loads (and caches) it once."""
    folder = tmp_path_factory.mktemp("efaq")
    for split in ("train", "validation", "test"):
        write_jsonl(folder / f"{split}.jsonl", EFAQ_ROWS)
    return folder


def materialise(folder: Path, tmp_path: Path, model: Path, efaq: Path) -> tuple[Path, dict[str, str]]:
    """Copy a case to tmp_path and fill in its placeholders; returns the copy and the placeholder values."""
    work = tmp_path / folder.name
    shutil.copytree(folder, work)
    values = {"{MODEL}": str(model), "{DATA}": str(work), "{OUT}": str(work / "out"), "{EFAQ}": str(efaq)}
    for path in work.rglob("*"):
        if not path.is_file() or path.name == "expected.yaml":
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # a deliberately non-UTF-8 file stays byte for byte
        filled = text
        for key, value in values.items():
            filled = filled.replace(key, value)
        if filled != text:
            path.write_text(filled, encoding="utf-8")
    return work, values


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def config_path(work: Path, expected: dict) -> Path:
    if expected.get("config"):
        return work / expected["config"]
    found = sorted(p for p in work.iterdir() if p.is_file() and p.name.startswith("config."))
    assert len(found) == 1, f"{work.name}: expected one config.* file (or `config:` in expected.yaml), got {found}"
    return found[0]


def message_lines(stderr: str) -> list[str]:
    """stderr without progress bars, as non-empty lines."""
    pieces = re.split(r"[\r\n]", stderr)
    return [p for p in pieces if p.strip() and not PROGRESS_BAR.search(p)]


def registered_commands() -> set[str]:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return set(subparsers.choices)


def run_case(folder: Path, tmp_path: Path, model: Path, efaq: Path, capfd, *, debug: bool = False):
    expected = load_expected(folder)
    work, values = materialise(folder, tmp_path, model, efaq)
    argv = [
        *(["--debug"] if debug else []),
        expected.get("command", "validate"),
        "--config",
        str(config_path(work, expected)),
        *[fill(str(a), values) for a in expected.get("args", [])],
    ]
    code = main(argv)
    out, err = capfd.readouterr()
    return expected, argv, code, out, err


@pytest.mark.parametrize("folder", case_params())
def test_bad_input_gives_one_clear_message(folder, tmp_path, tiny_bert, shared_efaq, capfd):
    expected, argv, code, out, err = run_case(folder, tmp_path, tiny_bert, shared_efaq, capfd)
    shown = f"embedding {' '.join(argv)}\n--- stdout\n{out[-2000:]}\n--- stderr\n{err}"
    assert code == expected.get("exit_code", 2), shown
    assert "Traceback" not in err, shown
    lines = message_lines(err)
    # One message: `error: ...`, or the head of one ConfigError followed by its `  - key: problem` line.
    # Each case holds one mistake, so a second problem line means the case (or a check) drifted.
    assert lines and lines[0].startswith("error: "), shown
    assert len(lines) <= 2 and all(line.startswith("  - ") for line in lines[1:]), shown
    for part in expected["message"]:
        assert part in err, f"missing {part!r} in:\n{shown}"
    # A suggested command must exist.
    for command in re.findall(r"`embedding ([a-z][\w-]*)", err):
        assert command in registered_commands(), f"suggests `embedding {command}`, which does not exist:\n{shown}"


def test_debug_shows_the_traceback(tmp_path, tiny_bert, shared_efaq, capfd):
    folder = CASES_DIR / "unknown_trainer_argument"
    expected, argv, code, _, err = run_case(folder, tmp_path, tiny_bert, shared_efaq, capfd, debug=True)
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert "ConfigError" in err
    assert all(part in err for part in expected["message"])


def test_there_are_enough_cases_and_each_is_complete():
    folders = [p for p in CASES_DIR.iterdir() if p.is_dir()]
    assert len(folders) >= 40
    for folder in folders:
        expected = load_expected(folder)
        assert set(expected) <= {"what", "command", "exit_code", "message", "args", "config", "xfail", "needs"}, (
            folder.name
        )
        assert expected.get("exit_code", 2) == 2, folder.name


def small_train_config(model: Path, efaq: Path, out: Path) -> dict:
    config = base_config(model, efaq, out, evaluator=None, early_stopping=None)
    config["objectives"] = config["objectives"][:1]
    config["objectives"][0]["datasets"].pop("validation")
    config["args"] = {"max_steps": 1, "per_device_train_batch_size": 4, "report_to": "none", "save_strategy": "no"}
    return config


def test_training_twice_into_the_same_run_dir_is_refused(tmp_path, tiny_bert, shared_efaq, capfd):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(small_train_config(tiny_bert, shared_efaq, tmp_path / "out")))
    assert main(["train", "-c", str(path)]) == 0
    final = sorted(p.name for p in (tmp_path / "out" / "test-run" / "final").iterdir())
    capfd.readouterr()
    assert main(["train", "-c", str(path)]) == 2
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"error: run dir {tmp_path / 'out' / 'test-run'} already holds a run"), err
    assert "--resume" in err and "--overwrite" in err, err
    assert sorted(p.name for p in (tmp_path / "out" / "test-run" / "final").iterdir()) == final  # untouched


def test_a_run_that_failed_on_bad_input_does_not_block_the_fixed_rerun(tmp_path, tiny_bert, shared_efaq, capfd):
    config = small_train_config(tiny_bert, shared_efaq, tmp_path / "out")
    path = tmp_path / "config.yaml"
    config["base_model"]["name"] = "no-such-org/no-such-model"
    path.write_text(yaml.safe_dump(config))
    assert main(["train", "-c", str(path)]) == 2
    assert "not found" in capfd.readouterr().err
    # The user fixes the model name; the next problem (dims too large, found after loading) must be the one shown.
    config["base_model"]["name"] = str(tiny_bert)
    config["objectives"][0]["matryoshka"] = {"matryoshka_dims": [16, 64]}
    path.write_text(yaml.safe_dump(config))
    assert main(["train", "-c", str(path)]) == 2
    err = capfd.readouterr().err
    assert "already holds a run" not in err, err
    assert "64 is larger than the model's embedding size 32" in err, err
