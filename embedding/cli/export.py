"""`embedding export`: write an ONNX (float32, int8) or OpenVINO folder of a run's model and check it against torch."""

from __future__ import annotations

import argparse

from ..export import FILE_NAMES, FORMATS

EXAMPLES = """examples:
  embedding export runs/my-run --format onnx-int8
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


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a model to ONNX / int8 / OpenVINO and check it against the torch model",
        epilog=EXAMPLES,
        description="Write a folder that loads with SentenceTransformer(DIR, backend='onnx', model_kwargs=\n"
        "{'file_name': ...}), then check it: max cosine difference of embeddings, the task metric of both models\n"
        "and encode throughput on this CPU, printed and saved as export_report.json in the folder. Exit 3 when\n"
        "the metric drops by more than --max-drop. The folder appears only when complete.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="RUN_OR_MODEL", help="a run folder (exports final/) or a model name/folder")
    parser.add_argument(
        "--format",
        dest="fmt",
        required=True,
        choices=FORMATS,
        help=", ".join(f"{fmt}: {name}" for fmt, name in FILE_NAMES.items()),
    )
    parser.add_argument("--output", metavar="DIR", help="new folder to write (default: RUN/export-FORMAT)")
    check = parser.add_argument_group("check data (default: the run's evaluator)")
    check.add_argument("--dataset", metavar="NAME_OR_PATH", help="BEIR folder, dataset folder/file or Hub id")
    check.add_argument("--task", choices=("ir", "sts"), default="ir", help="ir: nDCG@10; sts: Spearman (default ir)")
    check.add_argument("--split", default="test", help="split to check on (default: test)")
    check.add_argument("--max-queries", type=positive, metavar="N", help="ir: check on a subsample of N queries")
    check.add_argument(
        "--batch-size", type=positive, default=32, help="encoding batch size of both models (default: 32)"
    )
    check.add_argument(
        "--max-drop", type=float, default=0.01, help="largest allowed metric drop before exit 3 (default 0.01)"
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
    )
    check, output = export_model(request, log=lambda line: err.print(line, highlight=False, markup=False))
    print(table(check))
    print(
        f"export: {output} (SentenceTransformer({str(output)!r}, backend='onnx', "
        f"model_kwargs={{'file_name': {check.file_name!r}}}); report: {output / 'export_report.json'}"
    )
    return 0 if check.passed else 3
