"""`embedding preprocess`: materialise and inspect every dataset of a config before spending GPU time."""

from __future__ import annotations

import argparse

from ._common import add_config_options, setup_logging

EXAMPLES = """examples:
  embedding preprocess --config examples/quickstart.yaml
  embedding preprocess -c cfg.yaml --limit 100     # a quick look at the first 100 raw rows
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "preprocess",
        help="build (and cache) the training and evaluation data",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Materialise every objective's datasets and the evaluator data; "
        "print row counts, columns, sample rows and the cache location.",
    )
    add_config_options(parser)
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="use only the first N raw rows")
    parser.set_defaults(func=run)


def run(args) -> int:
    from .. import api

    config = api.validate(args.config, args.overrides)
    setup_logging(verbose=False)
    from ..training.steps.inspect import print_summaries

    print_summaries(api.preprocess(config, limit=args.limit))
    return 0
