"""Does bf16 autocast on a CPU with native bf16 (AMX / AVX512-BF16) train as well as fp32? The evidence that made
`precision: auto` pick bf16 on such CPUs (embedding/training/arguments.py).

Trains the AIA-BDE recipe (`benchmarks/configs/aia_bde.yaml` at 1 epoch = 50 steps of batch 64, seed 42) once per
precision and prints test nDCG@10, `train_runtime` and the verdict (bf16 within 0.005 nDCG@10 of fp32). ~15 min on
an idle 2-core Sapphire Rapids CPU.

    python benchmarks/cpu_bf16_quality.py [--output runs/bf16-quality]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "benchmarks" / "configs" / "aia_bde.yaml"
TOLERANCE = 0.005


def train(out: Path, precision: str) -> dict:
    """One run of the recipe; its test-split evaluation after training and the trainer's runtime."""
    command = [sys.executable, "-m", "embedding", "train", "--config", str(CONFIG), "--overwrite"]
    command += ["--set", f"output_dir={out}", "--set", f"run_name={precision}", "--set", f"precision={precision}"]
    command += ["--set", "args.num_train_epochs=1", "--set", "evaluation.tasks=[]"]  # the measured proof: 50 steps
    command += ["--set", "evaluator.dataset.args.split=test"]  # scored on the test split, as it was measured
    subprocess.run(command, cwd=REPO, check=True)
    run = out / precision
    after = json.loads((run / "evaluation.json").read_text())["after"]
    logs = [json.loads(line) for line in (run / "logs.jsonl").read_text().splitlines() if line.strip()]
    runtime = [r["train_runtime"] for r in logs if "train_runtime" in r]
    return {"ndcg@10": after["cosine_ndcg@10"], "train_runtime": runtime[-1] if runtime else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", default="runs/bf16-quality")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from embedding.models.hardware import native_bf16

    native = native_bf16()
    if native is None:
        sys.exit("this CPU has no native bf16 (AMX / AVX512-BF16): bf16 would be emulated, nothing to measure")
    out = Path(args.output).resolve()
    results = {precision: train(out, precision) for precision in ("fp32", "bf16")}
    print("| precision | AIA-BDE test nDCG@10 | train_runtime (s) |\n|---|---:|---:|")
    for precision, r in results.items():
        print(f"| {precision} | {r['ndcg@10']:.4f} | {r['train_runtime']} |")
    gap = abs(results["bf16"]["ndcg@10"] - results["fp32"]["ndcg@10"])
    verdict = "holds" if gap <= TOLERANCE else "does NOT hold"
    print(f"\nCPU bf16: {native}; |d nDCG@10| = {gap:.4f}: quality {verdict} (tolerance {TOLERANCE})")


if __name__ == "__main__":
    main()
