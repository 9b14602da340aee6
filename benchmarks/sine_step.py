"""Step time of SIREN 3×256 on a 128² image with each sine: this tree's fast sine, an older
``fast_sine.py`` (a git revision), and XLA's ``jnp.sin``.

Usage::

    python -m benchmarks.sine_step                       # old = 5353624's fast_sine.py (no fallback)
    python -m benchmarks.sine_step --old-rev main --repeats 15 --members 4

One step is forward, backward and Adam (``benchmarks.workloads.flax_step``) on all 16384
pixels, jitted with the sine in question bound at trace time (``spectral_inr.ops.sin`` is
swapped while the step is lowered).  ``--members K`` vmaps the step over K stacked copies
(the sweep engine's shape: the fast sine's range check then runs once for all members).
Cases are timed round-robin (``benchmarks.timing.time_round_robin``), after two warm-up
steps each; the table gives median and minimum wall time and the process CPU time per step.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import workloads
from benchmarks.timing import Case, time_round_robin
from spectral_inr import ops
from spectral_inr.environment import cpu_model

ROOT = Path(__file__).resolve().parents[1]
PRE_FIX = "5353624"   # the last commit whose fast sine had no large-input fallback


def old_fast_sin(rev: str):
    """``fast_sin`` of ``spectral_inr/ops/fast_sine.py`` at git revision ``rev`` (a module of its own)."""
    text = subprocess.run(["git", "show", f"{rev}:spectral_inr/ops/fast_sine.py"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "old_fast_sine.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("old_fast_sine", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.fast_sin


@contextlib.contextmanager
def sine_bound_to(fn):
    """``spectral_inr.ops.sin`` is ``fn`` inside the block (the models look it up at trace time)."""
    saved = ops.sin
    ops.sin = fn
    try:
        yield
    finally:
        ops.sin = saved


class StepCase(Case):
    def __init__(self, name, sine_fn, members: int):
        self.name, self.framework, self.sine, self.variant = name, "jax", name, "base"
        model, tx, _, _ = workloads.build_model("siren")
        coords, target = workloads.image_batch(128, 128)
        x, y = jnp.asarray(coords), jnp.asarray(target)
        params = model.init(jax.random.key(0), x[:1])["params"]
        step = workloads.flax_step(model, tx)
        if members > 1:
            params = jax.tree_util.tree_map(lambda a: jnp.stack([a] * members), params)
            step = jax.vmap(step, in_axes=(0, 0, None, None))
        opt_state = jax.vmap(tx.init)(params) if members > 1 else tx.init(params)
        with sine_bound_to(sine_fn):
            self.compiled = jax.jit(step, donate_argnums=(0, 1)).lower(params, opt_state, x, y).compile()
        self.p, self.s, self.x, self.y = params, opt_state, x, y

    def step(self):
        self.p, self.s, loss = self.compiled(self.p, self.s, self.x, self.y)
        jax.block_until_ready(loss)
        return float(jnp.sum(loss))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old-rev", default=PRE_FIX, help=f"git revision of the old fast_sine.py (default {PRE_FIX}: "
                   "the last commit before the large-input fallback)")
    p.add_argument("--repeats", type=int, default=11)
    p.add_argument("--members", type=int, default=1)
    args = p.parse_args(argv)
    cases = [StepCase("fast (this tree)", ops.fast_sin, args.members),
             StepCase(f"fast ({args.old_rev})", old_fast_sin(args.old_rev), args.members),
             StepCase("xla jnp.sin", jnp.sin, args.members)]
    out = time_round_robin(cases, warmup=2, repeats=args.repeats)
    print(f"SIREN 3x256, 128x128, members {args.members}, {args.repeats} rounds; CPU: {cpu_model()}, "
          f"{jax.device_count()} device(s), jax {jax.__version__}")
    base = statistics.median(out[cases[1].name]["wall"])
    rows = {}
    for c in cases:
        wall, cpu = out[c.name]["wall"], out[c.name]["cpu"]
        rows[c.name] = {"median_s": statistics.median(wall), "min_s": min(wall), "cpu_s": statistics.median(cpu)}
        print(f"  {c.name:22s} median {1e3 * rows[c.name]['median_s']:8.1f} ms  min {1e3 * min(wall):8.1f} ms  "
              f"cpu {1e3 * rows[c.name]['cpu_s']:8.1f} ms  ({statistics.median(wall) / base:5.3f}x old)")
    losses = [np.asarray(out[c.name]["warmup_losses"]) for c in cases]
    print("  first losses:", "; ".join(f"{c.name}: {l[0]:.6g}" for c, l in zip(cases, losses)))
    return rows


if __name__ == "__main__":
    sys.exit(main() and 0)
