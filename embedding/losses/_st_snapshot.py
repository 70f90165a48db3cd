"""Regenerate `st_losses.json`: the sentence-transformers loss classes a config may name, and their arguments.

`embedding validate` checks `loss` / `loss_args` against this snapshot so it never imports torch. A test compares
the snapshot with the installed library, so an upgrade that adds, removes or renames a loss or an argument fails
loudly instead of letting `validate` drift from what training accepts.
Run: python -m embedding.losses._st_snapshot
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("st_losses.json")


def live_st_losses() -> dict[str, dict[str, Any]]:
    """Describe every usable loss class of the installed `sentence_transformers.sentence_transformer.losses`.

    Left out: helpers that are not losses (distance-metric enums, data loaders), deprecated aliases (the registry
    maps `MultipleNegativesSymmetricRankingLoss` and its cached twin to their v6 equivalents itself) and wrappers
    that take another loss as an argument (`MatryoshkaLoss`, `AdaptiveLayerLoss`...), which a config cannot build.

    Returns:
        ``{class name: {"args": [...], "required": [...], "from_embeddings": bool}}``; `args` excludes `model`,
        `from_embeddings` says whether the class has `compute_loss_from_embeddings` (so it can share one forward
        pass with the distillation and penalty terms).
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


def read_snapshot() -> dict[str, dict[str, Any]]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(live_st_losses(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
