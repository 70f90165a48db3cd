"""Corrections to the model card sentence-transformers generates, which sees one `ObjectiveLoss` per objective.

Left alone the card says `loss:ObjectiveLoss`, cites only the last objective's loss, names no base model and
calls the evaluator's data "Unknown". Here the front matter and the body are rewritten from what the run knows:
the base model, the real loss classes (main, extra terms, Matryoshka) with their BibTeX, the evaluator's
dataset, and each objective's loss next to the combined one in the training-log table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .objective_losses import SmoothedLosses

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
CITATION_BLOCK = re.compile(r"#### (?P<name>[^\n]+)\n```bibtex\n.*?```\n\n?", re.DOTALL)
UNKNOWN_BASE = re.compile(r"<!-- - \*\*Base model:\*\* \[Unknown\]\(https://huggingface\.co/unknown\) -->")


def objective_losses(loss) -> dict[str, str]:
    """{class name: BibTeX} of the losses one objective's ObjectiveLoss combines (main, extra terms, Matryoshka)."""
    found: dict[str, str] = {}
    for part in (getattr(loss, "main", loss), getattr(loss, "distillation", None), getattr(loss, "penalty", None)):
        if part is not None:
            citation = getattr(part, "citation", "")
            found[type(part).__name__] = citation if isinstance(citation, str) else ""
    if getattr(loss, "matryoshka_dims", None):
        from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss

        found["MatryoshkaLoss"] = MatryoshkaLoss.citation.fget(None)  # a constant string behind a property
    return found


def is_hub_id(name: str) -> bool:
    """`org/name` that is not a local folder: the only form the Hub's `base_model` metadata accepts."""
    return bool(HUB_ID.match(name)) and not Path(name).expanduser().exists()


def _front_matter(meta: dict[str, Any], base: str, losses: dict[str, str], eval_dataset: str | None) -> None:
    if losses:  # none known (a card extended again from outside a run): the tags stay
        meta["tags"] = [t for t in meta.get("tags") or [] if not str(t).startswith("loss:")]
        meta["tags"] += [f"loss:{name}" for name in losses]
    if is_hub_id(base):
        meta["base_model"] = base
    for model in meta.get("model-index") or []:
        if base and model.get("name") == "SentenceTransformer":
            model["name"] = f"SentenceTransformer based on {base}"
        for result in model.get("results") or []:
            dataset = result.get("dataset") or {}
            if eval_dataset and dataset.get("name") in (None, "Unknown"):
                dataset["name"] = eval_dataset
                dataset["type"] = re.sub(r"[^\w.-]+", "-", Path(eval_dataset).name or eval_dataset).lower()


def _citations(body: str, losses: dict[str, str]) -> str:
    """One BibTeX block per citation of the losses used (losses sharing one are named together)."""
    if not losses:
        return body
    by_text: dict[str, list[str]] = {}
    for name, citation in losses.items():
        if citation.strip():
            by_text.setdefault(citation.strip(), []).append(name)
    blocks = "".join(f"#### {' and '.join(names)}\n```bibtex\n{text}\n```\n\n" for text, names in by_text.items())
    kept = CITATION_BLOCK.sub(lambda m: m.group(0) if m.group("name") == "Sentence Transformers" else "", body)
    anchor = CITATION_BLOCK.search(kept)
    if anchor is None:
        return kept
    return kept[: anchor.end()] + blocks + kept[anchor.end() :]


def _loss_columns(body: str, logs: list[dict[str, Any]]) -> str:
    """The training-log table: `Training Loss` labelled combined, then each objective's smoothed loss."""
    smoothed, by_step = SmoothedLosses(), {}
    for record in logs:
        if "loss" in record and isinstance(record.get("step"), int) and "event" not in record:
            by_step[record["step"]] = smoothed.update(record)
    names = list(smoothed.values)
    head = re.search(r"### Training Logs\n((?:\|[^\n]*\n)+)", body)
    if len(names) < 2 or head is None:  # one objective: its loss is the combined loss
        return body
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in head.group(1).splitlines()]
    if "Training Loss" not in rows[0]:
        return body
    at = rows[0].index("Training Loss") + 1
    rows[0][at - 1] = "Training Loss (combined)"
    rows[0][at:at] = [f"{name} training loss (smoothed)" for name in names]  # `<name> loss` is its validation loss
    rows[1][at:at] = [":-:"] * len(names)
    for row in rows[2:]:
        step = row[1].strip("*") if len(row) > 1 else ""
        values = by_step.get(int(step), {}) if step.isdigit() else {}
        row[at:at] = [f"{values[n]:.4f}" if n in values else "-" for n in names]
    table = "".join("| " + " | ".join(row) + " |\n" for row in rows)
    note = "\nPer-objective columns: each objective's loss (sum of its terms), smoothed over log events.\n"
    return body[: head.start(1)] + table + note + body[head.end(1) :]


def read_logs(path: Path) -> list[dict[str, Any]]:
    """The records of a run's logs.jsonl; [] when it is missing; a line cut by a kill is skipped."""
    import json

    records = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def correct_card(
    text: str, *, base_model: str, losses: dict[str, str], eval_dataset: str | None, logs: list[dict[str, Any]]
) -> str:
    """The generated card with the base model, real losses, citations, dataset name and per-objective losses."""
    meta, body = {}, text
    if text.startswith("---\n") and "\n---\n" in text[4:]:
        raw, body = text[4:].split("\n---\n", 1)
        meta = yaml.safe_load(raw) or {}
    _front_matter(meta, base_model, losses, eval_dataset)
    if base_model:
        link = f"[{base_model}](https://huggingface.co/{base_model})" if is_hub_id(base_model) else f"`{base_model}`"
        body = UNKNOWN_BASE.sub(lambda _: f"- **Base model:** {link}", body)
        title = f"# SentenceTransformer based on {base_model}"
        body = re.sub(r"^# SentenceTransformer$", lambda _: title, body, count=1, flags=re.M)
    body = _loss_columns(_citations(body, losses), logs)
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n{body}" if meta else body
