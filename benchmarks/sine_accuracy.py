"""Accuracy of ``spectral_inr.ops.fast_sin``/``fast_cos`` over the whole float32 range, eager and jitted.

Usage::

    python -m benchmarks.sine_accuracy              # ~2M inputs per range, a minute on one core
    python -m benchmarks.sine_accuracy --n 200000   # quicker

For each range of ``|x|`` it draws float32 values uniformly *in bit pattern* (so every
binade is covered; both signs), adds the float32 values nearest to multiples of pi/2 and
their 8 neighbours on each side (where one of sin/cos is tiny and a sloppy range reduction
shows), and compares with ``np.sin``/``np.cos`` in float64 of the same float32 input.
It prints the max absolute error and the max error in float32 ulps of the true result
(``np.spacing(float32(ref))``, for normal results only: XLA on CPU flushes subnormals to zero;
the ulp of a tiny result is tiny, so near multiples of pi/2 a method with an absolute-error
bound shows many ulps), for ``jax.jit(fast_sin)`` and for eager calls,
and the same for ``jnp.sin`` (XLA) for comparison.  The module docstring of
``spectral_inr/ops/fast_sine.py`` quotes this table.
"""
from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr.ops import fast_cos, fast_sin

RANGES = (("[0, pi/4]", 0.0, np.pi / 4), ("(pi/4, 100]", np.pi / 4, 100.0), ("(100, 1e4]", 100.0, 1e4),
          ("(1e4, 1e5]", 1e4, 1e5), ("(1e5, 2^24]", 1e5, 2.0 ** 24), ("(2^24, 1e30]", 2.0 ** 24, 1e30),
          ("(1e30, max]", 1e30, float(np.finfo(np.float32).max)))


def sample(lo: float, hi: float, n: int, rng) -> np.ndarray:
    """``n`` float32 in ``(lo, hi]`` uniform in bit pattern, both signs, plus the float32 nearest
    to multiples of pi/2 in the range (up to ``n/16``, geometrically spaced in k, below 2**23) and their
    8 neighbours on each side."""
    a, b = (np.array([lo, hi], np.float32).view(np.int32)).tolist()
    x = rng.integers(a, b, n, endpoint=True).astype(np.int32).view(np.float32)
    # nearest float32 to k*pi/2 only where the float32 spacing is below ~1 (|x| < 2**23); above,
    # float32 values are spread evenly mod pi/2 and the uniform and windowed samples cover them
    kmin, kmax = max(1, int(np.ceil(lo / (np.pi / 2)))), int(np.floor(min(hi, 2.0 ** 23) / (np.pi / 2)))
    if kmax >= kmin:
        k = np.unique(np.geomspace(kmin, kmax, min(n // 16, kmax - kmin + 1)).round())
        near = (k * (np.pi / 2)).astype(np.float32)
        near = near[np.isfinite(near)].view(np.int32)
        x = np.concatenate([x] + [(near + d).view(np.float32) for d in range(-8, 9)])
    x = x[(np.abs(x) > lo) | (lo == 0.0)]
    x = x[np.abs(x) <= hi]
    return np.concatenate([x, -x]).astype(np.float32)


def errors(f, ref, x: np.ndarray) -> tuple[float, float]:
    y = np.asarray(f(x), np.float64)
    r = ref(x.astype(np.float64))
    e = np.abs(y - r)
    normal = np.abs(r) >= np.finfo(np.float32).tiny   # XLA:CPU flushes subnormals: ulps only for normal results
    ulp = np.spacing(np.abs(r[normal]).astype(np.float32)).astype(np.float64)
    return float(e.max()), float((e[normal] / ulp).max())


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2_000_000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    fns = {"fast_sin jit": (jax.jit(fast_sin), np.sin), "fast_sin eager": (fast_sin, np.sin),
           "fast_cos jit": (jax.jit(fast_cos), np.cos), "fast_cos eager": (fast_cos, np.cos),
           "jnp.sin jit": (jax.jit(jnp.sin), np.sin)}
    out = {}
    print(f"{'|x| range':14s}" + "".join(f"{k:>26s}" for k in fns))
    print(f"{'':14s}" + "".join(f"{'abs err   ulps':>26s}" for _ in fns))
    for name, lo, hi in RANGES:
        x = sample(lo, hi, args.n, rng)
        row = {k: errors(f, ref, x) for k, (f, ref) in fns.items()}
        out[name] = row
        print(f"{name:14s}" + "".join(f"{a:16.2e}{u:10.1f}" for a, u in row.values()))
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, np.finfo(np.float32).max,
                        -np.finfo(np.float32).max, np.finfo(np.float32).tiny, 1e-45], np.float32)
    print("special", special.tolist(), "->", np.asarray(jax.jit(fast_sin)(special)).tolist())
    return out


if __name__ == "__main__":
    main()
