"""How long ``make exp-kodak PROFILE=official`` would take here, from steady-state steps only.

The official TUNER Kodak protocol fits 24 images × 3 seeds (72 vmapped members) for 5,000 epochs of
⌈0.95 × 512² / 65,536⌉ = 4 batches (20,000 steps), twice: once on the 95 % split (test columns), once
on all pixels (train columns).  This probe builds the same fitter through the recipes
(:func:`spectral_inr.recipes.tuner_protocol_fitter` on :data:`spectral_inr.protocols.tuner.OFFICIAL`),
runs one sweep of ``1 + --chunks`` chunks and times each chunk as it ends:

* the first chunk (compile + run) is the compile estimate (``compile_s``, the first chunk's steady
  run time taken off);
* the median seconds per step of the later chunks is the steady-state rate;
* the full protocol ≈ per fit: ``compile_s + steps × steady_step_s``, summed over the fits, plus an
  evaluation estimate (the prediction of every member on every pixel, timed once, × fits).

Imports, data loading and the probe's own first chunk are never multiplied by the step count (the
old ``experiments/gpu_kodak.sh`` extrapolated from a 25-epoch run that included them).  The images
are synthetic (uniform noise at the protocol's size: step time does not depend on pixel values), so
no data is needed.

    python -m benchmarks.kodak_probe --out results/device-check-h100 [--chunks 5] [--tiny]

``--tiny``: a 32² image, 16 neurons, 1 image × 1 seed, batches of 256 (the CPU check, seconds).
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import statistics
import time

import jax
import numpy as np

from spectral_inr import recipes
from spectral_inr.data import train_test_split
from spectral_inr.protocols.tuner import OFFICIAL
from spectral_inr.signals import Signal
from spectral_inr.train import sweep
from spectral_inr.train.progress import Progress

CHUNK = 100   # experiments/kodak.py's CHUNK


def tiny_protocol():
    return dataclasses.replace(OFFICIAL, name="official-tiny", images=(5,), resize=32, width=16, seeds=1,
                               batch_size=256, epochs=20)


def protocol_fits(p) -> list:
    """``(name, pixels, steps)`` of every sweep the protocol runs for one method (experiments/kodak.py)."""
    n = p.pixels()
    train = n - round(p.test_fraction * n)
    fits = [("split", train, p.steps(train))]
    if p.train_metrics == "full-fit":
        fits.append(("full", n, p.steps(n)))
    return fits


def steady_step_seconds(marks) -> float:
    """Median seconds per step over the chunks after the first; ``marks``: ``[(done, t)]`` with the
    sweep's start as ``(0, t0)``, then one per chunk end."""
    rates = [(t1 - t0) / (d1 - d0) for (d0, t0), (d1, t1) in itertools.pairwise(marks[1:]) if d1 > d0]
    if not rates:
        raise ValueError("need at least two chunks after the start to time the steady state")
    return statistics.median(rates)


def extrapolate(first_chunk_s: float, first_chunk_steps: int, steady_s: float, fits, eval_s: float = 0.0,
                methods: int = 1) -> dict:
    """The full protocol's seconds: per fit ``compile + steps × steady`` (+ ``eval_s``), × ``methods``.

    ``compile_s`` = the first chunk's time less what its steps take at the steady rate (≥ 0)."""
    compile_s = max(0.0, first_chunk_s - first_chunk_steps * steady_s)
    per_fit = {name: compile_s + steps * steady_s + eval_s for name, _, steps in fits}
    per_method = sum(per_fit.values())
    return {"compile_s": compile_s, "steady_step_s": steady_s, "eval_s": eval_s,
            "fit_s": per_fit, "per_method_s": per_method, "methods": methods, "total_s": per_method * methods}


class _Marks(Progress):
    """No bar; the wall time at the start and at every chunk's end (the losses are on the host then)."""

    def __init__(self):
        super().__init__(show=False)
        self.marks = []

    def start(self, total, done, members=(), config=None):
        super().start(total, done, members, config)
        self.marks.append((done, time.perf_counter()))

    def chunk(self, done, loss):
        np.asarray(loss)
        self.marks.append((done, time.perf_counter()))
        super().chunk(done, loss)


def probe(p, method: str = "tuner", chunks: int = 5, chunk: int = CHUNK, seed: int = 0) -> dict:
    side = p.resize or p.crop
    rng = np.random.default_rng(seed)
    members = [{"omega0": 30.0, "seed": s, "image": i} for i in p.images for s in range(p.seeds)]
    image = Signal("image", rng.random((side, side, 3), dtype=np.float32), "noise")
    fitter = recipes.tuner_protocol_fitter(p, method, out_features=3)
    train_idx, _ = train_test_split(p.pixels(), p.test_fraction)
    coords = image.coords()[train_idx]
    targets = np.stack([rng.random((len(train_idx), 3), dtype=np.float32) for _ in members])
    steps = (1 + chunks) * chunk
    marks = _Marks()
    t0 = time.perf_counter()
    result = sweep(fitter, coords, targets, members, steps, chunk=chunk, member_targets=True, progress=marks)
    wall = time.perf_counter() - t0
    m = marks.marks
    first_s, first_steps = m[1][1] - m[0][1], m[1][0] - m[0][0]
    steady = steady_step_seconds(m)
    # evaluation estimate: every member predicts every pixel (compiled once, timed on the second call)
    all_coords = image.coords()
    params = [result.member_state(i).params for i in range(len(members))]

    predict = jax.jit(lambda pr, x: fitter.predict(pr, {}, {}, x))

    def predict_all():
        return [np.asarray(predict(pr, all_coords)) for pr in params]

    predict_all()
    t1 = time.perf_counter()
    predict_all()
    eval_s = time.perf_counter() - t1
    est = extrapolate(first_s, first_steps, steady, protocol_fits(p), eval_s=eval_s)
    return {"method": method, "members": len(members), "side": side, "width": p.width,
            "batch_size": p.batch_size, "probe_steps": steps, "chunk": chunk, "probe_wall_s": wall,
            "first_chunk_s": first_s, "chunk_marks": [[d, t - m[0][1]] for d, t in m],
            "fits": [{"name": n, "pixels": px, "steps": s} for n, px, s in protocol_fits(p)],
            "diverged": bool(np.any(result.diverged)), **est}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.kodak_probe")
    ap.add_argument("--methods", default="tuner,tuner-siren", help="exp-kodak-gpu's methods (comma-separated)")
    ap.add_argument("--chunks", type=int, default=5, help="steady-state chunks timed after the first")
    ap.add_argument("--chunk", type=int, default=CHUNK)
    ap.add_argument("--tiny", action="store_true", help="32², 16 neurons, 1 member: the CPU check")
    ap.add_argument("--out", default=None, help="write kodak-probe.json here")
    a = ap.parse_args(argv)
    p = tiny_protocol() if a.tiny else OFFICIAL
    rows = [probe(p, m, chunks=a.chunks, chunk=a.chunk) for m in a.methods.split(",") if m]
    report = {"protocol": p.name, "backend": jax.default_backend(), "device": jax.devices()[0].device_kind,
              "devices": jax.device_count(), "rows": rows,
              "total_s": sum(r["per_method_s"] for r in rows),
              "note": "per fit: compile (first chunk less its steady run) + steps × median steady s/step + "
                      "one evaluation pass; synthetic images of the protocol's size"}
    report["total_min"] = report["total_s"] / 60
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}, indent=1))
    for r in rows:
        print(f"{r['method']}: compile {r['compile_s']:.1f} s, steady {r['steady_step_s'] * 1e3:.2f} ms/step "
              f"({r['members']} members), eval {r['eval_s']:.1f} s → {r['per_method_s'] / 60:.1f} min")
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "kodak-probe.json"), "w") as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == "__main__":
    main()
