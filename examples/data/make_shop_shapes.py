"""Derive the `labeled` and `scored-pairs` examples from shop-faq, so every `embedding init` template has data.

    python examples/data/make_shop_shapes.py   # writes examples/data/shop-intents/ and examples/data/shop-sts/

- shop-intents (labeled: text, label): each FAQ's question and its paraphrases, labeled with the FAQ's question.
- shop-sts (scored-pairs: sentence1, sentence2, score): each FAQ question paired with its paraphrases (score 1.0),
  its almost-similar questions (0.5) and its dissimilar ones (0.0).

Standard library only and deterministic: the splits are shop-faq's (split by FAQ intent), rows in file order.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCORES = {"similar": 1.0, "almost_similar": 0.5, "dissimilar": 0.0}


def derive(faq: list[dict]) -> tuple[list[dict], list[dict]]:
    """(labeled rows, scored pairs) of one split's e-faq rows."""
    labeled, scored = [], []
    for row in faq:
        label = row["sentence"]
        labeled += [{"text": text, "label": label} for text in [row["sentence"], *row["similar"]]]
        for column, score in SCORES.items():
            scored += [{"sentence1": row["sentence"], "sentence2": text, "score": score} for text in row[column]]
    return labeled, scored


def main() -> None:
    for split in ("train", "validation", "test"):
        lines = (HERE / "shop-faq" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        labeled, scored = derive([json.loads(line) for line in lines if line.strip()])
        for folder, rows in (("shop-intents", labeled), ("shop-sts", scored)):
            path = HERE / folder / f"{split}.jsonl"
            path.parent.mkdir(exist_ok=True)
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
            print(f"{path.relative_to(HERE.parents[1])}: {len(rows)} rows")


if __name__ == "__main__":
    main()
