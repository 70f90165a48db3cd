"""`embedding export`: write an ONNX (float32, int8), OpenVINO or static folder of a run's model and check it
against torch; then print how to load it with what is installed."""

from __future__ import annotations

import argparse
import math

from ..export import DESCRIPTIONS, FORMATS

EXAMPLES = """examples:
  embedding export runs/my-run --format onnx-int8
  embedding export runs/my-run/final --format onnx --dataset ../shared/datasets/scifact/beir --task ir
  embedding export sentence-transformers/all-MiniLM-L6-v2 --format onnx --output minilm-onnx \\
      --dataset ../shared/datasets/scifact/beir --task ir --max-queries 200
"""


def positive(text: str) -> int:
    """argparse type: an integer > 0 (a count of queries or a batch size)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be greater than 0")
    return value


def drop(text: str) -> float:
    """argparse type: a finite number >= 0 (NaN would pass every comparison)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be a number >= 0, e.g. 0.01")
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a model to ONNX / int8 / OpenVINO / static and check it against the torch model",
        epilog=EXAMPLES,
        description="Write a folder that transformers.js, onnxruntime + tokenizers, OpenVINO, fastembed and\n"
        "embedding.export.runtime.load_exported load as it is (docs/export.md), then check it: the embedding\n"
        "difference vs torch, a text alone vs in a batch, the task metric of both models and encode speed (with\n"
        "threads, batch and load), printed and saved as export_report.json. Exit 3 when a check fails. The folder\n"
        "appears only when complete.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="RUN_OR_MODEL", help="a run folder (exports final/) or a model name/folder")
    parser.add_argument(
        "--format",
        dest="fmt",
        required=True,
        choices=FORMATS,
        help="; ".join(f"{fmt}: {what}" for fmt, what in DESCRIPTIONS.items()),
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        help="new folder to write (default: RUN/export-FORMAT, or MODEL_FOLDER-FORMAT beside it)",
    )
    parser.add_argument(
        "--with-torch", action="store_true", help="also keep the torch weights (model.safetensors) in the folder"
    )
    check = parser.add_argument_group("check data (default: the run's evaluator)")
    check.add_argument("--dataset", metavar="NAME_OR_PATH", help="BEIR folder, dataset folder/file or Hub id")
    check.add_argument("--task", choices=("ir", "sts"), default="ir", help="ir: nDCG@10; sts: Spearman (default ir)")
    check.add_argument("--split", default="test", help="split to check on (default: test)")
    check.add_argument("--max-queries", type=positive, metavar="N", help="ir: check on a subsample of N queries")
    check.add_argument(
        "--batch-size", type=positive, default=32, help="encoding batch size of both models (default: 32)"
    )
    check.add_argument(
        "--max-drop", type=drop, default=0.01, help="largest allowed metric drop before exit 3 (default 0.01)"
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    from rich.console import Console

    from ..export.report import table
    from ..export.run import ExportRequest, export_model
    from ._common import setup_logging

    setup_logging(verbose=False)
    err = Console(stderr=True)
    request = ExportRequest(
        target=args.target,
        fmt=args.fmt,
        output=args.output,
        dataset=args.dataset,
        task=args.task,
        split=args.split,
        max_queries=args.max_queries,
        batch_size=args.batch_size,
        max_drop=args.max_drop,
        with_torch=args.with_torch,
    )
    check, output = export_model(request, log=lambda line: err.print(line, highlight=False, markup=False))
    print(table(check))
    print(f"export: {output}; report: {output / 'export_report.json'}")
    print(load_hint(output, check.format, check.file_name))
    return 0 if check.passed else 3


def load_hint(output, fmt: str, file_name: str) -> str:
    """How to load the folder with what is installed: sentence-transformers for a static model; otherwise this
    package's loader (sentence-transformers' own backend="onnx" needs optimum, which does not install beside
    transformers 5); plain onnxruntime / OpenVINO lines are in docs/export.md."""
    folder = str(output)
    if fmt == "static":
        return f"load: from sentence_transformers import SentenceTransformer; SentenceTransformer({folder!r})"
    return (
        "load: from embedding.export.runtime import load_exported; "
        f"load_exported({folder!r})  # runs {file_name} with {'OpenVINO' if fmt == 'openvino' else 'onnxruntime'}"
    )
