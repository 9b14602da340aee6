"""The ceilings a train step can hit on this machine, each measured as one jitted XLA program.

* **large matmul** — 2048² float32 ``a @ b``: the compute ceiling of the big steps;
* **small matmul** — 784×32 @ 32×32 (one MNIST digit through a width-32 layer), alone and
  batched over K = 256 independent members (``einsum('kni,kij->knj')``), on one XLA:CPU
  device: the ceiling of many small fields;
* **memory stream** — ``y = 2x + b`` over 64M floats (768 MB moved): the bandwidth ceiling of
  elementwise work that misses the cache, and the same over 256k floats (in cache);
* **sine** — the fast sine and ``jnp.sin`` over 16M floats (throughput per value).

    python -m benchmarks.roofline --out results     # → results/roofline-<device>.{json,md}
"""
from __future__ import annotations

import argparse
import json
import os
import statistics

import numpy as np

import jax
import jax.numpy as jnp

from spectral_inr import ops

from benchmarks.timing import cpu_model, device_name, timed


def _median_s(fn, args, repeats: int) -> float:
    f = jax.jit(fn)
    jax.block_until_ready(f(*args))
    return statistics.median(timed(lambda: f(*args)) for _ in range(repeats))


def _rand(*shape):
    return jnp.asarray(np.random.default_rng(0).standard_normal(shape, np.float32))


def measure(repeats: int = 7, scale: float = 1.0) -> list[dict]:
    n = int(2048 * scale) // 8 * 8 or 8
    big = int(64 * 2 ** 20 * scale) or 1024
    rows = []
    t = _median_s(lambda a, b: a @ b, (_rand(n, n), _rand(n, n)), repeats)
    rows.append({"ceiling": f"large matmul {n}²", "seconds": t, "gflops": 2 * n ** 3 / t / 1e9})
    h, w = _rand(784, 32), _rand(32, 32)
    t = _median_s(lambda h, w: h @ w, (h, w), repeats * 20)
    rows.append({"ceiling": "small matmul 784×32·32×32 (one call)", "seconds": t, "gflops": 2 * 784 * 32 * 32 / t / 1e9})
    k = 256
    hk, wk = _rand(k, 784, 32), _rand(k, 32, 32)
    t = _median_s(lambda h, w: jnp.einsum("kni,kij->knj", h, w), (hk, wk), repeats)
    rows.append({"ceiling": f"small matmul batched, K={k}", "seconds": t, "gflops": k * 2 * 784 * 32 * 32 / t / 1e9})
    for size, label in ((big, "memory stream 2x+b (out of cache)"), (2 ** 18, "stream 2x+b (in cache, 1 MiB)")):
        x, b = _rand(size), _rand(size)
        t = _median_s(lambda x, b: 2 * x + b, (x, b), repeats * (1 if size == big else 50))
        rows.append({"ceiling": label, "seconds": t, "gbytes_per_s": 3 * 4 * size / t / 1e9,
                     "ns_per_value": t / size * 1e9})
    z = _rand(big // 4)
    for impl, fn in (("fast", ops.fast_sin), ("xla", jnp.sin)):
        t = _median_s(fn, (z,), repeats)
        rows.append({"ceiling": f"sine ({impl})", "seconds": t, "ns_per_value": t / z.size * 1e9,
                     "gvalues_per_s": z.size / t / 1e9})
    return rows


def markdown(report) -> str:
    lines = [f"# Measured ceilings — {report['device']} ({report['cpu_model']}, {report['cpu_count']} CPUs)", "",
             f"jax {report['jax']}; each a jitted program, median of {report['repeats']}+ calls.", "",
             "| ceiling | time | rate |", "|---|---:|---|"]
    for r in report["rows"]:
        rate = (f"{r['gflops']:.1f} GFLOP/s" if "gflops" in r else
                f"{r['gbytes_per_s']:.1f} GB/s ({r['ns_per_value']:.3f} ns/value)" if "gbytes_per_s" in r else
                f"{r['ns_per_value']:.3f} ns/value")
        lines.append(f"| {r['ceiling']} | {r['seconds'] * 1e3:.3f} ms | {rate} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m benchmarks.roofline")
    p.add_argument("--out", default=None)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--scale", type=float, default=1.0, help="shrink the big arrays (a smoke run: 0.01)")
    a = p.parse_args(argv)
    report = {"device": device_name(), "cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "jax": jax.__version__,
              "repeats": a.repeats, "rows": measure(a.repeats, a.scale)}
    text = markdown(report)
    print(text)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        stem = os.path.join(a.out, f"roofline-{report['device']}")
        with open(stem + ".json", "w") as f:
            json.dump(report, f, indent=1)
        with open(stem + ".md", "w") as f:
            f.write(text)
    return report


if __name__ == "__main__":
    main()
