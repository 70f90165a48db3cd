"""`embedding train`: run a training config end to end."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from ..errors import UserError
from ._common import add_config_options, refuse_result, setup_logging

SEPARATE_STORES = "TORCH_DISABLE_SHARE_RDZV_TCP_STORE"
EXAMPLES = """examples:
  embedding train --config examples/quickstart.yaml
  embedding train -c cfg.yaml --set args.max_steps=10 --set objectives.0.loss=cached-ranking
  embedding train -c cfg.yaml --resume            # continue from the newest complete checkpoint
  embedding train -c cfg.yaml --overwrite         # move the previous run aside and start over
  embedding train -c cfg.yaml --nproc 2 --max-restarts 3   # a lost worker restarts the group from a checkpoint
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
    parser.add_argument(
        "--max-restarts",
        type=int,
        default=None,
        metavar="K",
        help="with --nproc: when a process dies, restart the group up to K times; each restart continues from "
        "the newest complete checkpoint (torchrun's elastic agent)",
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
        *([f"--max-restarts={args.max_restarts}"] if args.max_restarts else []),
        "-m",
        "embedding",
        *(["--debug"] if args.debug else []),
        *argv,
    ]
    from ..training.rundir.resume import shown_override

    shown = [f"--set={shown_override(a.removeprefix('--set='))}" if a.startswith("--set=") else a for a in command]
    print("running:", " ".join(shown), flush=True)  # never a secret given with --set
    return subprocess.call(command, env=torchrun_env(args.max_restarts))


def torchrun_env(max_restarts: int | None) -> dict[str, str]:
    """The environment for torchrun: with restarts, a fresh rendezvous store for every attempt.

    torchrun shares its store with the workers' process group by default, and a restarted group can then read a
    dead rank's address from it (pytorch/pytorch#135712): `Gloo connectFullMesh failed ... Connection refused`
    or a hang instead of a restart.
    """
    env = dict(os.environ)
    if max_restarts:
        env.setdefault(SEPARATE_STORES, "1")
    return env


def _check_arguments(args) -> None:
    """--nproc is a number of processes; --max-restarts is torchrun's: without --nproc there is no torchrun agent
    here to restart anything. Checked before the config is read or the run dir is looked at."""
    if args.nproc is not None and args.nproc < 1:
        raise UserError(
            f"--nproc {args.nproc}: give the number of processes to start, a whole number >= 1 (1 = this process "
            "alone; 2 or more: torchrun, one per GPU)"
        )
    if args.max_restarts is None:
        return
    if args.max_restarts < 0:
        raise UserError(f"--max-restarts {args.max_restarts}: give a whole number >= 0 (0 = no restarts)")
    if not args.nproc or args.nproc < 2:
        raise UserError(
            f"--max-restarts {args.max_restarts} needs --nproc N (N >= 2): restarts are done by torchrun's "
            "agent, which --nproc starts; add --nproc 2 (or more), or launch with torchrun --max-restarts "
            f"{args.max_restarts} yourself"
        )


def run(args) -> int:
    _check_arguments(args)  # the arguments first: a wrong one must not reach the run dir
    from .. import api

    config = api.validate(args.config, args.overrides)  # fail fast, before heavy imports
    if config.sweep is not None and "LOCAL_RANK" not in os.environ:
        print(
            f"note: the `sweep:` block is ignored: this trains the config once; `embedding sweep --config "
            f"{args.config}` runs the search",
            flush=True,
        )
    if args.nproc and args.nproc > 1 and "LOCAL_RANK" not in os.environ:
        return relaunch_with_torchrun(args, args.nproc)
    setup_logging()
    from ..training.display.summary import print_result

    result = api.train(config, args.overrides, resume=args.resume, overwrite=args.overwrite, config_path=args.config)
    print_result(result)
    return refuse_result(api.failures(config, result), result.model_dir)
