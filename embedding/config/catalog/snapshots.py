"""Regenerate the torch-free snapshots `embedding validate` checks against (package data of embedding.config).

- `trainer_args.json`: keys of SentenceTransformerTrainingArguments with a coarse type, `null: true` where the
  library accepts None, and the accepted values of enum-valued keys and of `report_to` (its trackers);
- `ir_evaluator_args.json`: keyword arguments of InformationRetrievalEvaluator (for `evaluator.args`);
- `st_losses.json`: the sentence-transformers loss classes a config may name, and their constructor arguments.

Tests compare them with the installed libraries, so an upgrade that adds, removes or renames a key, a loss or an
argument fails loudly instead of letting `validate` drift from what training accepts.
Run: python -m embedding.config.catalog.snapshots
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import typing
from typing import Any

from .trainer_args import DATA


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


def live_st_losses() -> dict[str, dict[str, Any]]:
    """Every usable loss class of the installed `sentence_transformers.sentence_transformer.losses`.

    Left out: helpers that are not losses, deprecated aliases (`st_losses.ST_ALIASES` maps them to their v6
    equivalents) and wrappers that take another loss (`MatryoshkaLoss`, `AdaptiveLayerLoss`...), which a config
    cannot build. Each class: ``{"args": [...], "required": [...], "from_embeddings": bool}``; `args` excludes
    `model`, `from_embeddings` says whether it has `compute_loss_from_embeddings` (shares one forward pass).
    """
    from sentence_transformers.sentence_transformer import losses
    from torch import nn

    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(losses.__all__):
        cls = getattr(losses, name)
        if not (isinstance(cls, type) and issubclass(cls, nn.Module)) or getattr(cls, "__deprecated__", None):
            continue
        params = [p for p in list(inspect.signature(cls.__init__).parameters.values())[1:] if p.kind in kinds]
        if params and params[0].name == "model":
            params = params[1:]
        if any(p.name == "loss" for p in params):
            continue
        out[name] = {
            "args": [p.name for p in params],
            "required": [p.name for p in params if p.default is inspect.Parameter.empty],
            "from_embeddings": hasattr(cls, "compute_loss_from_embeddings"),
        }
    return out


if __name__ == "__main__":
    (DATA / "trainer_args.json").write_text(json.dumps(live_trainer_fields(), indent=1, sort_keys=True) + "\n")
    (DATA / "ir_evaluator_args.json").write_text(json.dumps(live_ir_evaluator_args(), indent=1) + "\n")
    (DATA / "st_losses.json").write_text(json.dumps(live_st_losses(), indent=1, sort_keys=True) + "\n")
    print(f"wrote trainer_args.json, ir_evaluator_args.json and st_losses.json in {DATA}")
