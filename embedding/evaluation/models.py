"""The models an evaluation names, checked before anything heavy loads: files only, no torch.

`bm25` is the BM25 baseline; every other name must resolve (local folder, cache, package, Hub) to a complete
model (model files and a tokenizer), so a wrong model fails in a second instead of after the data is prepared.
"""

from __future__ import annotations

from ..config.eval_schema import EvalConfig

BM25_NAME = "bm25"


def is_bm25(name: str) -> bool:
    """Whether a model name asks for the BM25 baseline."""
    return name.strip().lower() == BM25_NAME


def check_models(config: EvalConfig) -> None:
    """Every model exists and is a complete model folder (tokenizer included); raises a UserError naming it."""
    from ..models import find_model

    for i, spec in enumerate(config.models):
        if not is_bm25(spec.name):
            find_model(spec.name, f"models[{i}].name")
