"""`embedding validate`: check a config in well under a second, loading no model, dataset or torch."""

from __future__ import annotations

from ._common import add_config_options

EXAMPLES = """examples:
  embedding validate --config examples/quickstart.yaml
  embedding validate -c cfg.yaml --set args.eval_steps=50
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a config without loading anything",
        description="Check keys, types and cross-field rules of a training config.",
        epilog=EXAMPLES,
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    add_config_options(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from .. import api

    api.validate(args.config, args.overrides)
    print("Config is well-formed!")
    return 0
