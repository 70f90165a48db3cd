"""Model quality side by side, in one run: BM25, the base model, a plain sentence-transformers script
(benchmarks/plain_script.py) and this project's recipes with each quality switch on and off (an ablation table).

Every model is scored by `embedding evaluate` on the same held-out tasks: AIA-BDE test (e-faq -> IR, nDCG@10),
CLINC150 test (labeled -> IR, nDCG@10) and STS-B test (Spearman; out-of-domain: no arm trains on STS data, so it
shows what fine-tuning costs the model elsewhere), and on the AIA-BDE and CLINC150 validation splits: the columns
a recipe's switches are chosen on (the test columns are only reported). Training never sees a test split; the
recipes choose checkpoints and merge weights on validation data only. Seeds are fixed; finished trainings are
reused (the run folders are kept under --work), so an interrupted benchmark continues where it stopped.

    python benchmarks/quality.py                          # every arm (CPU: hours; one GPU: minutes)
    python benchmarks/quality.py --arms base,bm25,plain-aia-bde,recipe-aia-bde
    python benchmarks/quality.py --quick                  # 8 training steps per arm, 100 queries: a smoke run
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
BASE = "sentence-transformers/all-MiniLM-L6-v2"
AIA_BDE, CLINC150 = str(SHARED / "aia-bde" / "efaq"), str(SHARED / "clinc150" / "labeled")
# The validation columns are what a recipe's switches are chosen on; the test columns are only reported.
TASKS = [
    {"name": "AIA-BDE val", "type": "ir", "dataset": {"name": AIA_BDE}, "split": "validation"},
    {"name": "AIA-BDE", "type": "ir", "dataset": {"name": AIA_BDE}, "split": "test"},
    {"name": "CLINC150 val", "type": "ir", "dataset": {"name": CLINC150}, "split": "validation"},
    {"name": "CLINC150", "type": "ir", "dataset": {"name": CLINC150}, "split": "test"},
    {"name": "STS-B", "type": "sts", "dataset": {"name": str(SHARED / "stsbenchmark" / "pairs")}, "split": "test"},
]
METRIC = {"ir": "ndcg@10", "sts": "spearman"}


@dataclass
class Arm:
    """One row of the table: a model to score, and how it is trained (nothing: scored as it is)."""

    name: str
    what: str
    config: str | None = None  # an `embedding train` config (repository-relative)
    overrides: list[str] = field(default_factory=list)
    plain: str | None = None  # benchmarks/plain_script.py --data


MINED = "{mine_hard_negatives: {model: sentence-transformers/all-MiniLM-L6-v2, num_negatives: 1}}"
# Each quality switch as an override on a recipe. `merge` chooses alpha on the recipe's evaluator, which is its
# validation split (never the test split).
SWITCHES = {
    "sampler": ["objectives.0.batch_sampler=one_per_group"],
    "mask": ["objectives.0.loss_args.guide=base"],
    "mining": [f"objectives.0.datasets.train.preprocess_args={MINED}"],
    "merge": ["merge_with_base.alpha=auto"],
}


# Training settings tried on the recipe (chosen on the validation columns, like the switches).
SETTINGS = {
    "3-epochs": ["args.num_train_epochs=3"],
    "lr-1e-4": ["args.learning_rate=0.0001"],
    "3-epochs-lr-1e-4": ["args.num_train_epochs=3", "args.learning_rate=0.0001"],
}
# What the switches and settings are tried on, when it is not the config as it is: aia_bde.yaml trains 3 epochs at
# lr 1e-4 and clinc150.yaml samples one row per intent (what the validation columns chose); their ablations start
# from 1 epoch at lr 5e-5 and from `no_duplicates` batches.
ABLATION_BASE = {
    "aia-bde": ["args.num_train_epochs=1", "args.learning_rate=0.00005"],
    "clinc150": ["args.batch_sampler=no_duplicates"],
}


def recipe_arms(data: str, config: str) -> list[Arm]:
    """The recipe (its ablation base), with each switch alone, with all of them (the ablation table's rows), and
    with each training setting."""
    base = ABLATION_BASE.get(data, [])
    what = f"embedding, benchmarks/configs/{config}" + (f" with {' '.join(base)}" if base else "")
    arms = [Arm(f"recipe-{data}", what, config, base)]
    for name, overrides in SWITCHES.items():
        arms.append(Arm(f"recipe-{data}+{name}", f"the recipe + {name}", config, base + overrides))
    everything = [o for overrides in SWITCHES.values() for o in overrides]
    arms.append(Arm(f"recipe-{data}+all", "the recipe + " + " + ".join(SWITCHES), config, base + everything))
    for name, overrides in SETTINGS.items():
        arms.append(Arm(f"recipe-{data}+{name}", f"the recipe, {' '.join(overrides)}", config, base + overrides))
    return arms


ARMS = [
    Arm("bm25", "BM25 (bm25s defaults)"),
    Arm("base", "all-MiniLM-L6-v2, not fine-tuned"),
    Arm("plain-aia-bde", "plain sentence-transformers script on AIA-BDE", plain="aia-bde"),
    *recipe_arms("aia-bde", "aia_bde.yaml"),
    Arm("plain-clinc150", "plain sentence-transformers script on CLINC150", plain="clinc150"),
    *recipe_arms("clinc150", "clinc150.yaml"),
]


def train(arm: Arm, work: Path, quick: bool) -> tuple[str, float | None]:
    """The trained model's folder (trained now unless a finished one is there) and the training seconds."""
    if arm.plain:
        folder = work / arm.name
        command = [sys.executable, str(REPO / "benchmarks" / "plain_script.py"), "--data", arm.plain]
        command += ["--output", str(folder)] + (["--max-steps", "8"] if quick else [])
        done = folder / "modules.json"
    else:
        folder = work / arm.name / "final"
        command = [sys.executable, "-m", "embedding", "train", "-c", str(REPO / "benchmarks" / "configs" / arm.config)]
        command += ["--set", f"output_dir={work}", "--set", f"run_name={arm.name}", "--overwrite"]
        command += ["--set", "evaluation.tasks=[]"]  # every model is scored on TASKS below, the same way
        command += [f"--set={o}" for o in arm.overrides] + (["--set", "args.max_steps=8"] if quick else [])
        done = work / arm.name / "evaluation.json"
    seconds_file = work / f"{arm.name}.seconds"
    if done.exists() and seconds_file.exists():
        return str(folder), float(seconds_file.read_text())
    print(f"[train] {arm.name}: {' '.join(command)}", flush=True)
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True)
    seconds = time.perf_counter() - started
    seconds_file.write_text(f"{seconds:.1f}")
    return str(folder), seconds


def evaluate(models: dict[str, str], work: Path, quick: bool) -> dict[tuple[str, str], float]:
    """{(arm, task): metric} at full size; models scored before (scores.json, keyed by the model folder's time) are
    not scored again, the rest in one `embedding evaluate` over every task."""
    cache_file = work / "scores.json"
    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    stamps = {arm: _stamp(model) for arm, model in models.items()}
    todo = {arm: model for arm, model in models.items() if cache.get(arm, {}).get("stamp") != stamps[arm]}
    if todo:
        tasks = [dict(t, max_queries=100) if quick and t["type"] == "ir" else t for t in TASKS]
        out = work / "eval" / time.strftime("%Y%m%d-%H%M%S")
        config = {"models": list(todo.values()), "tasks": tasks, "output_dir": str(out), "seed": 42}
        path = work / "eval.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        subprocess.run([sys.executable, "-m", "embedding", "evaluate", "--config", str(path)], cwd=REPO, check=True)
        for arm, values in _read(json.loads((out / "results.json").read_text())["rows"], todo).items():
            cache[arm] = {"stamp": stamps[arm], "scores": values}
        cache_file.write_text(json.dumps(cache, indent=2))
    return {(arm, task): value for arm in models for task, value in cache.get(arm, {}).get("scores", {}).items()}


def _stamp(model: str) -> str:
    """Which training of an arm a score belongs to: its folder's modification time (bm25 / the base: fixed)."""
    folder = Path(model)
    return f"{folder.stat().st_mtime_ns}" if folder.exists() else model


def _read(rows: list[dict], models: dict[str, str]) -> dict[str, dict[str, float]]:
    """{arm: {task: metric}} at each model's largest size (BM25 has none)."""
    by_model = {model: arm for arm, model in models.items()}
    full: dict[tuple[str, str], tuple[int, float]] = {}
    for row in rows:
        arm = by_model.get(row["model"])
        task = next((t for t in TASKS if t["name"] == row["dataset"]), None)  # a task's `name` labels its dataset
        if arm and task and row["metric"] == METRIC[task["type"]] and row["similarity"] in ("cosine", "bm25"):
            key = (arm, task["name"])
            if key not in full or (row["dim"] or 0) >= full[key][0]:
                full[key] = (row["dim"] or 0, row["value"])
    out: dict[str, dict[str, float]] = {}
    for (arm, task), (_, value) in full.items():
        out.setdefault(arm, {})[task] = value
    return out


def table(arms: list[Arm], scores: dict, seconds: dict) -> str:
    head = "| arm | what | " + " | ".join(f"{t['name']} {METRIC[t['type']]}" for t in TASKS) + " | train (s) |"
    lines = [head, "|---|---|" + "---:|" * (len(TASKS) + 1)]
    for arm in arms:
        cells = [f"{scores[(arm.name, t['name'])]:.4f}" if (arm.name, t["name"]) in scores else "–" for t in TASKS]
        took = f"{seconds[arm.name]:.0f}" if seconds.get(arm.name) else "–"
        lines.append(f"| {arm.name} | {arm.what} | " + " | ".join(cells) + f" | {took} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arms", help="comma-separated arm names (default: all): " + ", ".join(a.name for a in ARMS))
    parser.add_argument("--work", default="runs/quality", help="run folders and evaluation results")
    parser.add_argument("--quick", action="store_true", help="8 steps per training, 100 queries per IR task")
    args = parser.parse_args()
    chosen = [a for a in ARMS if not args.arms or a.name in args.arms.split(",")]
    work = Path(args.work).resolve() / ("quick" if args.quick else "full")
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    models, seconds = {}, {}
    for arm in chosen:
        if arm.name in ("bm25", "base"):
            models[arm.name] = "bm25" if arm.name == "bm25" else BASE
        else:
            models[arm.name], seconds[arm.name] = train(arm, work, args.quick)
    scores = evaluate(models, work, args.quick)
    text = table(chosen, scores, seconds)
    (work / "quality.md").write_text(text + "\n")
    (work / "quality.json").write_text(json.dumps({f"{a}|{t}": v for (a, t), v in scores.items()}, indent=2))
    print(text)
    print(f"\n{len(chosen)} arms in {time.perf_counter() - started:.0f} s; table in {work / 'quality.md'}")


if __name__ == "__main__":
    main()
