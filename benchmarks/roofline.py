"""Distance to the limit (issue 33): a training step's achieved FLOP/s against this machine's measured matmul peak.

In one run, on the same machine: the peak `torch.mm` FLOP/s (square products of a few sizes, best of several
repeats, fp32 and bf16), then one MiniLM training step as `embedding train` runs it on CPU (packed, forward +
backward of a symmetric in-batch ranking loss, the AIA-BDE triplet batches of `train_e2e.py`), in fp32 and under
bf16 autocast. FLOPs come from `torch.utils.flop_counter.FlopCounterMode` (matrix products; everything else counts
0) and time from the unprofiled steps, both means over the same `--steps` steps; torch.profiler's self CPU time
splits the step into phases:

- encoder matmuls: `aten::mm` / `aten::addmm` (every linear layer on the packed [tokens, hidden] rows, both passes);
- attention: `aten::bmm` and every operator on a 4-D tensor (the [texts, heads, width, width | head size] layout
  of the attention buckets: scale, mask, softmax, dropout and their backward);
- the rest: layer norm, GELU, hidden dropout, residual adds, embeddings, the bucket gathers, pooling, the loss,
  autograd bookkeeping.

    python benchmarks/roofline.py                  # ~3 min on an idle 2-core CPU
    python benchmarks/roofline.py --steps 3 --dtypes fp32
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attention_buckets import load_steps, train_step  # noqa: E402 - the same step, next to this file

PHASES = ("encoder matmuls", "attention", "the rest")
MATMULS = {"aten::mm", "aten::addmm"}


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=4, help="training steps timed per dtype")
    p.add_argument("--dtypes", default="fp32,bf16", help="fp32 and/or bf16 (autocast)")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    p.add_argument("--batch-size", type=int, default=32)
    return p.parse_args(argv)


def mm_peak(dtype, sizes=(512, 1024, 2048), repeats: int = 5, budget_s: float = 1.0) -> tuple[float, int]:
    """The best torch.mm FLOP/s over square sizes (and the size that reached it), after a warm-up product per size;
    a larger size only while one product takes under `budget_s` (bf16 without native support is emulated, slow)."""
    import torch

    best = (0.0, 0)
    for n in sizes:
        a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
        torch.mm(a, b)  # warm-up: kernels chosen, pages touched
        fastest = float("inf")
        for _ in range(repeats):
            begun = time.perf_counter()
            torch.mm(a, b)
            fastest = min(fastest, time.perf_counter() - begun)
            if fastest > budget_s:
                break
        best = max(best, (2 * n**3 / fastest, n))
        if fastest > budget_s:
            break
    return best


def autocast(dtype: str):
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16) if dtype == "bf16" else nullcontext()


def flops(model, steps, dtype: str) -> dict[str, float]:
    """Matrix-product FLOPs per step (mean over `steps`) by phase: bmm / SDPA kernels (attention) vs mm / addmm."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, autocast(dtype):
        for features in steps:
            train_step(model, features)
    by_op = {str(op).removeprefix("aten."): count for op, count in counter.get_flop_counts()["Global"].items()}
    attention = sum(count for op, count in by_op.items() if "bmm" in op or "attention" in op)
    matmuls = sum(count for op, count in by_op.items() if op in ("mm", "addmm"))
    rest = counter.get_total_flops() - matmuls - attention
    return {phase: value / len(steps) for phase, value in zip(PHASES, (matmuls, attention, rest), strict=True)}


def phase_of(event) -> str:
    if event.name in MATMULS:
        return "encoder matmuls"
    if event.name == "aten::bmm" or any(len(shape) == 4 for shape in event.input_shapes or ()):
        return "attention"
    return "the rest"


def phase_times(model, features, dtype: str) -> dict[str, float]:
    """Shares of one step's self CPU time by phase (torch.profiler, shapes recorded)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof, autocast(dtype):
        train_step(model, features)
    totals = dict.fromkeys(PHASES, 0.0)
    for event in prof.events():
        totals[phase_of(event)] += event.self_cpu_time_total
    whole = sum(totals.values())
    return {phase: value / whole for phase, value in totals.items()}


def step_seconds(model, steps, dtype: str) -> float:
    """Mean wall seconds of one step over `steps` (after a warm-up step)."""
    times = []
    with autocast(dtype):
        train_step(model, steps[0])  # warm-up
    for features in steps:
        with autocast(dtype):
            begun = time.perf_counter()
            train_step(model, features)
            times.append(time.perf_counter() - begun)
    return statistics.fmean(times)


def report(dtype: str, peak: float, step_flops: dict, shares: dict, seconds: float) -> list[str]:
    total = sum(step_flops.values())
    lines = [
        f"| {dtype} | whole step | {total / 1e9:.1f} | {seconds:.3f} | {total / seconds / 1e9:.1f} "
        f"| {total / seconds / peak:.0%} |"
    ]
    for phase in PHASES:
        spent = shares[phase] * seconds
        rate = step_flops[phase] / spent / 1e9 if spent else 0.0
        lines.append(
            f"| {dtype} | {phase} | {step_flops[phase] / 1e9:.1f} | {spent:.3f} ({shares[phase]:.0%}) | "
            f"{rate:.1f} | {rate * 1e9 / peak:.0%} |"
        )
    return lines


def main(argv=None) -> int:
    import os

    import torch

    args = parse(argv)
    model, steps = load_steps(args)
    dtypes = [d.strip() for d in args.dtypes.split(",")]
    peaks = {d: mm_peak(torch.float32 if d == "fp32" else torch.bfloat16) for d in dtypes}
    rows = []
    for dtype in dtypes:
        seconds = step_seconds(model, steps, dtype)
        step_flops = flops(model, steps, dtype)  # the same steps: FLOPs and seconds are means over them
        rows += report(dtype, peaks[dtype][0], step_flops, phase_times(model, steps[0], dtype), seconds)
    print(
        f"MiniLM, 1 training step (packed, forward + backward, batch {args.batch_size} AIA-BDE triplets), "
        f"{torch.get_num_threads()} threads, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
        f"load {os.getloadavg()[0]:.1f} at the end"
    )
    for dtype, (peak, size) in peaks.items():
        print(f"measured torch.mm peak {dtype}: {peak / 1e9:.1f} GFLOP/s (square {size})")
    print("\n| dtype | phase | GFLOP / step | seconds / step | achieved GFLOP/s | of the mm peak |")
    print("|---|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
