"""Each config rule is implemented once: the function that words its message is the only one that does.

The list names every rule of the config layer (config/, validation/, the loss table's rules) by a piece of its
message. A second function producing the same message (a copied check in training, in the builder, a raw-dict
twin of a schema rule) fails the test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "embedding"

RULES = [
    # names and custom code
    "objective names must be unique",
    "names must be unique, `",  # evaluators
    "is a custom loss class; loading it runs code",
    # trainer arguments
    "is managed by embedding; remove it",
    "unknown tracker",
    "stands alone; write `report_to:",
    "is not a valid choice",
    "is not produced",
    "needs evaluation: set args.eval_strategy",
    "must be a multiple of eval_steps",
    "load_best_model_at_end needs save_strategy == eval_strategy",
    # losses
    "(no compute_loss_from_embeddings), so it cannot share",
    "cannot use a margin; losses that can",
    "has no cross-device negatives",
    "scores each pair against its own label only (no in-batch negatives)",
    "cannot be used as a loss",
    "is not `module.path:ClassName`",
    "(set it with the objective's `margin:` key)",
    "takes a Python object and cannot be set from a config",
    "needs a label column, but contrastive data has none",
    "ignores the label column",
    "learns from labels 0/1 only",
    # evaluators
    "not used by sts evaluators",
    "the evaluator reports first",
    "max_queries / max_corpus apply to `retrieval` evaluators only",
    "expected a list of positive integers",
    # after training, execution, streaming, engines
    "only the adapter is trained",
    "choosing among several alphas",
    "needs a retrieval `evaluator` to measure",
    "to check the exported model against the trained one",
    "a stream has no length known ahead",
    "train one objective alone",
    "picks rows by index, a stream is read in order",
    "both shard the model",
    "has no effect without args.fsdp",
    "would hold no model",
    "shards the weights, and",
    "never runs them; set execution.merge_columns",  # the validate-time half; at load time: forward/execution.py
    # this machine
    "is larger than the model's embedding size",
    "is larger than the model's hidden size",
    "not found: there is no local file or folder",
    "package, which is not installed",
    "not installed; run `pip install {}`, or remove",
    "is not valid JSON",
]


def strings_of(node: ast.AST) -> list[str]:
    """The string literals directly in `node` (f-strings with `{}` for their fields), not in nested functions."""
    found = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            found.append(child.value)
        elif isinstance(child, ast.JoinedStr):
            found.append("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in child.values))
            continue
        found += strings_of(child)
    return found


def wording_places() -> dict[str, list[str]]:
    """`module:function` -> its string literals, for every function (and module body) of the package."""
    places = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = str(path.relative_to(PACKAGE.parent))
        places[f"{module}:<module>"] = strings_of(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                places[f"{module}:{node.name}"] = strings_of(node)
    return places


PLACES = wording_places()


@pytest.mark.parametrize("message", RULES)
def test_each_rule_is_worded_by_one_function(message):
    where = [place for place, strings in PLACES.items() if any(message in text for text in strings)]
    assert len(where) == 1, f"the rule {message!r} is worded in {len(where)} places: {where}"


def test_the_checker_sees_a_copied_rule(monkeypatch):
    """The test itself can fail: a second function wording a rule is found."""
    copy = ast.parse('def twin():\n    raise ValueError(f"{x} objective names must be unique")\n')
    places = {**PLACES, "copy.py:twin": strings_of(copy.body[0])}
    assert (
        len([p for p, strings in places.items() if any("objective names must be unique" in s for s in strings)]) == 2
    )
