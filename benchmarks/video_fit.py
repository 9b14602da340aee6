"""Benchmark 4 — a video fit: training samples per second, and the memory of evaluating the whole clip.

SIREN 3×256 on a video ``(T, H, W, 3)`` (a smooth synthetic clip of the size asked, so the
number does not depend on a data file), trained by the engine's ``sweep`` on minibatches
drawn uniformly with replacement every step (``Fitter(shuffle="uniform")``, SIREN's video
protocol).  Reported: samples per second of training (steps × batch × members / wall time,
compile excluded: the first chunk is run and timed separately), and the peak resident
memory growth of ``evaluation.evaluate`` on the whole clip (slab by slab; ``ru_maxrss``
before/after, so only a growth above the process's earlier peak shows).
"""
from __future__ import annotations

import resource
import time

import numpy as np

from benchmarks.timing import log
from spectral_inr import evaluation, models
from spectral_inr.signals import Signal
from spectral_inr.train import Fitter, sweep

QUICK = {"shape": (4, 24, 32), "batch": 512, "steps": 20}
FULL = {"shape": (16, 68, 160), "batch": 8192, "steps": 200}


def clip(shape) -> Signal:
    """A smooth moving pattern in [0, 1]: three channels of sinusoids drifting over time."""
    t, y, x = np.meshgrid(*[np.linspace(-1, 1, n) for n in shape], indexing="ij")
    values = np.stack([0.5 + 0.4 * np.sin(3 * (x - 0.5 * t) + c) * np.cos(2 * y + t) for c in (0.0, 1.0, 2.0)], -1)
    return Signal("video", values.astype(np.float32), "synthetic")


def _rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # Linux: KiB


def bench(args) -> dict:
    cfg = QUICK if args.quick else FULL
    signal = clip(cfg["shape"])
    fitter = Fitter(lambda hp: models.Siren(out_features=3, width=256, depth=3), batch_size=cfg["batch"],
                    shuffle="uniform")
    members = [{"lr": 1e-4, "seed": 0}]
    coords, targets = signal.coords(), signal.targets()
    t0 = time.perf_counter()
    sweep(fitter, coords, targets, members, cfg["steps"], chunk=cfg["steps"], progress=False)   # compile + run
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = sweep(fitter, coords, targets, members, cfg["steps"], chunk=cfg["steps"], progress=False)
    wall = time.perf_counter() - t0
    rss0 = _rss_bytes()
    t0 = time.perf_counter()
    scores = evaluation.evaluate(fitter, result, signal)
    eval_s = time.perf_counter() - t0
    row = {"model": "siren 3×256", "shape": list(signal.values.shape), "samples": signal.size, "batch": cfg["batch"],
           "steps": cfg["steps"], "train_s": wall, "first_call_s": first,
           "samples_per_s": cfg["steps"] * cfg["batch"] * len(members) / wall,
           "eval_s": eval_s, "eval_rss_growth_bytes": max(0, _rss_bytes() - rss0),
           "prediction_bytes": signal.size * signal.channels * 4, "psnr": float(scores["psnr"][0])}
    log(f"video: {row['samples_per_s']:,.0f} samples/s, evaluation {eval_s:.1f} s, "
        f"RSS growth {row['eval_rss_growth_bytes'] / 2**20:.0f} MiB")
    return row

