"""The package's shape stays as the README's "Architecture" section draws it.

Imports only go down the layers (function-level imports included), no module imports itself back through others
(no cycles), and no function or file grows past what a reader takes in at once.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "embedding"
# Top to bottom; a module may import its own layer and the layers below it, never one above.
LAYERS = [
    ("cli", "api", "__main__", ""),  # "" = the package's own __init__ (the lazy Python API)
    ("sweep",),
    ("validation",),
    ("training",),
    ("export",),
    ("report",),
    ("evaluation",),
    ("data",),
    ("losses",),
    ("forward",),
    ("config", "models", "hub", "errors", "console", "safe_files"),
]
# Inside training/, the run's rooms, top to bottom: `run.py` calls the phases (`steps/`), which drive the trainer,
# which reads the plan; display, batching, the run directory and process coordination sit below them.
TRAINING_LAYERS = [
    ("run",),
    ("steps",),
    ("trainer",),
    ("plan",),
    ("display",),
    ("batching",),
    ("rundir",),
    ("distributed",),
]
MAX_PACKAGE_MODULES = 16
MAX_FUNCTION_LINES = 60
MAX_FILE_LINES = 300


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every `embedding.*` module that `path` imports, at module level or inside functions."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "embedding"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "embedding":
                continue
            # `from . import x` / `from .. import hub` import submodules when they are modules.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if is_module(candidate) else target)
    return {module for module in found if module != name}


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def layer_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"{module} is in no layer; add its top-level name to LAYERS in {__file__}")


def training_layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 3 or parts[1] != "training":
        return None
    for rank, names in enumerate(TRAINING_LAYERS):
        if parts[2] in names:
            return rank
    raise AssertionError(f"{module} is in no room of training/; add it to TRAINING_LAYERS in {__file__}")


def graph() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_imports_only_go_down_the_layers():
    upward = [
        f"{source} (layer {layer_of(source)}) imports {target} (layer {layer_of(target)})"
        for source, targets in graph().items()
        for target in sorted(targets)
        if layer_of(target) < layer_of(source)
    ]
    assert not upward, "imports that run back up:\n" + "\n".join(upward)


def test_imports_only_go_down_the_rooms_of_training():
    upward = [
        f"{source} imports {target}"
        for source, targets in graph().items()
        for target in sorted(targets)
        if training_layer_of(source) is not None
        and training_layer_of(target) is not None
        and training_layer_of(target) < training_layer_of(source)
    ]
    assert not upward, "imports that run back up inside training/:\n" + "\n".join(upward)


def test_no_package_directory_is_a_crowd():
    crowded = [
        f"{folder.relative_to(PACKAGE.parent)}: {count} modules"
        for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__")]
        if (count := len([f for f in folder.glob("*.py") if f.name != "__init__.py"])) > MAX_PACKAGE_MODULES
    ]
    assert not crowded, f"package directories over {MAX_PACKAGE_MODULES} modules (split by concern):\n" + "\n".join(
        crowded
    )


def test_no_import_cycles():
    edges = graph()
    # A package's __init__ re-exporting its own modules lazily is not a cycle of the design.
    edges = {source: {t for t in targets if not source.startswith(t + ".")} for source, targets in edges.items()}
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join(stack[stack.index(target) :] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_small_functions_and_files(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_FILE_LINES, f"{path.name}: {len(lines)} lines; split it by concern"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse("\n".join(lines)))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The layer test itself can fail: a data module importing training is reported."""
    fake = PACKAGE / "data" / "formats" / "efaq.py"
    source = fake.read_text(encoding="utf-8")
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source + "\nfrom ...training import plan\n")
    assert "embedding.training.plan" in imports_of(fake)
    assert layer_of("embedding.training.plan") < layer_of(module_name(fake))
