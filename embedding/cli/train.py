"""`embedding train`: run a training config end to end."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from ._common import add_config_options, setup_logging

EXAMPLES = """examples:
  embedding train --config examples/quickstart.yaml
  embedding train -c cfg.yaml --set args.max_steps=10 --set objectives.0.loss=cached-ranking
  embedding train -c cfg.yaml --resume            # continue from the newest complete checkpoint
  embedding train -c cfg.yaml --overwrite         # move the previous run aside and start over
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model from a config",
        epilog=EXAMPLES,
        description="Train, save and evaluate a model as the config says.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_options(parser)
    parser.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        default=None,
        metavar="CHECKPOINT",
        help="resume from the newest complete checkpoint of the run dir, or from CHECKPOINT",
    )
    parser.add_argument("--overwrite", action="store_true", help="move an existing run dir aside and start over")
    parser.add_argument(
        "--nproc",
        type=int,
        default=None,
        metavar="N",
        help="start N processes on this machine with torchrun (one per GPU; gloo on CPU)",
    )
    parser.set_defaults(func=run)


def relaunch_with_torchrun(args, nproc: int) -> int:
    """`embedding train --nproc N ...` = `torchrun --nproc_per_node N -m embedding train ...` (without --nproc)."""
    argv = ["train", "--config", args.config, *[f"--set={o}" for o in args.overrides]]
    if args.resume:
        argv += ["--resume", args.resume] if args.resume != "latest" else ["--resume"]
    if args.overwrite:
        argv.append("--overwrite")
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "embedding",
        *(["--debug"] if args.debug else []),
        *argv,
    ]
    from ..training.resume import shown_override

    shown = [f"--set={shown_override(a.removeprefix('--set='))}" if a.startswith("--set=") else a for a in command]
    print("running:", " ".join(shown), flush=True)  # never a secret given with --set
    return subprocess.call(command)


def run(args) -> int:
    from ..validation import load_config

    config = load_config(args.config, args.overrides)  # fail fast, before heavy imports
    if args.nproc and args.nproc > 1 and "LOCAL_RANK" not in os.environ:
        return relaunch_with_torchrun(args, args.nproc)
    setup_logging()
    from ..training.run import train
    from ..training.summary import print_result

    result = train(
        config, resume=args.resume, overwrite=args.overwrite, config_path=args.config, overrides=args.overrides
    )
    print_result(result)
    if config.evaluation.fail_if_worse and result.got_worse:
        print(
            f"error: {result.main_metric} dropped after training (model kept in {result.model_dir}); "
            "evaluation.fail_if_worse is on"
        )
        return 3
    from ..training.export_step import export_failures

    failures = export_failures(result.run_dir)  # read from the run dir: also after a resume of a finished run
    if failures:
        print("error: " + "; ".join(failures) + f" (model kept in {result.model_dir}); see report.md")
        return 3
    return 0
