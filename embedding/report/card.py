"""The model card: sentence-transformers' generated README.md plus how exactly this model was made.

The generated card (widget, metrics, losses and citations, told through `model_card_data` by card_meta.py) stays
as sentence-transformers renders it; a "Training with embedding" section is appended (or replaced, when the card
is extended twice) with the resolved config, the data fingerprints and row counts, package versions, the seed and
the before/after evaluation.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml

from .tables import cell, metrics_table

logger = logging.getLogger(__name__)

BEGIN, END = "<!-- embedding:training:begin -->", "<!-- embedding:training:end -->"
PACKAGES = ("embedding", "sentence-transformers", "transformers", "torch", "datasets")
SECRET_KEY = re.compile(r"token|secret|password|api_key", re.IGNORECASE)
# Hugging Face and OpenAI-style credentials, in case one sits in a value such as a URL.
SECRET_VALUE = re.compile(r"\b(hf_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9_-]{20,})\b")


def scrub(value: Any) -> Any:
    """A copy without secrets: values under secret-looking keys and token-looking strings become ***.

    The config handed to the card is already redacted; this is the second lock on the door, because a model card
    is usually pushed to a public hub.
    """
    if isinstance(value, dict):
        # Containers under such keys (tokenizer_kwargs) are searched, not blanked; flags (use_auth_token) stay.
        return {
            k: (
                "***"
                if SECRET_KEY.search(str(k))
                and isinstance(v, (str, int, float))
                and not isinstance(v, bool)
                and v != ""
                else scrub(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return SECRET_VALUE.sub("***", value)
    return value


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def dataset_entries(plan) -> list[dict[str, Any]]:
    """One entry per objective split (train, validation) of a Plan, in the form `extend_model_card` takes."""
    entries = []
    for obj in plan.objectives:
        for split, data, spec in (
            ("train", obj.train, obj.spec.datasets.train),
            ("validation", obj.validation, obj.spec.datasets.validation),
        ):
            if data is None or spec is None:
                continue
            entries.append(
                {
                    "objective": obj.name,
                    "split": spec.args.get("split", split),
                    "name": spec.name,
                    "fingerprint": getattr(data.dataset, "_fingerprint", None) or "",
                    "rows": len(data.dataset),
                    "raw_rows": data.raw_rows,
                    "format": data.format,
                }
            )
    return entries


def training_section(
    *,
    config: dict[str, Any],
    datasets: list[dict[str, Any]],
    before: dict[str, float],
    after: dict[str, float],
    main_metric: str | None,
    seed: int,
) -> str:
    """The markdown appended to the card (between markers, so it can be replaced)."""
    lines = [
        BEGIN,
        "",
        "## Training with embedding",
        "",
        "This model was trained with `embedding` from the configuration below. To reproduce it, save the "
        "YAML block as `config.yaml` and run `embedding train --config config.yaml` with the package versions "
        "listed here.",
        "",
    ]
    if after or before:
        lines += ["### Evaluation before and after training", ""]
        lines += metrics_table(before or {}, after or {}, main_metric)
        lines.append("")
    if datasets:
        lines += [
            "### Training data",
            "",
            "| objective | split | dataset | rows | fingerprint |",
            "|---|---|---|---:|---|",
        ]
        for entry in datasets:
            rows = entry.get("rows", "")
            rows = f"{rows:,}" if isinstance(rows, int) else rows
            lines.append(
                f"| {cell(entry.get('objective', ''))} | {cell(entry.get('split', ''))} | "
                f"{cell(scrub(str(entry.get('name', ''))))} | {rows} | `{entry.get('fingerprint', '')}` |"
            )
        lines += [
            "",
            "Fingerprints are those of the preprocessed `datasets` tables: equal fingerprints, equal rows.",
            "",
        ]
        if len({entry.get("objective") for entry in datasets}) > 1:
            lines += [
                "In the training logs above, `<objective> training loss (smoothed)` is each objective's loss (the "
                "sum of its terms) smoothed over log events, as the terminal shows it; the run's logs.jsonl holds "
                "the raw values.",
                "",
            ]
    lines += ["### Reproducibility", "", f"- seed: `{seed}`"]
    lines += [f"- {name}: `{ver}`" for name, ver in package_versions().items()]
    text = yaml.safe_dump(scrub(config), sort_keys=False, allow_unicode=True).rstrip()
    lines += ["", "### Resolved configuration", "", "```yaml", text, "```", "", END]
    return "\n".join(lines) + "\n"


def extend_model_card(
    model_dir: Path,
    *,
    config: dict[str, Any],
    datasets: list[dict[str, Any]],
    before: dict[str, float],
    after: dict[str, float],
    main_metric: str | None,
    seed: int,
) -> None:
    """Append the "Training with embedding" section to `model_dir/README.md`, keeping the generated card.

    Args:
        model_dir: the saved model (the run's `final/`).
        config: the resolved config, already redacted (secrets are scrubbed again here).
        datasets: per objective split: objective, split, name, fingerprint, rows (see `dataset_entries`).
        before: evaluator metrics of the base model ({} when not measured).
        after: evaluator metrics of the trained model.
        main_metric: the evaluator's primary metric, bold in the table.
        seed: the run's seed.
    """
    card = Path(model_dir) / "README.md"
    existing = card.read_text(encoding="utf-8") if card.exists() else ""
    if BEGIN in existing:  # extended before (e.g. a re-run of the final evaluation): replace, never duplicate
        head, _, rest = existing.partition(BEGIN)
        existing = head + rest.partition(END)[2].lstrip("\n")
    section = training_section(
        config=config, datasets=datasets, before=before, after=after, main_metric=main_metric, seed=seed
    )
    card.write_text(existing.rstrip("\n") + "\n\n" + section if existing.strip() else section, encoding="utf-8")
