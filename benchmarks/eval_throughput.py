"""IR evaluation throughput: plain sentence-transformers InformationRetrievalEvaluator vs `embedding`'s.

Same model, same data, same process; runs alternate (plain, ours, plain, ours, ...) so background load hits both
alike, and the best of `--repeats` runs is reported. Two settings:

- one size: one evaluator call at the model's full size;
- sweep: every size in `--dims` (plain ST needs one evaluator, and one encoding, per size).

Throughput is (queries + documents) / seconds. The metrics of both are compared too (they must agree), and the
padded tokens each batching makes the model process are counted: a noise-free measure of the work saved.

    python benchmarks/eval_throughput.py                              # SciFact, 100 queries, 300 documents
    python benchmarks/eval_throughput.py --max-queries 0 --max-corpus 0 --repeats 1   # all 300 / 5,183
    python benchmarks/eval_throughput.py --dataset ../shared/datasets/aia-bde/efaq
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "scifact" / "beir"


def load_data(dataset: str, split: str, max_queries: int, max_corpus: int, seed: int):
    from embedding.config.schema import DatasetSpec
    from embedding.evaluation.schema import TaskSpec
    from embedding.evaluation.tasks import load_task

    task = TaskSpec(
        type="ir",
        dataset=DatasetSpec(name=dataset),
        split=split,
        max_queries=max_queries or None,
        max_corpus=max_corpus or None,
    )
    return load_task(task, 0, seed=seed).ir


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def padded_tokens(model, data, batch_size: int) -> tuple[int, int]:
    """Tokens the forward passes process (padding included): ST's character-sorted batches vs ours (each distinct
    text once; where encoding runs packed, `packed_encoding`, only its real tokens).

    A noise-free measure of the work saved, for machines where timings jitter.
    """
    import numpy as np

    from embedding.evaluation.encode import batches_by_length, packed_encoding, token_lengths

    packed = packed_encoding(model) is not None

    plain = ours = 0
    for texts in (list(data.queries.values()), list(data.corpus.values())):
        lengths = np.asarray(token_lengths(model, texts))
        by_chars = np.argsort([-len(t) for t in texts])  # what SentenceTransformer.encode does
        plain += sum(
            int(lengths[by_chars[i : i + batch_size]].max()) * len(by_chars[i : i + batch_size])
            for i in range(0, len(texts), batch_size)
        )
        distinct = np.asarray(token_lengths(model, list(dict.fromkeys(texts))))
        if packed:
            ours += int(distinct.sum())
        else:
            ours += sum(int(distinct[b].max()) * len(b) for b in batches_by_length(distinct, batch_size))
    return plain, ours


def compare(name: str, plain_fn, ours_fn, texts: int, repeats: int) -> dict:
    """Alternate the two, keep each one's best wall and CPU time, check that the metrics agree."""
    best = {"plain": [float("inf"), float("inf")], "ours": [float("inf"), float("inf")]}
    results = {}
    for _ in range(repeats):
        for who, fn in (("plain", plain_fn), ("ours", ours_fn)):
            results[who], wall, cpu = timed(fn)
            best[who] = [min(best[who][0], wall), min(best[who][1], cpu)]
    diff = max(abs(results["plain"][k] - results["ours"][k]) for k in results["plain"])
    (pw, pc), (ow, oc) = best["plain"], best["ours"]
    print(
        f"{name:<10} plain ST {texts / pw:8.1f} texts/s ({pw:7.1f} s, cpu {pc:7.1f} s) | ours {texts / ow:8.1f} "
        f"texts/s ({ow:7.1f} s, cpu {oc:7.1f} s) | ratio {pw / ow:5.2f}x wall, {pc / oc:5.2f}x cpu | "
        f"max metric diff {diff:.1e}"
    )
    return {"setting": name, "plain_s": pw, "ours_s": ow, "ratio": pw / ow, "cpu_ratio": pc / oc, "diff": diff}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--dataset", default=str(DEFAULT_DATA), help="BEIR folder or e-faq/labeled dataset")
    parser.add_argument("--split", default="test")
    parser.add_argument("--max-queries", type=int, default=100, help="0 = all")
    parser.add_argument("--max-corpus", type=int, default=300, help="0 = all (relevant documents always kept)")
    parser.add_argument("--dims", default="64,128,256,384", help="sizes of the sweep setting")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    import torch
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    from embedding.config.schema import ModelSpec
    from embedding.evaluation.retrieval import build_ir_evaluator
    from embedding.models import load_model

    data = load_data(args.dataset, args.split, args.max_queries, args.max_corpus, args.seed)
    model, resolution = load_model(ModelSpec(name=args.model), "--model")
    full = model.get_embedding_dimension()
    dims = [d for d in (int(x) for x in args.dims.split(",")) if d <= full]
    texts = len(data.queries) + len(data.corpus)
    print(
        f"model {resolution.describe()}; data {args.dataset} ({args.split}): {data.summary()}; "
        f"torch threads {torch.get_num_threads()}, device {model.device}, batch size {args.batch_size}"
    )
    plain_tokens, our_tokens = padded_tokens(model, data, args.batch_size)
    print(
        f"padded tokens per encoding: plain ST {plain_tokens:,}, ours {our_tokens:,} "
        f"({100 * (1 - our_tokens / plain_tokens):.1f} % less work)"
    )
    model.encode(["warm up"] * 4)
    kwargs = {**data.as_evaluator_kwargs(), "batch_size": args.batch_size}

    def plain_one():
        return InformationRetrievalEvaluator(**kwargs)(model)

    def ours_one():
        return build_ir_evaluator(data, {"batch_size": args.batch_size})(model)

    def plain_sweep():
        out = {}
        for dim in dims:
            metrics = InformationRetrievalEvaluator(**kwargs, truncate_dim=dim)(model)
            out.update({f"{dim}/{k}": v for k, v in metrics.items()})
        return out

    def ours_sweep():
        results = build_ir_evaluator(data, {"batch_size": args.batch_size}).evaluate_dims(model, dims)
        return {f"{dim}/{k}": v for dim, metrics in results.items() for k, v in metrics.items()}

    compare("one size", plain_one, ours_one, texts, args.repeats)
    compare(f"sweep x{len(dims)}", plain_sweep, ours_sweep, texts, max(1, args.repeats - 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
