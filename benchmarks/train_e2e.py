"""End to end: `embedding train` vs a stock SentenceTransformerTrainer script, the trainers' own `train_runtime`.

The figure a user checks first (issue 15). Both train the packaged all-MiniLM-L6-v2 on the same pairs file:
AIA-BDE train triplets (anchor, positive, negative; ../shared/datasets/aia-bde/efaq, each question with one of its
paraphrases and one of its listed dissimilar questions, seeded), batch 32, `--steps` steps (one epoch of
steps x 32 rows), NO_DUPLICATES, shuffled batches, fp32, no evaluation, nothing saved during training.

- embedding: `embedding train` (a subprocess, its CLI) with the `ranking` loss, `batch_sampler: no_duplicates`,
  `group_by_length: false`, `precision: fp32`, no evaluator, `evaluation.before: false`; everything else is the
  project's default, whatever it is when this runs. train_runtime: the run's logs.jsonl.
- stock: a script (a subprocess) with SentenceTransformerTrainer, MultipleNegativesRankingLoss in both directions
  (`directions=("query_to_doc", "doc_to_query")`, `partition_mode="per_direction"`: what `ranking` computes),
  `batch_sampler=NO_DUPLICATES`, per-column encoder calls (`column_merging_disabled()`: on a CPU one padded call
  for all candidate columns costs more than one call per column). train_runtime: the trainer's metrics.

Rounds alternate the two sides; the ratio (stock train_runtime / embedding train_runtime, > 1: embedding faster)
is taken within each round, and reported as the median and range. CPU seconds of each process are shown too
(steadier than wall time when other jobs share the machine).

`--busy N` (issue 33) repeats the rounds under N competing busy-loop processes, started before and stopped after
them by this script (`busy.py`; N = the core count: one per core), so one run reports the ratio idle and busy on
the same rows and batches; each row records the machine's 1-minute load average (mean and max of samples every
5 s while that side trained).

    python benchmarks/train_e2e.py                     # 24 steps, 1 round: ~4 min on an idle 2-core CPU
    python benchmarks/train_e2e.py --steps 24 --repeats 2 --busy 2   # idle, then 2 busy loops: ~25 min
    python benchmarks/train_e2e.py --steps 32 --repeats 3 --threads 1 --out benchmarks/results/e2e.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from busy import LoadSampler, busy  # noqa: E402 - next to this file

REPO = Path(__file__).resolve().parents[1]
EFAQ = REPO.parent / "shared" / "datasets" / "aia-bde" / "efaq"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=24, help="optimizer steps (rows = steps x batch size)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=1, help="rounds, each running both sides")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="CPU threads of both sides (OMP_NUM_THREADS; 0: torch's default); 1 is steadier on a shared machine",
    )
    p.add_argument(
        "--busy", type=int, default=0, help="also run the rounds under N busy-loop processes (0: idle only)"
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--model", default=MINILM)
    p.add_argument("--data", type=Path, default=EFAQ, help="an e-faq folder with train.jsonl")
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    p.add_argument("--stock-child", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def write_triplets(args, folder: Path) -> Path:
    """steps x batch (anchor, positive, negative) rows from e-faq train, seeded; clean texts, no self-negatives."""
    rng = random.Random(args.seed)
    raw = [json.loads(line) for line in (args.data / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = []
    for r in raw:
        anchor = r["sentence"].strip()
        negatives = [t.strip() for t in r.get("dissimilar") or [] if t and t.strip() and t.strip() != anchor]
        for positive in (t.strip() for t in r.get("similar") or [] if t and t.strip()):
            choices = [n for n in negatives if n != positive]
            if choices:
                rows.append({"anchor": anchor, "positive": positive, "negative": rng.choice(choices)})
    rng.shuffle(rows)
    wanted = args.steps * args.batch_size
    if len(rows) < wanted:
        raise SystemExit(f"{args.data}: {len(rows)} triplets, fewer than {wanted}; lower --steps")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "train.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:wanted]), encoding="utf-8")
    return path


def common_args(args) -> dict:
    """Trainer arguments both sides share (one epoch of the file = `steps` steps)."""
    return {
        "per_device_train_batch_size": args.batch_size,
        "num_train_epochs": 1,
        "seed": args.seed,
        "learning_rate": 5e-5,
        "save_strategy": "no",
        "eval_strategy": "no",
        "report_to": "none",
        "logging_steps": 10_000,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
    }


def config(args, data: Path, out: Path) -> dict:
    return {
        "run_name": "e2e",
        "base_model": {"name": args.model},
        "output_dir": str(out),
        "execution": {"group_by_length": False},
        "precision": "fp32",
        "evaluation": {"before": False},
        "objectives": [
            {
                "type": "contrastive",
                "loss": "ranking",
                "datasets": {"train": {"name": str(data), "args": {"split": "train"}}},
            }
        ],
        "args": {**common_args(args), "batch_sampler": "no_duplicates"},
    }


def stock_child(args, data: Path) -> None:
    """The stock script (runs in its own process): prints `RESULT {train_runtime}`."""
    from datasets import load_dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
    from sentence_transformers import SentenceTransformerTrainingArguments as Arguments
    from sentence_transformers.base.losses import column_merging_disabled
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    sys.path.insert(0, str(REPO))
    from embedding.models import resolve  # the same local files the embedding side finds (offline)

    model = SentenceTransformer(str(resolve(args.model).location))
    train = load_dataset("json", data_files=str(data / "train.jsonl"), split="train")
    loss = MultipleNegativesRankingLoss(
        model, directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction"
    )
    targs = Arguments(
        output_dir=str(data.parent / "stock-run"),
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        use_cpu=True,
        **common_args(args),
    )
    trainer = SentenceTransformerTrainer(model=model, args=targs, train_dataset=train, loss=loss)
    with column_merging_disabled():  # one encoder call per column
        output = trainer.train()
    print("RESULT " + json.dumps({"train_runtime": output.metrics["train_runtime"], "steps": output.global_step}))


def timed(command: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float, float, dict]:
    """Run `command`; (process, wall seconds, CPU seconds of the process and its children, load average)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begun = time.perf_counter()
    with LoadSampler() as load:
        proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env)
    wall = time.perf_counter() - begun
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), load.summary()


def failed(side: str, proc: subprocess.CompletedProcess) -> SystemExit:
    print(proc.stdout[-3000:], proc.stderr[-6000:], sep="\n", file=sys.stderr)
    return SystemExit(f"{side} failed (exit {proc.returncode})")


def run_embedding(args, data: Path, out: Path, env: dict) -> dict:
    import yaml

    path = out.parent / "e2e.yaml"
    path.write_text(yaml.safe_dump(config(args, data, out)))
    proc, wall, cpu, load = timed([sys.executable, "-m", "embedding", "train", "-c", str(path), "--overwrite"], env)
    logs = out / "e2e" / "logs.jsonl"
    records = [json.loads(x) for x in logs.read_text().splitlines() if x.strip()] if logs.exists() else []
    ends = [r for r in records if "train_runtime" in r]
    if proc.returncode or not ends:
        raise failed("embedding train", proc)
    steps = max((r.get("step", 0) for r in records), default=0)
    return {
        "train_runtime": ends[-1]["train_runtime"],
        "steps": steps,
        "process_wall": wall,
        "process_cpu": cpu,
        **load,
    }


def run_stock(args, data: Path, env: dict) -> dict:
    command = [sys.executable, __file__, "--stock-child", str(data)]
    command += ["--steps", str(args.steps), "--batch-size", str(args.batch_size), "--seed", str(args.seed)]
    proc, wall, cpu, load = timed(command + ["--model", args.model], env)
    found = [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not found:
        raise failed("stock script", proc)
    return {**found[-1], "process_wall": wall, "process_cpu": cpu, **load}


def spread(values: list[float]) -> str:
    values = sorted(values)
    median = f"{statistics.median(values):.2f}"
    return median if len(values) == 1 else f"{median} ({values[0]:.2f}–{values[-1]:.2f})"


def state(competing: int) -> str:
    return f"busy ({competing} busy loop{'s' if competing != 1 else ''})" if competing else "idle"


def report(args, rounds: list[dict]) -> str:
    lines = [
        f"`{args.model}`, {args.steps} steps of batch {args.batch_size} (AIA-BDE train triplets), fp32, "
        f"{os.cpu_count()} CPUs ({args.threads or 'default'} threads), load average {os.getloadavg()[0]:.1f} at the "
        f"end; {args.repeats} round(s) per machine state",
        "",
        "| machine state | round | stock train_runtime (s) | embedding train_runtime (s) | ratio (stock / embedding) "
        "| stock process CPU (s) | embedding process CPU (s) | load average, mean (max): stock / embedding |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rounds:
        s, e = r["stock"], r["embedding"]
        lines.append(
            f"| {state(r['busy'])} | {r['round']} | {s['train_runtime']:.1f} | {e['train_runtime']:.1f} | "
            f"{s['train_runtime'] / e['train_runtime']:.2f} | {s['process_cpu']:.0f} | {e['process_cpu']:.0f} | "
            f"{s['load_mean']:.1f} ({s['load_max']:.1f}) / {e['load_mean']:.1f} ({e['load_max']:.1f}) |"
        )
    lines.append("")
    runtimes = {}
    for competing in dict.fromkeys(r["busy"] for r in rounds):
        these = [r for r in rounds if r["busy"] == competing]
        ratios = [r["stock"]["train_runtime"] / r["embedding"]["train_runtime"] for r in these]
        runtimes[competing] = {
            k: statistics.median(r[k]["train_runtime"] for r in these) for k in ("stock", "embedding")
        }
        lines.append(f"{state(competing)}: embedding is {spread(ratios)}x as fast as the stock script")
    if args.busy and 0 in runtimes and args.busy in runtimes:
        slow = {k: runtimes[args.busy][k] / runtimes[0][k] for k in ("stock", "embedding")}
        lines.append(f"busy / idle train_runtime: stock {slow['stock']:.2f}x, embedding {slow['embedding']:.2f}x")
    return "\n".join(lines)


def run_rounds(args, data: Path, runs: Path, env: dict, competing: int, rounds: list[dict]) -> None:
    """`args.repeats` rounds of both sides under `competing` busy-loop processes, appended to `rounds`."""
    with busy(competing):
        for i in range(args.repeats):  # alternate who goes first: drifting background load hits both alike
            sides = ("stock", "embedding") if i % 2 == 0 else ("embedding", "stock")
            result: dict = {"busy": competing, "round": i + 1}
            for side in sides:
                print(f"{state(competing)}, round {i + 1}: {side} ...", file=sys.stderr, flush=True)
                result[side] = run_stock(args, data, env) if side == "stock" else run_embedding(args, data, runs, env)
                print(f"{state(competing)}, round {i + 1}: {side} train_runtime {result[side]['train_runtime']:.1f} s")
            rounds.append(result)
            if args.out:
                Path(args.out).write_text(json.dumps({"args": vars(args), "rounds": rounds}, indent=2, default=str))


def main(argv=None) -> int:
    args = parse(argv)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    if args.stock_child:
        stock_child(args, Path(args.stock_child))
        return 0
    rounds: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="train-e2e-") as tmp:
        data = write_triplets(args, Path(tmp) / "data").parent
        for competing in (0, args.busy) if args.busy else (0,):
            run_rounds(args, data, Path(tmp) / "runs", env, competing, rounds)
    print(report(args, rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
