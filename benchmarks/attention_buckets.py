"""Packed attention buckets (issue 33): operators, attention calls and padding per training step, idle and busy.

One MiniLM training step (fp32, forward + backward of a symmetric in-batch ranking loss) on the batches
`train_e2e.py` trains on (AIA-BDE triplets, batch 32, shuffled), run packed with each padding budget of
`embedding/forward/packed_attention.py` (0 = one attention call per run of equal lengths, the pre-issue-33 path;
inf = one bucket). Printed per budget:

- load-independent: attention calls per step, operator events per step (torch.profiler, one step: aten ops and
  all recorded events), padded share of the attention score elements;
- timed: median step seconds idle and, with `--busy N`, under N busy-loop processes started by this script (the
  budgets interleave within each round, so drifting background load hits all alike).

    python benchmarks/attention_buckets.py --busy 2                     # ~6 min on an idle 2-core CPU
    python benchmarks/attention_buckets.py --budgets 0,0.25,0.5,1 --steps 2 --repeats 0   # counts only, ~1 min
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import train_e2e  # noqa: E402 - the end-to-end benchmark's data, next to this file
from busy import busy, load_average  # noqa: E402


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budgets", default="0,0.1,0.25,0.5,1,inf", help="padding budgets, comma-separated")
    p.add_argument("--steps", type=int, default=6, help="training steps timed per budget and round")
    p.add_argument("--repeats", type=int, default=2, help="rounds over all budgets (0: counts only)")
    p.add_argument("--busy", type=int, default=0, help="also time under N busy-loop processes (0: idle only)")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    p.add_argument("--batch-size", type=int, default=32)
    return p.parse_args(argv)


def load_steps(args):
    """The model (train mode, fp32) and the tokenized (anchor, positive, negative) columns of each step."""
    import json

    import torch
    from sentence_transformers import SentenceTransformer

    from embedding.models import resolve

    if args.threads:
        torch.set_num_threads(args.threads)
    model = SentenceTransformer(str(resolve(train_e2e.MINILM).location), device="cpu").train()
    e2e = train_e2e.parse(["--steps", str(args.steps), "--batch-size", str(args.batch_size)])
    with tempfile.TemporaryDirectory(prefix="attention-buckets-") as tmp:
        rows = [json.loads(x) for x in train_e2e.write_triplets(e2e, Path(tmp)).read_text().splitlines()]
    steps = []
    for s in range(args.steps):
        batch = rows[s * args.batch_size : (s + 1) * args.batch_size]
        steps.append([model.preprocess([r[c] for r in batch]) for c in ("anchor", "positive", "negative")])
    return model, steps


def train_step(model, features) -> None:
    """Forward (packed, as `embedding train` runs it on CPU) + backward of a symmetric in-batch ranking loss."""
    import torch

    from embedding.forward.sorted_step import embed_sorted

    anchor, positive, negative = embed_sorted(model, features, 16, packed=True)
    scores = 20 * anchor @ torch.cat([positive, negative]).T
    labels = torch.arange(len(anchor))
    loss = torch.nn.functional.cross_entropy(scores, labels) + torch.nn.functional.cross_entropy(
        scores[:, : len(anchor)].T, labels
    )
    loss.backward()
    model.zero_grad(set_to_none=True)


# operators that only make a view or read metadata: no kernel, no parallel region
VIEWS = {
    "aten::" + name
    for name in "as_strided view reshape _unsafe_view _reshape_alias transpose t expand slice narrow select unsqueeze "
    "squeeze permute detach alias resolve_conj resolve_neg split unbind empty empty_like empty_strided new_empty "
    "to lift_fresh".split()
}


def counts(model, steps) -> dict:
    """Load-independent figures of the current budget: attention calls, operator events, padded share."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    from embedding.forward import packed_attention
    from embedding.forward.sorted_step import plan_sorted

    calls = []
    original = torch.nn.functional.scaled_dot_product_attention
    torch.nn.functional.scaled_dot_product_attention = lambda q, *a, **k: calls.append(1) or original(q, *a, **k)
    try:
        train_step(model, steps[0])
    finally:
        torch.nn.functional.scaled_dot_product_attention = original
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train_step(model, steps[0])
    events = prof.key_averages()
    exact = padded = 0
    for features in steps:
        lengths = plan_sorted(features).lengths
        runs = _runs(lengths)
        exact += sum(texts * length * length for _, texts, length in runs)
        padded += sum(b.texts * b.width * b.width for b in packed_attention.buckets(runs))
    return {
        "attention_calls": len(calls),
        "aten_ops": sum(e.count for e in events if e.key.startswith("aten::")),
        "kernel_ops": sum(e.count for e in events if e.key.startswith("aten::") and e.key not in VIEWS),
        "padding": padded / exact - 1,
    }


def _runs(lengths):
    from embedding.forward.packed import _runs as runs

    return runs(lengths)


def timed(model, steps) -> tuple[float, float]:
    """Median wall and process CPU seconds of one training step over `steps`."""
    walls, cpus = [], []
    for features in steps:
        begun, cpu = time.perf_counter(), time.process_time()
        train_step(model, features)
        walls.append(time.perf_counter() - begun)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def measure(args, model, steps, budgets: list[float], competing: int) -> dict[float, list[tuple[float, float]]]:
    from embedding.forward import packed_attention

    out: dict[float, list[tuple[float, float]]] = {b: [] for b in budgets}
    if not args.repeats:
        return out
    with busy(competing):
        train_step(model, steps[0])  # warm-up under the same load
        for _ in range(args.repeats):
            for budget in budgets:
                packed_attention.PADDING_BUDGET = budget
                out[budget].append(timed(model, steps))
    return out


def main(argv=None) -> int:
    from embedding.forward import packed_attention

    args = parse(argv)
    budgets = [math.inf if b.strip() == "inf" else float(b) for b in args.budgets.split(",")]
    model, steps = load_steps(args)
    table = {}
    for budget in budgets:
        packed_attention.PADDING_BUDGET = budget
        table[budget] = counts(model, steps)
        print(f"budget {budget}: {table[budget]}", file=sys.stderr, flush=True)
    idle = measure(args, model, steps, budgets, 0)
    loaded = measure(args, model, steps, budgets, args.busy) if args.busy else {}
    load = load_average()
    print(
        f"MiniLM fp32, {args.steps} steps of batch {args.batch_size} AIA-BDE triplets, threads "
        f"{args.threads or 'default'}, {args.repeats} round(s); busy: {args.busy} process(es); "
        f"load {load:.1f} at the end"
    )
    print(
        "\n| budget | attention calls / step | aten ops / step | kernel ops / step | padded score elements "
        "| step s idle (CPU s) | step s busy (CPU s) | busy / idle |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for budget in budgets:
        c = table[budget]
        i, b = (min(runs, default=(math.nan, math.nan)) for runs in (idle[budget], loaded.get(budget, [])))
        print(
            f"| {budget:g} | {c['attention_calls']} | {c['aten_ops']:,} | {c['kernel_ops']:,} | {c['padding']:+.1%} "
            f"| {i[0]:.3f} ({i[1]:.2f}) | {b[0]:.3f} ({b[1]:.2f}) | {b[0] / i[0]:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
