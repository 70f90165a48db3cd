"""Regenerate the torch-free snapshots `embedding validate` checks against.

- `trainer_args.json`: keys of SentenceTransformerTrainingArguments with a coarse type, `null: true` where the
  library accepts None, and the accepted values of enum-valued keys and of `report_to` (its trackers);
- `ir_evaluator_args.json`: keyword arguments of InformationRetrievalEvaluator (for `evaluator.args`).

A test compares both with the installed libraries, so an upgrade that adds or removes a key fails loudly.
Run: python -m embedding.config._snapshot_trainer_args
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import typing
from pathlib import Path

HERE = Path(__file__).parent


def coarse_type(tp: object) -> str:
    text = str(tp)
    for name in ("bool", "int", "float", "str"):
        if text in (name, f"<class '{name}'>", f"{name} | None", f"typing.Optional[{name}]"):
            return name
    return "any"


def enum_choices(tp: object) -> list[str] | None:
    for arg in (tp, *typing.get_args(tp)):
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return sorted(str(member.value) for member in arg)
    return None


def report_to_choices() -> list[str]:
    """`all`, `none` and every tracker transformers integrates (a name outside them fails when the trainer starts)."""
    from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

    return ["all", "none", *sorted(INTEGRATION_TO_CALLBACK)]


def live_trainer_fields() -> dict[str, dict]:
    from sentence_transformers import SentenceTransformerTrainingArguments as Args

    hints = typing.get_type_hints(Args)
    out = {}
    for f in dataclasses.fields(Args):
        if not f.init:
            continue
        tp = hints.get(f.name, f.type)
        entry: dict = {"type": coarse_type(tp)}
        if type(None) in typing.get_args(tp):
            entry["null"] = True
        choices = report_to_choices() if f.name == "report_to" else enum_choices(tp)
        if choices:
            entry["choices"] = choices
        out[f.name] = entry
    return out


def live_ir_evaluator_args() -> list[str]:
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    params = inspect.signature(InformationRetrievalEvaluator.__init__).parameters
    return sorted(set(params) - {"self", "queries", "corpus", "relevant_docs"})


if __name__ == "__main__":
    (HERE / "trainer_args.json").write_text(json.dumps(live_trainer_fields(), indent=1, sort_keys=True) + "\n")
    (HERE / "ir_evaluator_args.json").write_text(json.dumps(live_ir_evaluator_args(), indent=1) + "\n")
    print("wrote trainer_args.json and ir_evaluator_args.json")
