"""The README's and docs pages' examples run as written, offline.

Fast: every `embedding ...` command in a shell block parses (command and flags exist), every Python block compiles
and imports what it names, and no example loads a model by Hub id (offline that spends minutes retrying the Hub).
Slow: the README's shell commands and Python blocks run in order in a scratch folder laid out like the repository
(examples/, ../shared), and the docs' Python load lines (the LoRA adapter, the stock script) run after the
commands that make what they load.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED

PAGES = [REPO / "README.md", REPO / "examples" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
HUB_LOAD = re.compile(r"SentenceTransformer\(\s*[\"'](?!runs/)[\w.-]+/[\w.-]+[\"']")
SKIP = ("pip install", "python -m pytest")  # the setup: CI runs exactly these (.ci/run)


def blocks(page: Path, lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(page.read_text(encoding="utf-8")) if kind == lang]


def commands(script: str) -> list[str]:
    """The shell commands of a block: continuations joined, comments and heredoc bodies left out."""
    out, heredoc = [], None
    for line in script.replace("\\\n", " ").splitlines():
        if heredoc is not None:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        if match := re.search(r"<<'?(\w+)'?", line):
            heredoc = match.group(1)
        command = line.split(" #", 1)[0].strip()
        if command and not command.startswith("#"):
            out.append(command)
    return out


def embedding_commands() -> list[tuple[str, str]]:
    return [
        (page.relative_to(REPO).as_posix(), command)
        for page in PAGES
        for script in blocks(page, "bash")
        for command in commands(script)
        if command.startswith("embedding ")
    ]


@pytest.mark.parametrize(("page", "command"), embedding_commands())
def test_every_documented_command_parses(page, command):
    from embedding.cli import build_parser

    argv = [a for a in shlex.split(command)[1:] if a not in ("<", ">")]
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: an unknown command or flag exits 2
        pytest.fail(f"{page}: `{command}` does not parse (exit {exc.code})")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_python_examples_compile_import_and_load_offline(page):
    for code in blocks(page, "python"):
        tree = ast.parse(code)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    assert hasattr(module, alias.name) or importlib.util.find_spec(f"{node.module}.{alias.name}"), (
                        f"{page.name}: from {node.module} import {alias.name}"
                    )
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    importlib.import_module(alias.name)
        assert not HUB_LOAD.search(code), f"{page.name}: loads a model by Hub id; show the packaged path route"


def test_the_readme_setup_is_what_ci_runs():
    ci = (REPO / ".ci" / "run").read_text().replace(" --quiet", "")
    setup = commands(blocks(REPO / "README.md", "bash")[0])
    assert setup == ['pip install torch==2.13.0 -e ".[test]"', "python -m pytest"]
    assert all(line in ci for line in setup)


def sandbox(tmp_path: Path) -> Path:
    """A folder laid out like the repository for the examples: examples/ and ../shared beside it, runs/ its own."""
    work = tmp_path / "repo"
    work.mkdir()
    (work / "examples").symlink_to(REPO / "examples")
    (tmp_path / "shared").symlink_to(SHARED.parent)
    return work


def run_page(page: Path, work: Path, shell_with: str = "") -> None:
    """Run the page's shell blocks (those containing `shell_with`; setup blocks skipped), then its Python blocks."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    for script in blocks(page, "bash"):
        if shell_with in script and not any(script.lstrip().startswith(s) for s in SKIP):
            done = subprocess.run(["bash", "-ec", script], cwd=work, env=env, capture_output=True, text=True)
            assert done.returncode == 0, f"{page.name}:\n{script}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    for code in blocks(page, "python"):
        done = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{page.name}:\n{code}\n{done.stderr[-3000:]}"


@pytest.mark.slow
def test_readme_examples_run_as_written(tmp_path):
    work = sandbox(tmp_path)
    run_page(REPO / "README.md", work)
    assert (work / "runs" / "quickstart" / "final" / "modules.json").exists()
    assert (work / "runs" / "my" / "final" / "modules.json").exists()
    assert (work / "runs" / "my-sweep" / "best" / "modules.json").exists()  # "Find the best settings"
    assert "4 trials of 4" in (work / "runs" / "my-sweep" / "sweep.md").read_text()


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "stsbenchmark").exists(), reason="needs ../shared/datasets/stsbenchmark")
def test_recipes_examples_run_as_written(tmp_path):
    """The LoRA command and its PeftModel line; the stock script and the same run as a config."""
    work = sandbox(tmp_path)
    page = REPO / "docs" / "recipes.md"
    text = page.read_text(encoding="utf-8")
    config = next(b for b in blocks(page, "yaml") if b.startswith("# stsb-mnrl.yaml"))
    (work / "stsb-mnrl.yaml").write_text(config)
    run_page(page, work, shell_with="quickstart-lora")
    assert "embedding train --config stsb-mnrl.yaml" in text
    done = subprocess.run(["embedding", "train", "--config", "stsb-mnrl.yaml"], cwd=work, capture_output=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (work / "runs" / "quickstart-lora" / "final-adapter").is_dir()


def test_user_docs_fit_and_carry_no_project_bookkeeping():
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) <= 250
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        found = re.findall(r"(?i)\bissue \d+|\bcommit [0-9a-f]{7,}\b|\blent\b", text)
        assert not found, f"{page.relative_to(REPO)}: {found}"
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):  # relative links point at files
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)}: broken link {target}"
