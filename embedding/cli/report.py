"""`embedding report RUN_DIR`: (re)write a run's report.md and PNG plots from its run dir."""

from __future__ import annotations

import argparse

EXAMPLES = """examples:
  embedding report runs/quickstart          # writes runs/quickstart/report.md and its plots
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a run's report.md and plots",
        epilog=EXAMPLES,
        description="Write report.md and PNG plots (loss per objective and component, "
        "evaluator metrics, before/after per metric and Matryoshka dimension, memory) "
        "into a run dir, from its logs.jsonl, evaluation.json and config.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run's folder: output_dir/run_name")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..report import write_report

    report = write_report(args.run_dir)
    plots = sorted(p.name for p in report.parent.glob("*.png"))
    print(f"report: {report}" + (f" (plots: {', '.join(plots)})" if plots else ""))
    return 0
