#!/usr/bin/env bash
# One device check in ten minutes (make device-check): what a scarce GPU session should measure,
# in order of value, each stage under its own time limit, results written as it goes.
#
#   bash scripts/device_check.sh [DATA_DIR]        # OUT=... to choose the results folder
#
# Written for one NVIDIA H100/H200 with Python 3.12, JAX + CUDA and PyTorch preinstalled and no
# network: our package travels with the working tree (PYTHONPATH), the pure-Python wheels the image
# may lack (dm-pix, pooch, platformdirs, pytest and its dependencies) travel in vendor/wheels and are
# installed into a temporary folder, never into the system.  Stages (budgets on a GPU, ≈ 9 min in all):
#
#   a. pytest -m device         120 s  every model fwd/bwd, sharded sweep, checkpoint round trip, memory
#   b. train step 512² vs torch 120 s  SIREN 3×256 and TUNER, PyTorch CUDA eager and torch.compile
#   c. TF32 vs float32           90 s  SIREN on cameraman 512², 2,000 steps (a 40 dB+ fit)
#   d. many fields, K = 5,000   120 s  MNIST digits (synthetic without DATA_DIR/mnist), one vmap vs sequential
#   e. exp-kodak official probe  90 s  compile timed apart, full protocol extrapolated from steady steps
#
# A stage that fails or runs out of time is recorded and the next one runs.  Results go to
# $OUT (default results/device-check-<device>/): one folder or file per stage, its log, and
# summary.{md,json} (each stage's status and seconds), rewritten after every stage.
# Without a GPU (or with TINY=1) every stage runs at tiny sizes on the CPU in a minute or two:
# tests/test_device_check.py runs that.  docs/device_check.md says what to read in the results.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
DATA=${1:-${SPECTRAL_INR_DATA:-}}
if [ -z "$DATA" ]; then
  for d in shared/data ../shared/data; do [ -d "$d" ] && DATA=$d && break; done
fi
t_all=$(date +%s)

# --- the wheels the image may lack: only those whose module is missing ---------------------------
missing=()
for pair in dm_pix:dm_pix pooch:pooch platformdirs:platformdirs pytest:pytest pluggy:pluggy \
            iniconfig:iniconfig packaging:packaging; do
  mod=${pair%%:*}; whl=${pair##*:}
  $PY -c "import $mod" 2>/dev/null || missing+=(vendor/wheels/"$whl"-*.whl)
done
if [ ${#missing[@]} -gt 0 ]; then
  SITE=$(mktemp -d)
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" "${missing[@]}"
  export PYTHONPATH=$SITE${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} MPLBACKEND=Agg

BACKEND=$($PY -c "import jax; print(jax.default_backend())" 2>/dev/null || echo none)
DEVICE=$($PY -c "import jax, re; print(re.sub(r'[^A-Za-z0-9]+', '-', jax.devices()[0].device_kind).strip('-').lower())" 2>/dev/null || echo unknown)
if [ "$BACKEND" = gpu ] && [ "${TINY:-0}" = 0 ]; then
  MODE=full
  B_A=120; B_B=120; B_C=90; B_D=120; B_E=90
  STEP_ARGS="--sizes 512x512 --repeats 5"
  PREC_ARGS="--side 512 --steps 2000"
  MANY_ARGS="--many-k 5000 --many-steps 500 --many-seq 8 --many-vmap-max-k 5000"
  PROBE_ARGS="--chunks 5"
else
  MODE=tiny
  B_A=${TINY_BUDGET_S:-240}; B_B=${TINY_BUDGET_S:-240}; B_C=${TINY_BUDGET_S:-240}; B_D=${TINY_BUDGET_S:-240}
  B_E=${TINY_BUDGET_S:-240}
  STEP_ARGS="--quick --sizes 16x16"
  PREC_ARGS="--side 32 --steps 20"
  MANY_ARGS="--quick --many-k 8 --many-steps 10 --many-seq 2 --many-vmap-max-k 8"
  PROBE_ARGS="--tiny --chunks 2 --chunk 10"
fi
OUT=${OUT:-results/device-check-$DEVICE}
mkdir -p "$OUT"
: > "$OUT/summary.tsv"
{
  echo "mode=$MODE backend=$BACKEND device=$DEVICE started=$(date -u +%FT%TZ)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  $PY -c "import jax; print('jax', jax.__version__, jax.devices())" 2>&1
  $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" 2>&1 | tail -1
} | tee "$OUT/environment.txt"

summary() {   # summary.tsv → summary.md and summary.json
  $PY - "$OUT" "$MODE" "$BACKEND" "$DEVICE" <<'EOF'
import json, sys
out, mode, backend, device = sys.argv[1:5]
rows = []
for line in open(f"{out}/summary.tsv"):
    stage, status, rc, seconds, budget, result = line.rstrip("\n").split("\t")
    rows.append({"stage": stage, "status": status, "rc": int(rc), "seconds": int(seconds), "budget_s": int(budget),
                 "result": result})
json.dump({"mode": mode, "backend": backend, "device": device, "stages": rows,
           "seconds": sum(r["seconds"] for r in rows)}, open(f"{out}/summary.json", "w"), indent=1)
with open(f"{out}/summary.md", "w") as f:
    f.write(f"# device check: {device} ({backend}, {mode})\n\n| stage | status | seconds | budget (s) | result |\n"
            "|---|---|---:|---:|---|\n")
    for r in rows:
        f.write(f"| {r['stage']} | {r['status']} | {r['seconds']} | {r['budget_s']} | {r['result']} |\n")
EOF
}

stage() {   # stage NAME BUDGET_S RESULT -- command...: run it under timeout, record status and seconds
  local name=$1 budget=$2 result=$3; shift 4
  echo "== $name (budget ${budget} s)"
  local t0 rc status; t0=$(date +%s)
  timeout --kill-after=10 "$budget" "$@" > "$OUT/$name.log" 2>&1; rc=$?
  local took=$(( $(date +%s) - t0 ))
  case $rc in 0) status=ok ;; 124|137) status=timeout ;; *) status=failed ;; esac
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$rc" "$took" "$budget" "$result" >> "$OUT/summary.tsv"
  tail -n 3 "$OUT/$name.log"
  echo "   $name: $status (rc $rc) in ${took} s"
  summary
}

# shellcheck disable=SC2086
stage a-pytest-device "$B_A" a-pytest-device.xml -- \
  $PY -m pytest -q -p no:xdist -p no:cacheprovider -m device tests/test_device.py --junitxml "$OUT/a-pytest-device.xml"
# shellcheck disable=SC2086
stage b-train-step "$B_B" b-train-step/ -- \
  $PY -m benchmarks.run $STEP_ARGS --models siren,tuner --no-variants --no-profile --no-sweep --no-scaling \
  --no-many --no-video --out "$OUT/b-train-step"
# shellcheck disable=SC2086
stage c-precision "$B_C" c-precision/ -- $PY -m benchmarks.precision $PREC_ARGS --out "$OUT/c-precision"
# shellcheck disable=SC2086
stage d-many-fields "$B_D" d-many-fields/ -- \
  $PY -m benchmarks.run $MANY_ARGS --no-steps --no-variants --no-profile --no-sweep --no-scaling --no-video \
  --out "$OUT/d-many-fields" ${DATA:+--data "$DATA"}
# shellcheck disable=SC2086
stage e-kodak-probe "$B_E" e-kodak-probe/kodak-probe.json -- \
  $PY -m benchmarks.kodak_probe $PROBE_ARGS --out "$OUT/e-kodak-probe"

echo "device check ($MODE) done in $(( $(date +%s) - t_all )) s; results in $OUT/"
cat "$OUT/summary.md"
