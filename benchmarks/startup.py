"""Start-up wall time of the CLI: `embedding --help` (target < 0.5 s) and `embedding validate` (target < 1 s).

Each command runs N times as a fresh subprocess (what a user waits for, imports included); the median and the
best are printed as a markdown table. The first run is a warm-up (it fills the OS file cache) and not counted.

    python benchmarks/startup.py                 # 10 runs each, examples/quickstart.yaml
    python benchmarks/startup.py -n 20 --config my.yaml
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"help": 0.5, "validate": 1.0}


def command() -> list[str]:
    """This interpreter's `embedding` console script (not a pyenv shim in front of it), else `python -m`."""
    script = Path(sys.executable).parent / "embedding"
    if script.exists():
        return [str(script)]
    found = shutil.which("embedding")
    return [found] if found and "shims" not in found else [sys.executable, "-m", "embedding"]


def timed(cmd: list[str], runs: int, env: dict) -> list[float]:
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        if i:  # run 0 warms the file cache
            times.append(elapsed)
    return times


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--runs", type=int, default=10)
    p.add_argument("--config", default=str(REPO / "examples" / "quickstart.yaml"))
    a = p.parse_args(argv)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    base = command()
    rows = []
    for name, args in (("help", ["--help"]), ("validate", ["validate", "--config", a.config])):
        times = timed(base + args, a.runs, env)
        median, target = statistics.median(times), TARGETS[name]
        shown = " ".join(os.path.relpath(x, REPO) if os.path.isabs(x) else x for x in args)
        rows.append(
            f"| `embedding {shown}` | {median:.3f} | {min(times):.3f} | < {target} | "
            f"{'yes' if median < target else 'NO'} |"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{a.runs} runs each, {os.cpu_count()} CPUs, load average {load:.1f}, `{' '.join(base)}`\n")
    print("| command | median (s) | best (s) | target (s) | met |\n|---|---:|---:|---:|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
