"""`embedding evaluate`: score models (and BM25) on IR / STS tasks; a comparison table and results files."""

from __future__ import annotations

import argparse

from ._common import add_set_option

EXAMPLES = """examples:
  embedding evaluate --model sentence-transformers/all-MiniLM-L6-v2 --task sts \\
      --dataset ../shared/datasets/stsbenchmark/pairs --split test
  embedding evaluate --model bm25 --model sentence-transformers/all-MiniLM-L6-v2 --task ir \\
      --dataset ../shared/datasets/scifact/beir --dimensions 64,384
  embedding evaluate --config eval.yaml --set output_dir=eval-2
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="evaluate models (and BM25) on retrieval / similarity tasks",
        epilog=EXAMPLES,
        description="Evaluate models on IR (e-faq, labeled, BEIR) and STS (scored pairs) tasks at one or more\n"
        "Matryoshka sizes. Prints a comparison table and merges results.json + results.csv into the output\n"
        "folder: a re-run replaces its own rows (same model, task, data, split, size, metric), never duplicates.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-c", "--config", metavar="FILE", help="evaluation config (YAML/JSON): models, tasks, dimensions, output_dir"
    )
    add_set_option(parser, "--set tasks.0.split=validation")
    quick = parser.add_argument_group("quick form (instead of --config)")
    quick.add_argument(
        "--model",
        dest="models",
        action="append",
        default=[],
        metavar="NAME_OR_PATH",
        help="model to evaluate (repeatable); `bm25` for the BM25 baseline",
    )
    quick.add_argument("--task", metavar="ir|sts", help="ir: retrieval metrics; sts: Spearman/Pearson")
    quick.add_argument("--dataset", metavar="NAME_OR_PATH", help="BEIR folder, dataset folder/file or Hub id")
    quick.add_argument("--split", default="test", help="split to evaluate (default: test)")
    quick.add_argument(
        "--dimensions",
        metavar="D1,D2",
        help="comma-separated Matryoshka sizes, e.g. 64,384 "
        "(default: the dims the model was trained with, plus its full size)",
    )
    quick.add_argument("--output-dir", default="eval-results", help="results folder (default: eval-results)")
    quick.add_argument("--batch-size", type=int, default=32, help="encoding batch size (default: 32)")
    parser.add_argument(
        "--quantization",
        metavar="P1,P2",
        help="also a Matryoshka size x precision cost table (float32,int8,ubinary: metric and bytes per vector) "
        "of every model on every ir task, saved as quantization.json",
    )
    parser.add_argument(
        "--all-metrics",
        action="store_true",
        help="show every metric in the table, not only nDCG/MRR/MAP@k, accuracy@1, recall@max and Spearman/Pearson",
    )
    parser.set_defaults(func=run)


def _dimensions(text: str | None) -> list[int] | None:
    from ..errors import UserError

    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(
            f"--dimensions {text!r}: expected comma-separated integers, e.g. --dimensions 64,384"
        ) from None


def config_mapping(args) -> tuple[dict, str]:
    """The config as a mapping (from --config, or built from the quick-form flags) and its source name."""
    from ..config.load import apply_overrides, read_config_file
    from ..errors import UserError

    quick_flags = [
        flag for flag, value in (("--model", args.models), ("--task", args.task), ("--dataset", args.dataset)) if value
    ]
    if args.config:
        if quick_flags:
            raise UserError(
                f"{', '.join(quick_flags)}: give either --config or the quick form "
                "(--model/--task/--dataset), not both; put the models and tasks in the config"
            )
        return apply_overrides(read_config_file(args.config), args.overrides), str(args.config)
    missing = [
        flag
        for flag, value in (("--model", args.models), ("--task", args.task), ("--dataset", args.dataset))
        if not value
    ]
    if missing:
        raise UserError(
            f"{', '.join(missing)} missing: pass --config FILE, or --model, --task and --dataset, "
            "e.g. embedding evaluate --model bm25 --task ir --dataset path/to/beir-folder"
        )
    data = {
        "models": list(args.models),
        "tasks": [{"type": args.task, "dataset": {"name": args.dataset}, "split": args.split}],
        "output_dir": args.output_dir,
        "batch_size": args.batch_size,
    }
    dims = _dimensions(args.dimensions)
    if dims is not None:
        data["dimensions"] = dims
    return apply_overrides(data, args.overrides), "from --model/--task/--dataset"


def run(args) -> int:
    from ..evaluation.schema import EvalConfig
    from ..validation import validate_mapping

    data, source = config_mapping(args)
    config = validate_mapping(data, source=source, schema=EvalConfig)  # fail fast, before heavy imports
    precisions = _precisions(args.quantization)
    from ..evaluation.models import check_models

    check_models(config)  # a missing model or one without its tokenizer: said before the data is prepared
    from rich.console import Console

    from ._common import setup_logging

    setup_logging(verbose=False)
    from ..evaluation.results import write_results
    from ..evaluation.run import run_evaluation
    from ..evaluation.table import print_comparison

    err = Console(stderr=True, soft_wrap=True)  # piped: whole lines, not cut at 80 columns
    report = run_evaluation(config, log=lambda line: err.print(line, highlight=False, markup=False))
    if not report.rows:  # e.g. only `bm25` on only `sts` tasks: every pair was skipped
        from ..errors import UserError

        raise UserError(
            "nothing to evaluate: "
            + "; ".join(report.notes or ["no model/task pair produced a metric"])
            + ". Add a model that embeds text (for sts) or an ir task (for bm25)."
        )
    for note in report.notes:
        err.print(f"note: {note}", highlight=False, markup=False)
    print_comparison(report.rows, all_metrics=args.all_metrics)
    json_path, csv_path, replaced = write_results(config.output_dir, report.rows)
    again = f"; {replaced} rows of an earlier run with the same key replaced" if replaced else ""
    print(f"results: {json_path} and {csv_path} ({len(report.rows)} rows{again})")
    if precisions:
        _print_costs(config, precisions, log=lambda line: err.print(line, highlight=False, markup=False))
    return 0


def _precisions(text: str | None) -> list[str]:
    """--quantization parsed before any model loads, so a typo fails at once."""
    if not text:
        return []
    from ..export.costs import parse_precisions

    return parse_precisions(text)


def _print_costs(config, precisions: list[str], log) -> None:
    from ..export.costs import format_costs, quantization_costs, write_costs

    rows = quantization_costs(config, precisions, log=log)
    print(format_costs(rows))
    print(f"quantization costs: {write_costs(config.output_dir, rows)}")
