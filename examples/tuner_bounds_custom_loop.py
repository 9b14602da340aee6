"""TUNER's bounds inside your own optax chain and your own jitted training loop (no Fitter).

    python examples/tuner_bounds_custom_loop.py [IMAGE] [--tiny]

`spectral_inr.optim.tuner_bounds` is an optax link: put it last in any chain and after every
update the hidden kernels satisfy |ω_G·W| ≤ c (c_low on the rows of low input frequencies, c_high
on the others: TUNER's soft band-limit). The same chain without it shows what the bound prevents.
As in TUNER's protocol, 5 % of the pixels are held out: the fit sees the rest, and the test PSNR
is measured on the held-out ones.
--tiny (or SPECTRAL_INR_EXAMPLE_TINY=1): 24×24, 60 steps. Full size: 64×64 cameraman, TUNER with
128 sampled frequencies below the bandlimit 10 (= 64 // 6), 1,000 steps.
"""
import argparse
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

from spectral_inr import metrics, models, optim
from spectral_inr.data import train_test_split
from spectral_inr.protocols.tuner import C_HIGH, C_LOW, OMEGA_G   # TUNER's bounds (the defaults of both)
from spectral_inr.signals import load_signal

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("image", nargs="?", help="any image file (default: the bundled cameraman)")
parser.add_argument("--tiny", action="store_true", default=os.environ.get("SPECTRAL_INR_EXAMPLE_TINY") == "1")
args = parser.parse_args()
size, width, steps, chunk = (24, 64, 60, 20) if args.tiny else (64, 128, 1000, 100)

image = load_signal(args.image, resize=(size, size))
coords, target = jnp.asarray(image.coords()), jnp.asarray(image.targets())
train_idx, test_idx = train_test_split(image.size, test_fraction=0.05, seed=0)
model = models.TunerSampled(out_features=image.channels, bandlimit=size // 6, width=width)
groups = models.tuner_bound_groups(model)        # {"layers_1": {"kernel": 0 (low row) | 1 (high row)}}
variables = model.init(jax.random.PRNGKey(0), coords[:1])   # params + TUNER's frozen frequencies


def make_chain(bounded: bool) -> optax.GradientTransformation:
    links = [optax.clip_by_global_norm(1.0), optax.adam(optax.cosine_decay_schedule(1e-3, steps))]
    return optax.chain(*links, optim.tuner_bounds(groups)) if bounded else optax.chain(*links)   # bounds go last


def train(tx: optax.GradientTransformation):
    def loss_fn(params, x, y):
        return jnp.mean((model.apply({**variables, "params": params}, x) - y) ** 2)

    @jax.jit
    def run_chunk(params, opt_state, x, y):        # `chunk` steps in one lax.scan: one compiled program
        def step(carry, _):                        # (data as arguments, not closed over: XLA would fold it)
            params, opt_state = carry
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
            updates, opt_state = tx.update(grads, opt_state, params)   # tuner_bounds needs params
            return (optax.apply_updates(params, updates), opt_state), loss

        (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), None, length=chunk)
        return params, opt_state, losses

    params, opt_state = variables["params"], tx.init(variables["params"])
    for done in range(chunk, steps + 1, chunk):
        params, opt_state, _ = run_chunk(params, opt_state, coords[train_idx], target[train_idx])
    pred = jnp.clip(model.apply({**variables, "params": params}, coords), 0, 1)
    return params, [float(metrics.psnr(pred[idx], target[idx])) for idx in (train_idx, test_idx)]


print(f"TUNER on a {size}x{size} image ({len(train_idx)} training pixels, {len(test_idx)} held out): "
      f"{len(model.layers[0].frequencies)} input frequencies below bandlimit {size // 6}, hidden width {width}, "
      f"{steps} steps")
def max_scaled_weight(params, group: int) -> float:
    """max ω_G·|W_ij| over the kernel entries that TUNER bounds by group `group` (0: c_low, 1: c_high)."""
    worst = 0.0
    for layer, spec in groups.items():
        w = OMEGA_G * np.abs(np.asarray(params[layer]["kernel"]))
        rows = np.broadcast_to(np.asarray(spec["kernel"]) == group, w.shape)
        worst = max(worst, float(w[rows].max(initial=0.0)))
    return worst


print()
print("| chain | PSNR train (dB) | PSNR test (dB) | max ω_G·|W|, low rows (bound c_low) | high rows (bound c_high) |")
print("|---|---|---|---|---|")
for bounded in (True, False):
    params, (psnr_train, psnr_test) = train(make_chain(bounded))
    cells = [f"{w:.3f} ({'≤' if w <= c + 1e-6 else '>'} {c})"
             for w, c in ((max_scaled_weight(params, 0), C_LOW), (max_scaled_weight(params, 1), C_HIGH))]
    name = "clip + adam + tuner_bounds" if bounded else "clip + adam (no bounds)"
    print(f"| {name} | {psnr_train:.2f} | {psnr_test:.2f} | {cells[0]} | {cells[1]} |")
