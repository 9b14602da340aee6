#!/usr/bin/env bash
# exp-kodak at the official TUNER protocol on all 24 Kodak images, TUNER and the paper's SIREN
# baseline, on one GPU, in one command (make exp-kodak-gpu):
#
#   bash experiments/gpu_kodak.sh [DATA_DIR]
#
# DATA_DIR holds kodak/kodim01.png … kodim24.png (default: $SPECTRAL_INR_DATA, else ./shared/data,
# else ../shared/data). Written for one NVIDIA H200 with Python 3.12, jax 0.11 + CUDA, flax, optax,
# orbax and no network: the pure-Python packages that image lacks (dm-pix, pooch, platformdirs) travel
# as wheels in vendor/wheels and are installed into a temporary folder, never into the system.
#
# Plan (BUDGET_S seconds in all, default 540):
#   1. a timing probe: the official protocol for PROBE_EPOCHS epochs (default 25) → results/kodak-official-25ep.*
#   2. extrapolate the full 5,000 epochs from the probe (its compile time included, so an upper bound);
#   3. if it fits the budget left, the full run → results/kodak-official.{json,md}; otherwise the largest
#      epoch count that fits → results/kodak-official-<N>ep.*, and the extrapolation is printed.
# PROFILE=smoke runs the same steps on kodim05 at 32² in seconds (the CPU check in tests/).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
PROFILE=${PROFILE:-official}
BUDGET_S=${BUDGET_S:-540}
PROBE_EPOCHS=${PROBE_EPOCHS:-25}
METHODS=${METHODS:-tuner,tuner-siren}
OUT=${OUT:-results}
DATA=${1:-${SPECTRAL_INR_DATA:-}}
if [ -z "$DATA" ]; then
  for d in shared/data ../shared/data; do [ -d "$d/kodak" ] && DATA=$d && break; done
fi
[ -n "$DATA" ] && [ -d "$DATA" ] || { echo "gpu_kodak.sh: no data directory (pass DATA_DIR holding kodak/)" >&2; exit 1; }

if ! $PY -c "import dm_pix, pooch" 2>/dev/null; then
  SITE=$(mktemp -d)
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" vendor/wheels/*.whl
  export PYTHONPATH=$SITE${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} MPLBACKEND=Agg
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
$PY -c "import jax; print('jax', jax.__version__, jax.devices())"

start=$(date +%s)
$PY -m experiments.kodak --profile "$PROFILE" --methods "$METHODS" --data "$DATA" --out "$OUT" --epochs "$PROBE_EPOCHS"
probe_s=$(( $(date +%s) - start ))
read -r full_epochs plan_epochs estimate < <($PY - "$PROFILE" "$PROBE_EPOCHS" "$probe_s" "$BUDGET_S" <<'EOF'
import sys
from spectral_inr import protocols
profile, probe, probe_s, budget = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
full = protocols.TUNER_KODAK[profile].epochs
per_epoch = probe_s / probe                       # compile and evaluation included: an upper bound
left = budget - probe_s
plan = full if full * per_epoch <= left else max(probe, int(left / per_epoch) // 10 * 10)
print(full, plan, round(full * per_epoch))
EOF
)
echo "probe: $PROBE_EPOCHS epochs in ${probe_s} s → the full $full_epochs epochs ≈ ${estimate} s (upper bound)"
if [ "$plan_epochs" -ge "$full_epochs" ]; then
  $PY -m experiments.kodak --profile "$PROFILE" --methods "$METHODS" --data "$DATA" --out "$OUT"
elif [ "$plan_epochs" -gt "$PROBE_EPOCHS" ]; then
  echo "the full run does not fit in BUDGET_S=$BUDGET_S: running $plan_epochs epochs"
  $PY -m experiments.kodak --profile "$PROFILE" --methods "$METHODS" --data "$DATA" --out "$OUT" --epochs "$plan_epochs"
fi
echo "done in $(( $(date +%s) - start )) s; results in $OUT/kodak-$PROFILE*.md"
