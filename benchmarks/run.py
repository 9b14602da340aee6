"""spectral_inr performance benchmark (issue "Performance").

Usage (from the repository root)::

    python -m benchmarks.run            # full: 64², 128², 256×384 pixels; K = 1, 4, 16
    python -m benchmarks.run --quick    # tiny sizes, a smoke test (seconds)
    python -m benchmarks.run --no-torch --out /tmp/bench

Writes ``<out>/bench-<device>.json`` and ``.md`` (``bench-<device>-quick.*`` with
``--quick``); ``<device>`` is ``cpu`` or ``gpu-<kind>`` (e.g. ``gpu-h100``).

What is measured (all in one process; see ``docs/performance.md``):

1. **Train step** -- forward + backward + Adam update, full batch, MSE -- of SIREN
   3×256 and the TUNER Kodak net (416 integer frequencies, one hidden layer of 416,
   ``tuner_bounds`` chained after Adam) at several pixel counts, for this library
   (jit'd step, parameters and optimizer state donated, ``block_until_ready``)
   with ``jnp.sin`` (``SPECTRAL_INR_SINE=xla``) and with the fast sine, and for a
   PyTorch eager reference of the same network, initial parameters, optimizer and
   batch.  Cases of one (model, size) are timed round-robin after warm-up and the
   median is reported (interleaving biases all cases alike on a loaded machine).
2. **Achieved FLOP/s**: matmul FLOPs of the step over its time, divided by the
   rate of a 2048² float32 ``jnp`` matmul timed in the *same round* (the roofline
   fraction per round; the row's ``roofline_fraction`` is their median), so a
   machine that slows down during the run slows both alike. The same matmul is
   also timed at the start and at the end of the run, for context.
3. **Variants** of the SIREN step at the largest size (ω0 fused into the weights,
   no donation, ``jax.default_matmul_precision("highest")``, XLA:CPU compiler
   options, the engine's ``Fitter.step``) and a **profile attribution** (sine vs
   matmul vs other) from ``jax.profiler`` + the optimised HLO.
4. **Sweep**: a K-seed ``sweep`` (one vmapped program) vs K sequential ``fit``
   calls of a small audio-like 1-D SIREN -- warm (compile excluded; compile time
   is reported separately).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import time
import traceback
from typing import Any

from spectral_inr import ops

from benchmarks import many_fields, scaling, video_fit
from benchmarks.report import markdown, targets
from benchmarks.seed_sweep import bench_sweep
from benchmarks.timing import _loadavg, device_name, environment, log, matmul_rate, torch_available
from benchmarks.train_step import bench_steps
from benchmarks.workloads import FULL_SIZES, QUICK_SIZES

def _sizes(text: str):
    out = []
    for part in text.split(","):
        h, _, w = part.strip().lower().partition("x")
        out.append((int(h), int(w or h)))
    return tuple(out)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (smoke test)")
    p.add_argument("--out", default="results", help="output directory (default: results/)")
    p.add_argument("--device-name", default=None, help="override the <device> part of the file name")
    p.add_argument("--sizes", type=_sizes, default=None, help="pixel grids, e.g. 64x64,128x128,256x384")
    p.add_argument("--models", default="siren,tuner")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--matmul-n", type=int, default=None)
    p.add_argument("--sweep-k", default=None, help="comma-separated K values (default 1,4,16)")
    p.add_argument("--sweep-width", type=int, default=None)
    p.add_argument("--sweep-samples", type=int, default=None)
    p.add_argument("--sweep-steps", type=int, default=None)
    p.add_argument("--sweep-repeats", type=int, default=None)
    p.add_argument("--profile-repeats", type=int, default=None)
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch columns")
    p.add_argument("--no-variants", action="store_true")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--no-sweep", action="store_true")
    p.add_argument("--no-steps", action="store_true")
    p.add_argument("--no-torch-compile", dest="torch_compile", action="store_false",
                   help="skip the torch.compile (inductor) peer")
    p.add_argument("--no-many", action="store_true", help="skip the many-small-fields benchmark")
    p.add_argument("--many-k", default=None, help="fields at once (default 16,64,256,1024)")
    p.add_argument("--many-steps", type=int, default=None, help="steps per field (default 500)")
    p.add_argument("--many-seq", type=int, default=None, help="sequential fits timed for the baseline (default 16)")
    p.add_argument("--many-vmap-max-k", type=int, default=None, help="largest K run as one vmap (default 256)")
    p.add_argument("--data", default=None, help="data folder holding mnist/ (default: $SPECTRAL_INR_DATA, "
                                                "else ../shared/data; synthetic digits when absent)")
    p.add_argument("--no-scaling", action="store_true", help="skip the cost-growth benchmark")
    p.add_argument("--no-video", action="store_true", help="skip the video-fit benchmark")
    p.add_argument("--scaling-sides", default=None, help="square image sides, full batch (default 128,256,512,1024)")
    p.add_argument("--scaling-widths", default=None, help="SIREN widths (default 64,128,256,512,1024)")
    p.add_argument("--scaling-width-side", type=int, default=None, help="image side of the width series (128)")
    p.add_argument("--scaling-repeats", type=int, default=None)
    p.add_argument("--scaling-steps", type=int, default=None, help="minibatch steps timed (default 20)")
    a = p.parse_args(argv)
    q = a.quick
    a.sizes = a.sizes or (QUICK_SIZES if q else FULL_SIZES)
    a.models = [m.strip() for m in a.models.split(",") if m.strip()]
    for m in a.models:
        if m not in ("siren", "tuner"):
            p.error(f"unknown model {m!r}")
    a.repeats = a.repeats or (3 if q else 7)
    a.warmup = a.warmup or 2
    a.matmul_n = a.matmul_n or (512 if q else 2048)
    a.sweep_k = [int(k) for k in (a.sweep_k or ("1,2" if q else "1,4,16")).split(",")]
    a.sweep_width = a.sweep_width or (16 if q else 128)
    a.sweep_samples = a.sweep_samples or (256 if q else 4096)
    a.sweep_steps = a.sweep_steps or (10 if q else 200)
    a.sweep_repeats = a.sweep_repeats or (1 if q else 3)
    a.profile_repeats = a.profile_repeats or (1 if q else 3)
    ints = lambda text: [int(v) for v in text.split(",")]  # noqa: E731
    a.torch_compile = a.torch_compile and not q   # inductor's compile takes minutes: not in the smoke test
    a.many_k = ints(a.many_k or ("4,8" if q else "16,64,256,1024"))
    a.many_steps = a.many_steps or (10 if q else 500)
    a.many_seq = a.many_seq or (2 if q else 16)
    a.many_vmap_max_k = a.many_vmap_max_k or (8 if q else 256)
    a.scaling_sides = ints(a.scaling_sides or ("16,32" if q else "128,256,512,1024"))
    a.scaling_widths = ints(a.scaling_widths or ("16,32" if q else "64,128,256,512,1024"))
    a.scaling_width_side = a.scaling_width_side or (16 if q else 128)
    a.scaling_repeats = a.scaling_repeats or (1 if q else 3)
    a.scaling_steps = a.scaling_steps or (2 if q else 20)
    return a


def main(argv=None) -> dict:
    args = parse_args(argv)
    use_torch = not args.no_torch and torch_available()
    notes = []
    if not args.no_torch and not use_torch:
        notes.append("PyTorch is not importable: torch columns skipped "
                     "(install a CPU build, e.g. `pip install torch==2.13.0`).")
    dev = args.device_name or device_name()
    suffix = "-quick" if args.quick else ""
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"bench-{dev}{suffix}")
    report: dict[str, Any] = {
        "schema": 1, "mode": "quick" if args.quick else "full", "device": dev,
        "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "loadavg_start": _loadavg(), "environment": environment(use_torch),
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(args).items()},
        "notes": notes, "errors": [],
    }
    report["settings"]["sizes"] = [list(s) for s in args.sizes]
    t_start = time.perf_counter()
    sine_before = ops.get_sine_impl()
    try:
        log(f"matmul reference {args.matmul_n}²")
        torch_mm = use_torch and not args.quick  # context only; skipped in the smoke test
        mm_start = matmul_rate(args.matmul_n, max(3, args.repeats // 2), torch_mm)
        if not args.no_steps:
            report["train_step"] = bench_steps(args, use_torch)   # roofline: per round, against a matmul in it
        mm_end = matmul_rate(args.matmul_n, max(3, args.repeats // 2), torch_mm)
        all_times = mm_start["times_s"] + mm_end["times_s"]
        med = statistics.median(all_times)
        report["matmul_rate"] = {"n": args.matmul_n, "start": mm_start, "end": mm_end, "median_s": med,
                                 "gflops": 2 * args.matmul_n ** 3 / med / 1e9}
        if "torch_times_s" in mm_start:
            tmed = statistics.median(mm_start["torch_times_s"] + mm_end["torch_times_s"])
            report["matmul_rate"]["torch_gflops"] = 2 * args.matmul_n ** 3 / tmed / 1e9
        if not args.no_sweep:
            report["sweep"] = bench_sweep(args)
        if not args.no_many:
            report["many_fields"] = many_fields.bench(args)
        if not args.no_scaling:
            report["scaling"] = scaling.bench(args)
        if not args.no_video:
            report["video"] = video_fit.bench(args)
    except Exception as exc:  # keep what was measured; record the failure
        report["errors"].append(f"{type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        ops.set_sine_impl(sine_before)
    report["loadavg_end"] = _loadavg()
    report["total_seconds"] = time.perf_counter() - t_start
    report["process_cpu_seconds"] = time.process_time()
    report["targets"] = targets(report)
    with open(stem + ".json", "w") as f:
        json.dump(report, f, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    with open(stem + ".md", "w") as f:
        f.write(markdown(report))
    log(f"wrote {stem}.json and {stem}.md ({report['total_seconds']:.1f} s)")
    if report["errors"]:
        raise SystemExit(1)
    return report


if __name__ == "__main__":
    main()
