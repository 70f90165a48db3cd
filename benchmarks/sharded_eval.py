"""IR evaluation with 1 process vs N processes (torchrun, gloo on CPU): wall time and equal metrics.

The N-process side is what a multi-process training run does for its before/after evaluation
(`embedding.training.sharded_eval.evaluate_on_every_rank`): rank 0 runs the evaluator, every rank encodes its
share of each encode call. Each side gets the same CPU cores in total (1 process x N threads vs N processes x 1
thread), so the ratio is what sharding buys on the same machine.

    python benchmarks/sharded_eval.py                       # SciFact test (5,183 documents), 2 processes
    python benchmarks/sharded_eval.py --max-corpus 1000     # quicker
"""

from __future__ import annotations

import argparse
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
    """One side: load the task and the model, evaluate (sharded when launched by torchrun), print JSON on rank 0."""
    import torch

    from embedding.config.common import ModelSpec
    from embedding.config.eval_schema import TaskSpec
    from embedding.evaluation.retrieval import build_ir_evaluator
    from embedding.evaluation.tasks import load_task
    from embedding.models import load_model
    from embedding.training.distributed import is_main, state
    from embedding.training.sharded_eval import evaluate_on_every_rank

    torch.set_num_threads(args.threads)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        state()  # the process group, as a training run has it
    task = TaskSpec(type="ir", dataset={"name": args.dataset}, split=args.split)
    data = load_task(task, 0, seed=42)
    evaluator = build_ir_evaluator(data.ir, {"batch_size": args.batch_size}, max_corpus=args.max_corpus, seed=42)
    model, _ = load_model(ModelSpec(name=args.model), "--model")
    started = time.perf_counter()
    metrics = evaluate_on_every_rank(lambda: evaluator(model), model)
    seconds = time.perf_counter() - started
    if is_main():
        print(json.dumps({"seconds": seconds, "ndcg": metrics[evaluator.primary_metric]}))


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
    one = run([sys.executable, *common, "--threads", str(n)], n)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(n)]
    many = run([*torchrun, *common, "--threads", "1"], 1)
    print("| processes | wall (s) | nDCG@10 |\n|---|---:|---:|")
    print(f"| 1 x {n} threads | {one['seconds']:.1f} | {one['ndcg']:.6f} |")
    print(f"| {n} x 1 thread | {many['seconds']:.1f} | {many['ndcg']:.6f} |")
    print(f"\nratio {one['seconds'] / many['seconds']:.2f}x; |d nDCG@10| = {abs(one['ndcg'] - many['ndcg']):.1e}")


if __name__ == "__main__":
    main()
