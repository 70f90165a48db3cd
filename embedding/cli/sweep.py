"""`embedding sweep`: search the config's `sweep:` block with Optuna; every trial a normal run."""

from __future__ import annotations

import argparse

from ..errors import UserError
from ._common import add_config_options, setup_logging

EXAMPLES = """examples:
  embedding sweep --config cfg.yaml                      # sweep.trials trials, study in SQLite in the run dir
  embedding sweep --config cfg.yaml --trials 4           # another budget
  embedding sweep --config cfg.yaml --resume             # continue a stopped sweep (budget counted once)
  embedding sweep --config cfg.yaml --workers 2          # 2 processes on this machine (one per GPU)
  embedding sweep --config cfg.yaml --storage postgresql://user@db-host/sweeps   # on every machine
  optuna-dashboard sqlite:///runs/NAME/study.db          # watch it (pip install optuna-dashboard)
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="search hyperparameters (the config's sweep: block), one normal run per trial",
        description="Run the trials of the config's `sweep:` block (Optuna) and report the best.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_options(parser)
    parser.add_argument("--trials", type=int, default=None, metavar="N", help="the budget (default: sweep.trials)")
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N", help="start N sweep processes here (one per GPU)"
    )
    parser.add_argument(
        "--storage", default=None, metavar="URL", help="an Optuna storage shared by several processes or machines"
    )
    parser.add_argument("--resume", action="store_true", help="continue the run dir's sweep")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # started by --workers
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.workers < 1:
        raise UserError(f"--workers {args.workers}: give a number >= 1")
    setup_logging()
    from ..sweep import run_sweep

    argv = ["--config", args.config, *[f"--set={o}" for o in args.overrides]]
    argv += [f"--trials={args.trials}"] * (args.trials is not None) + [f"--storage={args.storage}"] * bool(
        args.storage
    )
    return run_sweep(
        args.config,
        args.overrides,
        trials=args.trials,
        storage=args.storage,
        resume=args.resume,
        worker=args.worker,
        workers=1 if args.worker else args.workers,
        worker_argv=argv,
    )
