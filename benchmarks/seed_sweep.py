"""The K-seed sweep of one signal (one vmapped program) against K sequential ``fit`` calls."""
from __future__ import annotations

import statistics
import time

import numpy as np

from spectral_inr import models, ops, train

from benchmarks.timing import log
from benchmarks.workloads import LR, audio_batch


def bench_sweep(args) -> dict:
    """K-seed vmapped sweep vs K sequential fits (warm: compile excluded, reported apart)."""
    n, width, steps, ks = args.sweep_samples, args.sweep_width, args.sweep_steps, args.sweep_k
    t, y = audio_batch(n)
    # One Fitter (and model_fn) for all calls, so fit/sweep reuse their compiled programs.
    model = models.Siren(out_features=1, width=width, depth=3, first_omega0=3000.0)
    fitter = train.Fitter(model_fn=lambda hp: model)
    kw = dict(chunk=steps, progress=False, mesh=None)
    hp = {"lr": LR}

    log(f"sweep: {len(ks)} K values, {n} samples, width {width}, {steps} steps")
    t0 = time.perf_counter()
    first = train.fit(fitter, t, y, hp, steps, seed=0, **kw)
    fit_first_s = time.perf_counter() - t0
    kmax = max(ks)
    fit_walls, fit_final = [], []
    for i in range(kmax):
        t0 = time.perf_counter()
        r = train.fit(fitter, t, y, hp, steps, seed=i, **kw)
        fit_walls.append(time.perf_counter() - t0)
        fit_final.append(float(r.history["loss"][0, -1]))
    del first
    results = []
    for k in ks:
        members = train.grid(seeds=k, lr=[LR])
        t0 = time.perf_counter()
        train.sweep(fitter, t, y, members, steps, **kw)
        sweep_first_s = time.perf_counter() - t0
        walls = []
        res = None
        for _ in range(args.sweep_repeats):
            t0 = time.perf_counter()
            res = train.sweep(fitter, t, y, members, steps, **kw)
            walls.append(time.perf_counter() - t0)
        sweep_s = statistics.median(walls)
        seq_s = sum(fit_walls[:k])
        final = res.history["loss"][:, -1].astype(float)
        results.append({
            "K": k,
            "sweep_wall_s": sweep_s, "sweep_walls_s": walls,
            "sequential_wall_s": seq_s, "sequential_fit_walls_s": fit_walls[:k],
            "ratio_sweep_over_sequential": sweep_s / seq_s,
            "sweep_first_call_s": sweep_first_s,
            # K=1 is the very program fit() compiled above, so its first call is already warm
            "sweep_compile_s_estimate": None if k == 1 else sweep_first_s - sweep_s,
            "member_steps_per_s_sweep": k * steps / sweep_s,
            "member_steps_per_s_sequential": k * steps / seq_s,
            "final_loss_max_abs_diff_vs_fit": float(np.max(np.abs(final - np.asarray(fit_final[:k])))),
        })
        log(f"sweep K={k}: sweep {sweep_s:.3f}s vs sequential {seq_s:.3f}s")
    return {
        "config": {"model": f"Siren(out_features=1, width={width}, depth=3, first_omega0=3000)",
                   "samples": n, "steps": steps, "lr": LR, "chunk": steps,
                   "sine": ops.resolved_sine_impl(),
                   "timing": "warm: every program was compiled by a previous identical call; walls are "
                             "end-to-end fit()/sweep() calls (init, scan, host transfer), compile excluded. "
                             "Sequential wall for K = sum of the first K of max(K) warm fit() calls "
                             "(seeds 0..K-1)."},
        "fit_first_call_s": fit_first_s,
        "fit_compile_s_estimate": fit_first_s - statistics.median(fit_walls),
        "results": results,
    }
