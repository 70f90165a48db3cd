"""Regenerate `trainer_args.json`: the keys (and coarse types) of SentenceTransformerTrainingArguments.

`embedding validate` checks `args:` against this snapshot so it never imports torch. A test compares the
snapshot with the installed library, so an upgrade that adds or removes a key fails loudly.
Run: python -m embedding.config._snapshot_trainer_args
"""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path


def coarse_type(tp: object) -> str:
    text = str(tp)
    for name, probe in (("bool", "bool"), ("int", "int"), ("float", "float")):
        if text in (name, f"<class '{name}'>") or text == f"{probe} | None" or text == f"typing.Optional[{probe}]":
            return name
    if text in ("str", "<class 'str'>", "str | None", "typing.Optional[str]"):
        return "str"
    return "any"


def live_fields() -> dict[str, str]:
    from sentence_transformers import SentenceTransformerTrainingArguments as Args

    hints = typing.get_type_hints(Args)
    return {f.name: coarse_type(hints.get(f.name, f.type)) for f in dataclasses.fields(Args) if f.init}


if __name__ == "__main__":
    out = Path(__file__).with_name("trainer_args.json")
    out.write_text(json.dumps(live_fields(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")
