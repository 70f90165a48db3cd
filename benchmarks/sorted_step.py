"""Step time of one training batch by `merge_columns` policy: per-column calls vs length-sorted chunks.

Same batches for every policy (shuffled, seeded), forward + backward of the `ranking` loss on all-MiniLM-L6-v2,
fp32, on this machine's CPU. Prints CPU ms per step (process time: steadier than wall time on a shared machine;
median and min over the timed batches) and the tokens the encoder saw per step (padding included).

    python benchmarks/sorted_step.py --batch 32 --steps 8 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
EFAQ = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "aia-bde" / "efaq"


def batches(batch: int, steps: int, seed: int) -> list[dict[str, list[str]]]:
    """Shuffled anchor / positive / 3 negatives rows of aia-bde/efaq train, `steps` batches of `batch` rows."""
    rng = random.Random(seed)
    raw = [json.loads(line) for line in (EFAQ / "train.jsonl").read_text().splitlines()]
    everything = [t for r in raw for t in [r["sentence"], *r["similar"]]]
    rows = [
        [r["sentence"], positive, *rng.sample(everything, 3)] for r in raw for positive in (r.get("similar") or [])
    ]
    rng.shuffle(rows)
    names = ["anchor", "positive", "negative_1", "negative_2", "negative_3"]
    return [
        {name: [row[i] for row in rows[b * batch : (b + 1) * batch]] for i, name in enumerate(names)}
        for b in range(steps)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunks", default="8,16,32")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from embedding.forward.columns import embed_grouped
    from embedding.losses.ranking import RankingLoss
    from embedding.models.resolution import resolve

    torch.set_num_threads(args.threads)
    model = SentenceTransformer(resolve("sentence-transformers/all-MiniLM-L6-v2").location, device="cpu")
    loss = RankingLoss(model)
    steps = batches(args.batch, args.steps + 1, args.seed)
    features = [[model.preprocess(column) for column in step.values()] for step in steps]
    policies = [("never", None)] + [("sorted", int(c)) for c in args.chunks.split(",")]
    tokens: list[int] = []
    model.register_forward_pre_hook(lambda module, inputs: tokens.append(inputs[0]["input_ids"].numel()))
    for policy, chunk in policies:
        times, tokens[:] = [], []
        for i, step in enumerate(features):
            model.zero_grad(set_to_none=True)
            begin = time.process_time()
            embeddings = embed_grouped(model, [dict(f) for f in step], policy, chunk_rows=chunk)  # forward adds keys
            loss.compute_loss_from_embeddings(embeddings, None).backward()
            if i:  # the first batch warms up
                times.append(time.process_time() - begin)
        name = policy + (f" (chunks of {chunk})" if chunk else " (per column)")
        print(
            f"{name:24s} {1000 * statistics.median(times):8.0f} CPU ms/step (min {1000 * min(times):.0f}), "
            f"{sum(tokens) / len(features):8.0f} tokens/step",
            flush=True,
        )


if __name__ == "__main__":
    main()
