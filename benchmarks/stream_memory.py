"""Does `datasets.train.streaming: true` keep memory flat as the data grows? Peak RSS of 200 training steps on a
generated e-faq set at 1x, 10x and 100x its rows, streamed and in memory.

Each run is its own `embedding train` process (a tiny random BERT: the model's memory is the same for every run, so
the data's share shows); its peak RSS is the child's `ru_maxrss` from `os.wait4`. Every run gets a fresh datasets
cache, so the in-memory path preprocesses from scratch as a first run would. The data is written as 8 JSONL shards.
Streaming passes when its peak at the largest scale is within 10 % of the next largest (10x). The defaults took 9 min
on the shared 2-core CPU (load average 5-15): 632 / 705 / 709 MiB streamed, 634 / 704 / 1,449 MiB in memory.

    python benchmarks/stream_memory.py [--rows 1000] [--scales 1 10 100] [--steps 200] [--output /tmp/stream-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARDS = 8
WORDS = "pedido entrega cartao produto troca pagamento boleto cupom frete nota senha conta loja prazo".split()


def faq_rows(count: int, seed: int = 0):
    """e-faq rows with distinct texts (a question number in each), 2 positives and 2 negatives per row."""
    rng = random.Random(seed)

    def text(i: int, kind: str) -> str:
        return f"{' '.join(rng.sample(WORDS, 4))} {kind} {i}"

    for i in range(count):
        yield {
            "sentence": text(i, "q"),
            "similar": [text(i, "s1"), text(i, "s2")],
            "almost_similar": [text((i + 1) % count, "q")],
            "dissimilar": [text((i + 7) % count, "q")],
        }


def write_data(folder: Path, rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = [(folder / f"train-{i:05d}-of-{SHARDS:05d}.jsonl").open("w", encoding="utf-8") for i in range(SHARDS)]
    for i, row in enumerate(faq_rows(rows)):
        files[i % SHARDS].write(json.dumps(row) + "\n")
    for handle in files:
        handle.close()
    return folder


def config(model: Path, data: Path, out: Path, streaming: bool, steps: int) -> dict:
    train = {"name": str(data), "args": {"split": "train"}, "preprocess_args": {"negative_samples": 1}}
    return {
        "run_name": "stream" if streaming else "memory",
        "base_model": {"name": str(model)},
        "output_dir": str(out),
        "objectives": [{"type": "contrastive", "datasets": {"train": {**train, "streaming": streaming}}}],
        "args": {
            "max_steps": steps,
            "per_device_train_batch_size": 16,
            "learning_rate": 1e-4,
            "save_strategy": "no",
            "logging_steps": 50,
            "report_to": "none",
            "seed": 1,
        },
    }


def peak_rss(cfg_path: Path, cache: Path) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of one `embedding train` process."""
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "HF_DATASETS_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "embedding", "train", "-c", str(cfg_path), "--overwrite"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cfg_path} failed:\n{child.stderr.read().decode()[-3000:]}")
    child.stderr.close()
    return usage.ru_maxrss / 1024, seconds  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000, help="raw e-faq rows at 1x")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--output", type=Path, default=Path("/tmp/stream-memory"))
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from tests.conftest import write_tiny_bert

    out = args.output
    model = out / "tiny-bert"
    if not model.exists():
        write_tiny_bert(model)
    results = []
    for scale in args.scales:
        data = write_data(out / f"data-{scale}x", args.rows * scale)
        for streaming in (True, False):
            cfg = out / f"{'stream' if streaming else 'memory'}-{scale}x.yaml"
            cfg.write_text(yaml.safe_dump(config(model, data, out / f"runs-{scale}x", streaming, args.steps)))
            rss, seconds = peak_rss(cfg, out / "cache")
            name = "streaming" if streaming else "in memory"
            results.append(
                {"scale": scale, "rows": args.rows * scale, "streaming": streaming, "rss": rss, "s": seconds}
            )
            print(f"{scale}x {name}: {rss:.0f} MiB peak, {seconds:.0f} s", flush=True)
    report(results)


def report(results: list[dict]) -> None:
    print("\n| scale | raw rows | streaming peak RSS | in-memory peak RSS | streaming s | in-memory s |")
    print("|" + "---|" * 6)
    by = {(r["scale"], r["streaming"]): r for r in results}
    for scale in sorted({r["scale"] for r in results}):
        s, m = by[scale, True], by[scale, False]
        print(f"| {scale}x | {s['rows']:,} | {s['rss']:.0f} MiB | {m['rss']:.0f} MiB | {s['s']:.0f} | {m['s']:.0f} |")
    scales = sorted({r["scale"] for r in results})
    first, last = scales[0], scales[-1]
    for streaming in (True, False):
        growth = by[last, streaming]["rss"] / by[first, streaming]["rss"] - 1
        name = "streaming" if streaming else "in memory"
        print(f"{name}: peak RSS {growth:+.1%} from {first}x to {last}x")
    # Below ~1,000 raw rows per shard file a stream's batches are the whole file (streaming.BATCH_ROWS): memory is
    # flat from there on, so the verdict compares the two largest scales (10x and 100x by default).
    base = scales[-2] if len(scales) > 1 else first
    change = by[last, True]["rss"] / by[base, True]["rss"] - 1
    print(f"streaming peak RSS {change:+.1%} from {base}x to {last}x: {'flat' if abs(change) <= 0.10 else 'NOT flat'}")


if __name__ == "__main__":
    main()
