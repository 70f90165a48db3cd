"""CPU encode throughput, metric and batch consistency of torch vs every `embedding export` format (ONNX, static and
dynamic int8, OpenVINO, static embeddings).

Same model, same texts, same batch size, same process, same thread count (`--threads`: torch's, and the
onnxruntime / OpenVINO sessions are built with torch's count); each model is warmed up, runs alternate
(torch, onnx, onnx-int8, openvino, torch, ...) so background load hits all alike, and the best and the median of
`--repeats` are reported.
The metric is the task evaluator's primary one (nDCG@10 for AIA-BDE e-faq retrieval).

    python benchmarks/export_speed.py                                   # packaged MiniLM, AIA-BDE test
    python benchmarks/export_speed.py --max-queries 200 --repeats 1     # quicker
    python benchmarks/export_speed.py --model runs/aia-bde/final        # a fine-tuned model
    python benchmarks/export_speed.py --threads 1                       # one core each
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "aia-bde" / "efaq"


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def load_models(model_name: str, folder: Path, calibration: list[str], formats) -> dict:
    """torch, then every export format written as `embedding export` writes it and loaded as a client would."""
    from sentence_transformers import SentenceTransformer

    from embedding.config.schema import ModelSpec
    from embedding.export.layout import write_layout
    from embedding.export.onnx import write_graph
    from embedding.export.runtime import load_exported
    from embedding.export.static import write_static
    from embedding.models import load_model

    torch_model, _ = load_model(ModelSpec(name=model_name), "--model")
    models = {"torch": torch_model}
    for fmt in formats:
        (folder / fmt).mkdir(parents=True)
        if fmt == "static":
            write_static(torch_model, folder / fmt)
            models[fmt] = SentenceTransformer(str(folder / fmt), device="cpu")
            continue
        write_layout(torch_model, folder / fmt)
        file_name = write_graph(torch_model, fmt, folder / fmt, calibration if fmt == "onnx-int8" else [])
        models[fmt] = load_exported(folder / fmt, file_name)
    return models


def timed_encode(model, texts, batch_size):
    """(normalized embeddings, texts/s) after a one-batch warm-up."""
    import time

    from embedding.export.check import embed

    embed(model, texts[:batch_size], batch_size)
    start = time.perf_counter()
    vectors = embed(model, texts, batch_size)
    return vectors, len(texts) / max(time.perf_counter() - start, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--dataset", default=str(DEFAULT_DATA))
    parser.add_argument("--split", default="test")
    parser.add_argument("--max-queries", type=int, default=0, help="0: every query")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0: torch's default")
    parser.add_argument("--formats", default="onnx,onnx-int8,onnx-int8-dynamic,openvino", help="or add static")
    args = parser.parse_args()

    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)  # before the sessions are built: they take torch's count

    from embedding.config.eval_schema import TaskSpec
    from embedding.evaluation.tasks import load_task
    from embedding.export.check import batch_difference, batch_texts, evaluator_for, main_metric, task_texts

    task = TaskSpec(type="ir", dataset={"name": args.dataset}, split=args.split, max_queries=args.max_queries or None)
    data = load_task(task, 0, seed=42)
    texts = task_texts(data)
    with tempfile.TemporaryDirectory() as tmp:
        formats = [f for f in args.formats.split(",") if f]
        models = load_models(args.model, Path(tmp), texts[:: max(1, len(texts) // 300)][:300], formats)
        load = os.getloadavg()[0]
        rates: dict[str, list[float]] = {name: [] for name in models}
        embeddings = {}
        for _ in range(args.repeats):
            for name, model in models.items():
                embeddings[name], rate = timed_encode(model, texts, args.batch_size)
                rates[name].append(rate)
        evaluator = evaluator_for(data, args.batch_size)
        metrics = {name: main_metric(evaluator, model) for name, model in models.items()}
        alone = {name: batch_difference(model, batch_texts(texts)) for name, model in models.items()}
    print(f"CPU: {cpu_name()} ({os.cpu_count()} logical CPUs, torch threads {torch.get_num_threads()})")
    print(f"model: {args.model}; data: {args.dataset} ({args.split}): {data.summary}; {len(texts)} texts")
    print(
        f"batch size {args.batch_size}; best and median of {args.repeats} alternating encodes after a warm-up; "
        f"1-minute load average {load:.2f} at the start\n"
    )
    best = {name: max(values) for name, values in rates.items()}
    median = {name: statistics.median(values) for name, values in rates.items()}
    print(
        f"{'backend':<10} {'best/s':>7} {'speed':>6} {'median/s':>8} {'speed':>6} {'metric':>16} {'value':>7} "
        f"{'delta':>8} {'max 1-cos':>10} {'alone/batch':>11}"
    )
    for name in models:
        metric, value = metrics[name]
        same = embeddings["torch"].shape == embeddings[name].shape
        cos = float(np.abs(1 - (embeddings["torch"] * embeddings[name]).sum(axis=1)).max()) if same else float("nan")
        print(
            f"{name:<10} {best[name]:>7.1f} {best[name] / best['torch']:>5.2f}x {median[name]:>8.1f} "
            f"{median[name] / median['torch']:>5.2f}x {metric:>16} {value:>7.4f} {value - metrics['torch'][1]:>+8.4f} "
            f"{cos:>10.2e} {alone[name]:>11.1e}"
        )


if __name__ == "__main__":
    main()
