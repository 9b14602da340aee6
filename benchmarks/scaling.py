"""Benchmark 3 — how the cost grows: step time and memory of SIREN 3×W against pixels and width.

* **pixels** (W = 256): full batch at 128², 256², 512², 1024² (16k → 1M samples), and the
  engine's 65,536-sample minibatch step (``Fitter(batch_size=65536)``) on the same images;
* **width** (128² pixels, full batch): W = 64 … 1024.

Each point reports the median step time, the bytes XLA allocates for the compiled step
(``memory_analysis()``: arguments + outputs + temporaries) beside the shape estimate the
CLI uses to refuse a full batch (``train.memory.step_bytes``), and the fitted exponent
``t ∝ n^a`` (least squares in log–log).  Expectation: ``a ≈ 1`` in pixels (everything is
per-sample work), ``a → 2`` in width once the W×W matmuls dominate.
"""
from __future__ import annotations

import statistics

import numpy as np
import optax

import jax
import jax.numpy as jnp

from spectral_inr import models, train
from spectral_inr.train import memory

from benchmarks.timing import JaxCase, compiled_bytes, log, time_round_robin, timed
from benchmarks.workloads import LR, flax_step, image_batch, matmul_flops, siren_layers

MINIBATCH = 65536


def exponent(xs, ts) -> float:
    """``a`` of the least-squares fit ``log t = a log x + c``."""
    return float(np.polyfit(np.log(np.asarray(xs, float)), np.log(np.asarray(ts, float)), 1)[0])


def full_batch_point(width: int, side: int, repeats: int) -> dict:
    model = models.Siren(out_features=3, width=width, depth=3)
    tx = optax.adam(LR)
    params = jax.jit(model.init)(jax.random.PRNGKey(0), jnp.zeros((1, 2), jnp.float32))["params"]
    coords, target = image_batch(side, side)
    n = side * side
    case = JaxCase(f"W={width} {side}²", "fast", "base", flax_step(model, tx), params, jax.jit(tx.init)(params),
                   jnp.asarray(coords), jnp.asarray(target))
    t = time_round_robin([case], 1, repeats)[case.name]["wall"]
    med = statistics.median(t)
    flops = matmul_flops(n, siren_layers(width=width))["total"]
    row = {"width": width, "pixels": n, "batch": n, "median_ms": med * 1e3, "times_ms": [v * 1e3 for v in t],
           "compile_s": case.compile_s, "compiled_bytes": compiled_bytes(case.compiled),
           "estimated_bytes": memory.step_bytes(model, n, 2), "matmul_gflops": flops / med / 1e9}
    log(f"scaling: W={width} {n} px full batch {row['median_ms']:.1f} ms, "
        f"{row['compiled_bytes'] / 2**30:.2f} GiB (estimate {row['estimated_bytes'] / 2**30:.2f})")
    return row


def minibatch_point(side: int, steps: int) -> dict:
    model = models.Siren(out_features=3, width=256, depth=3)
    fitter = train.Fitter(model_fn=lambda hp: model, batch_size=MINIBATCH)
    coords, target = image_batch(side, side)
    kw = dict(chunk=steps, progress=False, mesh=None)
    train.fit(fitter, coords, target, {"lr": LR}, steps, **kw)           # compile
    wall = timed(lambda: train.fit(fitter, coords, target, {"lr": LR}, steps, **kw))
    row = {"width": 256, "pixels": side * side, "batch": MINIBATCH, "median_ms": wall / steps * 1e3,
           "steps": steps, "estimated_bytes": memory.step_bytes(model, MINIBATCH, 2)}
    log(f"scaling: {side * side} px, minibatch {MINIBATCH}: {row['median_ms']:.1f} ms per step")
    return row


def bench(args) -> dict:
    sides, widths = args.scaling_sides, args.scaling_widths
    pixels = [full_batch_point(256, s, args.scaling_repeats) for s in sides]
    mini = [minibatch_point(s, args.scaling_steps) for s in sides if s * s > MINIBATCH]
    width = [full_batch_point(w, args.scaling_width_side, args.scaling_repeats) for w in widths]
    fit = {}
    if len(pixels) > 1:
        fit["pixels_full_batch"] = exponent([r["pixels"] for r in pixels], [r["median_ms"] for r in pixels])
        fit["pixels_memory"] = exponent([r["pixels"] for r in pixels], [max(r["compiled_bytes"], 1) for r in pixels])
    if len(mini) > 1:
        fit["pixels_minibatch"] = exponent([r["pixels"] for r in mini], [r["median_ms"] for r in mini])
    if len(width) > 1:
        fit["width"] = exponent([r["width"] for r in width], [r["median_ms"] for r in width])
        top = width[-2:]
        fit["width_last_two"] = exponent([r["width"] for r in top], [r["median_ms"] for r in top])
    return {"pixels": pixels, "minibatch": mini, "width": width, "exponents": fit,
            "config": {"model": "Siren(out_features=3, width=W, depth=3), Adam, MSE, sine=fast",
                       "width_pixels": args.scaling_width_side ** 2, "minibatch": MINIBATCH,
                       "bytes": "compiled: XLA memory_analysis (arguments + outputs + temporaries − aliased); "
                                "estimated: train.memory.step_bytes (12 B per activation value)"}}
