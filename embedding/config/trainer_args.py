"""The committed snapshots of sentence-transformers' trainer and IR-evaluator arguments (names, types, choices).

Written by `python -m embedding.config._snapshot_trainer_args` and compared with the installed library by a test;
read here without importing transformers, so `validate` and `schema` stay instant.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

# Set by the run itself: the run dir is output_dir/run_name, logs live inside it.
RESERVED_ARGS = {
    "output_dir": "set the top-level `output_dir` (the run goes to output_dir/run_name)",
    "logging_dir": "logs are written inside the run dir",
    "run_name": "set the top-level `run_name`",
}
SCORE_FUNCTIONS = ("cosine", "dot", "euclidean", "manhattan")
# InformationRetrievalEvaluator's own defaults of the @k lists (what an evaluator without `args` reports).
IR_DEFAULTS = {
    "accuracy_at_k": [1, 3, 5, 10],
    "precision_recall_at_k": [1, 3, 5, 10],
    "mrr_at_k": [10],
    "ndcg_at_k": [10],
    "map_at_k": [100],
}


@cache
def trainer_arg_specs() -> dict[str, dict[str, Any]]:
    return json.loads(Path(__file__).with_name("trainer_args.json").read_text())


@cache
def ir_evaluator_args() -> list[str]:
    return json.loads(Path(__file__).with_name("ir_evaluator_args.json").read_text())
