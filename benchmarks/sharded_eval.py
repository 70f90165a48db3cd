"""IR evaluation or hard-negative mining with 1 process vs N processes (torchrun, gloo on CPU): wall time, and
equal metrics / identical negatives.

The N-process side is what a multi-process training run does: for its before/after evaluation
(`embedding.training.distributed.sharded_eval.evaluate_on_every_rank`) rank 0 runs the evaluator and every rank
encodes its
share of each encode call; with `--mining`, rank 0 mines (`embedding.data.mining`, the SciFact test queries with
their relevant documents as (anchor, positive) pairs, the corpus as candidates) and every rank encodes whole
1-process batches of it (`embedding.training.distributed.sharded_mining`). Each side gets the same CPU cores in total
(1 process x N threads vs N processes x 1 thread), so the ratio is what sharding buys on the same machine.

    python benchmarks/sharded_eval.py                       # SciFact test (5,183 documents), 2 processes
    python benchmarks/sharded_eval.py --max-corpus 1000     # quicker
    python benchmarks/sharded_eval.py --mining --max-corpus 1000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "scifact" / "beir"


def evaluate(args) -> None:
    """One side: load the task and the model, evaluate or mine (sharded when launched by torchrun), print JSON on
    rank 0."""
    import torch

    from embedding.config.common import ModelSpec
    from embedding.config.eval_schema import TaskSpec
    from embedding.evaluation.retrieval import build_ir_evaluator, subsample
    from embedding.evaluation.tasks import load_task
    from embedding.models import load_model
    from embedding.training.distributed.coordination import is_main, state

    torch.set_num_threads(args.threads)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        state()  # the process group, as a training run has it
    task = TaskSpec(type="ir", dataset={"name": args.dataset}, split=args.split)
    data = load_task(task, 0, seed=42)
    if args.mining:
        started = time.perf_counter()
        digest = mine(subsample(data.ir, max_queries=None, max_corpus=args.max_corpus, seed=42), args)
        result = {"seconds": time.perf_counter() - started, "negatives": digest}
    else:
        from embedding.training.distributed.sharded_eval import evaluate_on_every_rank

        evaluator = build_ir_evaluator(data.ir, {"batch_size": args.batch_size}, max_corpus=args.max_corpus, seed=42)
        model, _ = load_model(ModelSpec(name=args.model), "--model")
        started = time.perf_counter()
        metrics = evaluate_on_every_rank(lambda: evaluator(model), model)
        # Only rank 0 ran the evaluator, so only there does it know its primary metric (it prints the result).
        result = {"seconds": time.perf_counter() - started, "ndcg": metrics.get(evaluator.primary_metric)}
    if is_main():
        print(json.dumps(result))


def mine(ir, args) -> str:
    """Mine 10 negatives per (query, relevant document) pair among the corpus; a digest of every ranked list."""
    import datasets

    from embedding.data.args import MiningArgs
    from embedding.data.mining import _ranked
    from embedding.training.distributed.sharded_mining import mine_on_every_rank

    pairs = [(ir.queries[q], ir.corpus[d]) for q in sorted(ir.relevant_docs) for d in sorted(ir.relevant_docs[q])]
    pairs = datasets.Dataset.from_dict({"anchor": [a for a, _ in pairs], "positive": [p for _, p in pairs]})
    options = MiningArgs(model=args.model, num_negatives=10, batch_size=args.batch_size)
    # The model is loaded inside the timed step, as mining does in a run (rank 0 loads it, the others on request).
    found = mine_on_every_rank(_ranked, pairs, list(ir.corpus.values()), 30, options, "mining")
    ranked = sorted((key, [text for text, _ in candidates]) for key, (_, candidates) in found.items())
    return hashlib.sha256(json.dumps(ranked).encode()).hexdigest()[:16]


def run(command: list[str], threads: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    out = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--dataset", default=str(DEFAULT_DATA))
    parser.add_argument("--split", default="test")
    parser.add_argument("--max-corpus", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--mining", action="store_true", help="time hard-negative mining instead of evaluation")
    parser.add_argument("--threads", type=int, default=0, help="(internal) threads of one side's process")
    parser.add_argument("--side", action="store_true", help="(internal) run one side")
    args = parser.parse_args()
    if args.side:
        return evaluate(args)
    n = args.processes
    common = [__file__, "--side", "--model", args.model, "--dataset", args.dataset, "--split", args.split]
    common += ["--batch-size", str(args.batch_size)] + (
        ["--max-corpus", str(args.max_corpus)] if args.max_corpus else []
    )
    common += ["--mining"] if args.mining else []
    one = run([sys.executable, *common, "--threads", str(n)], n)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(n)]
    many = run([*torchrun, *common, "--threads", "1"], 1)
    what = "negatives (digest)" if args.mining else "nDCG@10"
    print(f"| processes | wall (s) | {what} |\n|---|---:|---:|")
    for label, side in ((f"1 x {n} threads", one), (f"{n} x 1 thread", many)):
        value = side["negatives"] if args.mining else f"{side['ndcg']:.6f}"
        print(f"| {label} | {side['seconds']:.1f} | {value} |")
    if args.mining:
        same = "identical" if one["negatives"] == many["negatives"] else "DIFFERENT"
    else:
        same = f"|d nDCG@10| = {abs(one['ndcg'] - many['ndcg']):.1e}"
    print(f"\nratio {one['seconds'] / many['seconds']:.2f}x; {same}")


if __name__ == "__main__":
    main()
