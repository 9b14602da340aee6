"""Micro-benchmark: XLA ``jnp.sin`` vs ``spectral_inr.ops.fast_sin`` (values and gradients).

Usage::

    python benchmarks/sine_micro.py            # 25M float32 values, median of 5
    python benchmarks/sine_micro.py --n 1000000 --repeats 9

Every function is ``jax.jit``-compiled, warmed up once, then timed ``--repeats``
times with ``block_until_ready``; the table shows median / min wall time.  The
"grad" rows time ``jax.grad(lambda x: f(x).sum())`` -- i.e. the forward sine
plus the derivative (cos) -- which is what a training step pays.
Cases are timed round-robin (interleaved) to be fair on a shared machine; the
"negate" row is a trivial elementwise op (read 4 B, write 4 B per element),
i.e. the memory/allocation floor any elementwise sine can at best reach.
The input is uniform in ``[-range, range]`` (default 3000, a SIREN first layer
with omega_0 ~ 3000).
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr.ops import fast_cos, fast_sin, fast_sincos


def _time_all(cases, x, repeats: int) -> dict[str, list[float]]:
    """Warm up every case, then time them interleaved (round-robin) so that load
    from other processes on a shared machine biases all rows alike."""
    for _, fn in cases:
        jax.block_until_ready(fn(x))  # compile + warm-up
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(repeats):
        for name, fn in cases:
            t0 = time.perf_counter()
            jax.block_until_ready(fn(x))
            times[name].append(time.perf_counter() - t0)
    return times


def _sum_grad(f):
    return jax.jit(jax.grad(lambda x: f(x).sum()))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=25_000_000, help="number of float32 values")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--range", type=float, default=3000.0, dest="xrange")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    x = jnp.asarray(rng.uniform(-args.xrange, args.xrange, args.n).astype(np.float32))
    x64 = np.asarray(x, dtype=np.float64)

    cases = [
        ("negate (mem. floor)", jax.jit(jnp.negative)),
        ("jnp.sin", jax.jit(jnp.sin)),
        ("fast_sin", jax.jit(fast_sin)),
        ("jnp.cos", jax.jit(jnp.cos)),
        ("fast_cos", jax.jit(fast_cos)),
        ("fast_sincos (both)", jax.jit(fast_sincos)),
        ("grad jnp.sin", _sum_grad(jnp.sin)),
        ("grad fast_sin", _sum_grad(fast_sin)),
    ]

    print(
        f"backend={jax.default_backend()}  devices={jax.devices()}  jax={jax.__version__}\n"
        f"n={args.n:,} float32 in [-{args.xrange:g}, {args.xrange:g}], "
        f"median/min of {args.repeats} after warm-up"
    )
    header = f"{'function':<20} {'median ms':>10} {'min ms':>9} {'ns/elem':>8} {'max|err|':>10}"
    print(header)
    print("-" * len(header))
    base = {}
    all_times = _time_all(cases, x, args.repeats)
    for name, fn in cases:
        ts = all_times[name]
        med = statistics.median(ts)
        base[name] = med
        out = fn(x)
        if name.startswith("negate"):
            ref = -x64
        elif name.startswith("grad"):
            ref = np.cos(x64)
        elif "sincos" in name:
            out, ref = out[0], np.sin(x64)
        elif "cos" in name:
            ref = np.cos(x64)
        else:
            ref = np.sin(x64)
        err = float(np.max(np.abs(np.asarray(out, dtype=np.float64) - ref)))
        print(
            f"{name:<20} {med * 1e3:>10.1f} {min(ts) * 1e3:>9.1f} "
            f"{med / args.n * 1e9:>8.2f} {err:>10.2e}"
        )
        del out
    print(
        f"speed-up: sin x{base['jnp.sin'] / base['fast_sin']:.2f}, "
        f"cos x{base['jnp.cos'] / base['fast_cos']:.2f}, "
        f"grad x{base['grad jnp.sin'] / base['grad fast_sin']:.2f}"
    )


if __name__ == "__main__":
    main()
