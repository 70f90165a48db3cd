"""Throughput of the e-faq ranking preprocessor (contrastive rows) against the earlier implementation.

Usage:
    python benchmarks/preprocess_throughput.py                      # 1,000,000 rows
    python benchmarks/preprocess_throughput.py --rows 100000 1000000  # scaling check
    python benchmarks/preprocess_throughput.py --rows 20000 --skip-baseline

The synthetic data is deterministic: row i has a question, 5 `similar` paraphrases, 5 `almost_similar` and
5 `dissimilar` texts that are other rows' questions (as in real e-faq data). Rates are raw rows per second.

Baselines, written here as the earlier implementation had them (commit `6e63ec2`), seeded so that runs repeat
and the pool fill cannot loop forever:
- "seed end-to-end": the generator iterates the `datasets.Dataset` row by row and is materialised with
  `Dataset.from_generator`, as the earlier trainer did;
- "generator only": the same generator over plain Python lists, consumed without materialising anything
  (conversion excluded): a lower bound on the earlier algorithm's cost.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TEMPLATES = (
    "how do i track the delivery of order",
    "can i change the address of order",
    "what is the refund policy for order",
    "where is the invoice for order",
)


def synthetic_efaq(rows: int, seed: int = 0):
    """A deterministic e-faq table built column-wise with Arrow (generation stays a small part of the run)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    ids = pc.cast(pa.array(np.arange(rows)), pa.string())
    template = pa.array(np.array(TEMPLATES, dtype=object)[np.arange(rows) % len(TEMPLATES)], pa.string())
    sentence = pc.binary_join_element_wise(template, ids, " ")
    offsets = pa.array(np.arange(0, 5 * rows + 1, 5, dtype=np.int32))
    rep = pc.cast(pa.array(np.repeat(np.arange(rows), 5)), pa.string())
    variant = pa.array(
        np.tile(np.array(["please", "quickly", "today", "again", "now"], dtype=object), rows), pa.string()
    )
    similar = pc.binary_join_element_wise("question", rep, "paraphrase", variant, " ")

    def others():
        return sentence.take(pa.array(rng.integers(0, rows, 5 * rows)))

    columns = {"sentence": sentence, "similar": similar, "almost_similar": others(), "dissimilar": others()}
    return pa.table(
        {name: col if name == "sentence" else pa.ListArray.from_arrays(offsets, col) for name, col in columns.items()}
    )


class SeedRanking:
    """The earlier EFAQRankingGenerator (commit 6e63ec2), seeded and guarded so it terminates."""

    def __init__(self, rows, k: int, seed: int):
        self.rows, self.k, self.rng = rows, k, random.Random(seed)
        pool: set[str] = set()
        for row in rows:
            pool.update(t for t in row["almost_similar"] if t)
        for row in rows:
            pool.update(t for t in row["dissimilar"] if t)
        self.pool = sorted(pool)  # the seed kept set order (hash-seed dependent); sorted keeps runs identical
        self.rng.shuffle(self.pool)

    def __call__(self):
        k, rng = self.k, self.rng
        cycle = itertools.cycle(self.pool) if self.pool and k else None
        for row in self.rows:
            anchor = row["sentence"]
            positives = sorted({t for t in row["similar"] if t})
            if not positives:
                continue
            candidates = {t for t in row["dissimilar"] + row["almost_similar"] if t}
            if len(candidates) < k:
                if cycle is None or len(candidates | set(self.pool)) < k:
                    continue  # the seed loops forever here; the guard keeps the benchmark finite
                while len(candidates) < k:
                    candidates.add(next(cycle))
            ordered = sorted(candidates)
            for positive in positives:
                negatives = rng.sample(ordered, k) if k else []
                yield {
                    "anchor": anchor,
                    "positive": positive,
                    **{f"negative_{i + 1}": text for i, text in enumerate(negatives)},
                }


def timed(fn):
    """Wall seconds (the reported rate), CPU seconds of this process (a check on a busy machine), result."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - start, time.process_time() - cpu, result


def report(name: str, rows: int, wall: float, cpu: float, out: int) -> None:
    print(
        f"  {name:<34} {wall:7.2f}s wall {rows / wall:11,.0f} rows/s | {cpu:7.2f}s CPU {rows / cpu:11,.0f} "
        f"rows/s | {out:,} rows out"
    )


def run(rows: int, k: int, seed: int, baseline: bool) -> dict[str, float]:
    import datasets

    from embedding.data.preprocess import training_rows

    datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory() as tmp:
        gen_s, _, table = timed(lambda: synthetic_efaq(rows, seed))
        datasets.Dataset(table).save_to_disk(f"{tmp}/raw")
        raw = datasets.load_from_disk(f"{tmp}/raw")
        print(f"\n{rows:,} raw rows (generated in {gen_s:.1f}s), negative_samples={k}")
        ours_s, ours_cpu, data = timed(
            lambda: training_rows(raw, "contrastive", {"negative_samples": k}, seed=seed, where="bench")
        )
        result = {"ours": rows / ours_s}
        report("ours (Arrow-batched map, cached)", rows, ours_s, ours_cpu, len(data.dataset))
        if baseline:
            generator = SeedRanking(raw, k, seed)
            seed_s, seed_cpu, seed_ds = timed(
                lambda: datasets.Dataset.from_generator(generator, cache_dir=f"{tmp}/gen", keep_in_memory=False)
            )
            report("seed end-to-end (from_generator)", rows, seed_s, seed_cpu, len(seed_ds))
            py_rows = raw.to_list()
            plain_s, plain_cpu, count = timed(lambda: sum(1 for _ in SeedRanking(py_rows, k, seed)()))
            report("seed generator only (no Arrow)", rows, plain_s, plain_cpu, count)
            result.update(seed=rows / seed_s, plain=rows / plain_s)
            print(
                f"  speed-up (wall): {seed_s / ours_s:.1f}x vs seed end-to-end, {plain_s / ours_s:.1f}x vs "
                f"generator only; (CPU): {seed_cpu / ours_cpu:.1f}x, {plain_cpu / ours_cpu:.1f}x"
            )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000], help="raw row counts to run")
    parser.add_argument("--negative-samples", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-baseline", action="store_true", help="time only the current preprocessor")
    args = parser.parse_args(argv)
    results = {n: run(n, args.negative_samples, args.seed, not args.skip_baseline) for n in args.rows}
    if len(results) > 1:
        small, large = min(results), max(results)
        print(
            f"\nscaling: {small:,} rows -> {results[small]['ours']:,.0f} rows/s; {large:,} rows -> "
            f"{results[large]['ours']:,.0f} rows/s (ratio {results[large]['ours'] / results[small]['ours']:.2f}; "
            "1.0 = linear)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
