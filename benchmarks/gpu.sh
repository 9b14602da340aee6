#!/usr/bin/env bash
# The GPU benchmark in one command (make bench-gpu), written for one NVIDIA H200 with Python 3.12,
# jax 0.11 + CUDA, PyTorch, flax, optax, orbax and no network; about 8 minutes in all:
#
#   bash benchmarks/gpu.sh [DATA_DIR]
#
#   1. train step at 512×512 (SIREN 3×256, TUNER) against PyTorch CUDA, eager and torch.compile,
#      and the many-fields benchmark at K = 5,000 MNIST digits → results/bench-gpu-<kind>.{json,md}
#   2. TF32 against float32 matmuls: step time and final PSNR of a SIREN fit of cameraman at 512²
#      → results/precision-gpu.json
#   3. exp-kodak at the paper protocol, 24 images × TUNER vmapped: a probe of PROBE_EPOCHS epochs
#      and the extrapolated time of the whole (experiments/gpu_kodak.sh with a small budget)
#
# Without a GPU (or with TINY=1) every step runs at tiny sizes on the CPU in a minute or two: the check
# in tests/ that the script works before a GPU is at hand.  DATA_DIR holds mnist/ and kodak/ (default:
# $SPECTRAL_INR_DATA, else ./shared/data, else ../shared/data); without mnist/ the many-fields
# benchmark fits synthetic digits, without kodak/ step 3 is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${OUT:-results}
DATA=${1:-${SPECTRAL_INR_DATA:-}}
if [ -z "$DATA" ]; then
  for d in shared/data ../shared/data; do [ -d "$d" ] && DATA=$d && break; done
fi

if ! $PY -c "import dm_pix, pooch" 2>/dev/null; then   # the pure-Python wheels the image may lack
  SITE=$(mktemp -d)
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" vendor/wheels/*.whl
  export PYTHONPATH=$SITE${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} MPLBACKEND=Agg
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
BACKEND=$($PY -c "import jax; print(jax.default_backend())")
$PY -c "import jax; print('jax', jax.__version__, jax.devices())"
if [ "$BACKEND" = gpu ] && [ "${TINY:-0}" = 0 ]; then
  STEP_ARGS="--sizes 512x512 --repeats 5 --many-k 5000 --many-steps 500 --many-seq 8 --many-vmap-max-k 5000"
  PREC_ARGS="--side 512 --steps 2000"
  KODAK_PROFILE=paper; KODAK_BUDGET=${KODAK_BUDGET_S:-150}; PROBE=${PROBE_EPOCHS:-25}
else
  echo "gpu.sh: no GPU (backend $BACKEND) or TINY=1: tiny sizes on the CPU"
  STEP_ARGS="--quick --sizes 16x16 --many-k 8 --many-steps 10 --many-seq 2 --many-vmap-max-k 8"
  PREC_ARGS="--side 32 --steps 20"
  KODAK_PROFILE=smoke; KODAK_BUDGET=${KODAK_BUDGET_S:-1}; PROBE=${PROBE_EPOCHS:-5}
fi
start=$(date +%s)

echo "== 1. train step vs PyTorch, many fields"
# shellcheck disable=SC2086
$PY -m benchmarks.run $STEP_ARGS --no-variants --no-profile --no-sweep --no-scaling --out "$OUT" \
  ${DATA:+--data "$DATA"}

echo "== 2. TF32 vs float32"
# shellcheck disable=SC2086
$PY -m benchmarks.precision $PREC_ARGS --out "$OUT" > /dev/null

echo "== 3. exp-kodak, paper protocol, extrapolated"
if [ -n "$DATA" ] && [ -d "$DATA/kodak" ]; then
  PROFILE=$KODAK_PROFILE METHODS=tuner BUDGET_S=$KODAK_BUDGET PROBE_EPOCHS=$PROBE OUT=$OUT PYTHON=$PY \
    bash experiments/gpu_kodak.sh "$DATA"
else
  echo "no kodak/ in '${DATA:-}': step 3 skipped"
fi
echo "gpu.sh done in $(( $(date +%s) - start )) s; results in $OUT/"
