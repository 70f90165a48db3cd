"""`merge_with_base` after training: interpolate the trained and the base weights for every alpha, score each on
the run's evaluator (validation data, never test data) and on `evaluation.tasks`, keep as final/ the alpha closest
to the base whose main metric is within `tolerance` of the best (choose_alpha), and the unmerged model as
final-unmerged/; merge.json holds the table.

Runs right after the final save and before the evaluation after training, so "after", the tasks, the cost table,
the exports and the card all describe the merged model that final/ holds.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from ...config.eval_schema import EvalConfig
from ...config.schema import ModelSpec
from ...models import find_model, load_model
from ...report.merge import MERGE_JSON, UNMERGED, card_section
from ...safe_files import write_json, write_text
from ..distributed.coordination import barrier, is_main
from ..distributed.ranks import from_main, main_only
from ..distributed.sharded_tasks import evaluate_tasks_on_every_rank
from ..rundir.fingerprints import check_base_unchanged
from ..rundir.outputs import save_final_model
from .finish import evaluate
from .merge_weights import check_mergeable, interpolate, snapshot

logger = logging.getLogger(__name__)

BEGIN, END = "<!-- embedding: merge_with_base -->", "<!-- embedding: merge_with_base end -->"


def merge_with_base(session, result) -> dict[str, Any] | None:
    """Merge, choose, save final/ (merged) and final-unmerged/; the merge.json record (None without the key)."""
    plan = session.plan
    spec = plan.config.merge_with_base
    if spec is None:
        return None
    model = session.trainer.model
    found = find_model(plan.config.base_model.name, "base_model.name")
    check_base_unchanged(plan.run_dir, found.location, found.source)  # the weights the run started from
    base, _ = load_model(plan.config.base_model, "base_model")
    check_mergeable(model, base)
    trained, base_weights = snapshot(model), snapshot(base)
    del base
    alphas = spec.alphas()
    main = getattr(plan.evaluator, "primary_metric", None) if plan.evaluator is not None else None
    rows = []
    for alpha in alphas:
        model.load_state_dict(interpolate(trained, base_weights, alpha))
        rows.append({"alpha": alpha, "metrics": from_main(evaluate, plan, model)})
        logger.info("merge_with_base alpha %s: %s", alpha, rows[-1]["metrics"].get(main, "-"))
    tasks = _task_rows(plan, model, trained, base_weights, alphas) if plan.config.evaluation.tasks else []
    chosen = choose_alpha(rows, main, spec.tolerance)
    model.load_state_dict(interpolate(trained, base_weights, chosen))
    record = {
        "alpha": spec.alpha,
        "alphas": alphas,
        "chosen": chosen,
        "main_metric": main,
        "tolerance": spec.tolerance,
        "chosen_on": (
            f"evaluator ({main}): the smallest alpha within {spec.tolerance} of the best"
            if main and len(alphas) > 1
            else "the only alpha"
        ),
        "rows": rows,
        "tasks": tasks,
        "final": "final",
        "unmerged": UNMERGED,
    }
    _keep_unmerged(result.model_dir)
    save_final_model(session.trainer, result.model_dir)
    _write_record(plan.run_dir, result.model_dir, record)
    return record


def choose_alpha(rows: list[dict[str, Any]], main: str | None, tolerance: float = 0.0) -> float:
    """The smallest alpha (the closest to the base model) whose main metric is within `tolerance` of the best one;
    the first alpha when nothing was measured.

    Why not simply the best: on the training domain's validation data the trained end (alpha 1) nearly always wins
    by a hair, and choosing it throws away what merging is for (the base model's quality elsewhere, which the
    evaluator does not see). A tolerance trades a bounded in-domain loss for all of that."""
    scored = [r for r in rows if main and isinstance(r["metrics"].get(main), (int, float))]
    if not scored:
        return rows[0]["alpha"]
    best = max(r["metrics"][main] for r in scored)
    return min(r["alpha"] for r in scored if r["metrics"][main] >= best - tolerance)


def _task_rows(plan, model, trained, base_weights, alphas: list[float]) -> list[dict[str, Any]]:
    """`evaluation.tasks` on every alpha (each saved to a scratch folder, removed after); rows as dicts with model
    `alpha <a>`."""
    scratch = plan.run_dir / ".merge-candidates"
    folders = {}
    for alpha in alphas:
        model.load_state_dict(interpolate(trained, base_weights, alpha))
        folders[str(scratch / f"alpha-{alpha}")] = f"alpha {alpha}"
        _save(model, scratch / f"alpha-{alpha}")
    barrier()
    try:
        return _run_tasks(plan, folders)  # every process encodes a share
    finally:
        if is_main():
            shutil.rmtree(scratch, ignore_errors=True)


@main_only
def _save(model, folder: Path) -> None:
    model.save(str(folder))


def _run_tasks(plan, folders: dict[str, str]) -> list[dict[str, Any]]:
    def eval_config() -> EvalConfig:
        return EvalConfig(
            models=[ModelSpec(name=folder) for folder in folders],
            tasks=plan.config.evaluation.tasks,
            dimensions=plan.config.evaluation.dimensions,
            output_dir=str(plan.run_dir / ".merge-candidates" / "evaluation"),
            seed=plan.seed,
        )

    rows = evaluate_tasks_on_every_rank(eval_config, logger.info)
    return [dataclasses.asdict(dataclasses.replace(row, model=folders[row.model])) for row in rows]


@main_only
def _keep_unmerged(final: Path) -> None:
    """final/ (the trained model, just saved) becomes final-unmerged/; an older one is moved aside, not deleted."""
    unmerged = final.with_name(UNMERGED)
    if unmerged.exists():
        unmerged.rename(unmerged.with_name(f"{UNMERGED}.old-{time.strftime('%Y%m%d-%H%M%S')}"))
    final.rename(unmerged)


@main_only
def _write_record(run_dir: Path, final: Path, record: dict[str, Any]) -> None:
    """merge.json, and the alpha table in final/README.md (replaced, never duplicated, by a re-run)."""
    write_json(run_dir / MERGE_JSON, record)  # whole, never through a planted link (safe_files)
    card = final / "README.md"
    existing = card.read_text(encoding="utf-8") if card.exists() else ""
    head, _, rest = existing.partition(BEGIN)
    head, rest = head.rstrip("\n"), rest.partition(END)[2].strip("\n")
    section = "\n".join([BEGIN, *card_section(record), END])
    write_text(card, "\n\n".join(part for part in (head, section, rest) if part) + "\n", run_dir)
