"""Where a training step's CPU time goes: one `train_throughput.py` variant under torch.profiler.

Runs the variant exactly as train_throughput.py's child does (same data, model, batches; 1 timed epoch) and prints
torch's operator table by self CPU time. Comparing two variants' tables shows what a speed-up is made of (e.g.
`aten::mm`/`aten::addmm`: the encoder's matrix products, which padding inflates) and what it cannot touch.

    python benchmarks/profile_step.py ours-fair
    python benchmarks/profile_step.py stock-well-split
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_throughput  # noqa: E402 - the benchmark this profiles, next to this file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variant", help="a train_throughput.py variant, e.g. ours-fair, stock-well-split")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rows", type=int, default=30, help="operators shown")
    options = parser.parse_args()
    from torch.profiler import ProfilerActivity, profile

    args = train_throughput.parse(["--device", "cpu", "--threads", str(options.threads)])
    with tempfile.TemporaryDirectory(prefix="profile-step-") as tmp:
        args.data_dir = str(Path(tmp) / "data")
        train_throughput.write_data(args, Path(args.data_dir))
        args.model = args.model_path = train_throughput.model_name(args, Path(tmp))
        args.child = options.variant
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            train_throughput.child(args)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=options.rows))


if __name__ == "__main__":
    main()
