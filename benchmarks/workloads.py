"""The networks, signals and FLOP counts the benchmarks train: SIREN 3×256 and the TUNER Kodak
net on synthetic images, a 1-D audio-like signal, and their PyTorch twins."""
from __future__ import annotations

import dataclasses

import numpy as np

import jax
import jax.numpy as jnp
import optax

from spectral_inr import models, optim

from benchmarks.timing import TorchCase


LR = 1e-4


FULL_SIZES = ((128, 128), (256, 384))


QUICK_SIZES = ((16, 16),)


def image_batch(h: int, w: int):
    """Pixel coordinates in [-1, 1]² (N, 2) and a smooth synthetic RGB target (N, 3)."""
    ys, xs = np.meshgrid(np.linspace(-1, 1, h, dtype=np.float32), np.linspace(-1, 1, w, dtype=np.float32),
                         indexing="ij")
    coords = np.stack([ys, xs], -1).reshape(-1, 2)
    r = 0.5 + 0.5 * np.sin(7 * xs + 3 * ys) * np.cos(5 * ys)
    g = 0.5 + 0.5 * np.cos(11 * xs * ys + 1.0)
    b = 0.5 + 0.25 * (np.sin(23 * xs) + np.sin(17 * ys))
    target = np.stack([r, g, b], -1).reshape(-1, 3).astype(np.float32)
    return coords, target


def audio_batch(n: int):
    """A 1-D audio-like signal on [-1, 1]: a few partials and a chirp."""
    t = np.linspace(-1, 1, n, dtype=np.float64)
    y = (0.5 * np.sin(2 * np.pi * 110 * t) + 0.25 * np.sin(2 * np.pi * 370 * t + 0.3)
         + 0.2 * np.sin(2 * np.pi * (50 * t + 300 * t * t)))
    return t[:, None].astype(np.float32), (y / np.abs(y).max())[:, None].astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Dense:
    fan_in: int
    fan_out: int
    weight_grad: bool = True   # dL/dW is computed (trainable weight)
    input_grad: bool = True    # dL/dx is computed (something before it is trainable)


def matmul_flops(n: int, layers) -> dict:
    """Matmul FLOPs of one train step: forward 2·N·in·out per layer; backward one
    such product for dW (trainable weights) and one for dx (if needed)."""
    fwd = sum(2 * n * l.fan_in * l.fan_out for l in layers)
    bwd = sum(2 * n * l.fan_in * l.fan_out * (int(l.weight_grad) + int(l.input_grad)) for l in layers)
    return {"forward": fwd, "backward": bwd, "total": fwd + bwd, "approx_3x_forward": 3 * fwd}


def siren_layers(width=256, depth=3, in_features=2, out_features=3):
    dims = [in_features] + [width] * depth + [out_features]
    return [Dense(a, b, True, i > 0) for i, (a, b) in enumerate(zip(dims[:-1], dims[1:]))]


def tuner_layers(n_freq=416, width=416, depth=1, in_features=2, out_features=3):
    layers = [Dense(in_features, n_freq, weight_grad=False, input_grad=False)]  # frozen Ω, phases only
    dims = [n_freq] + [width] * depth + [out_features]
    layers += [Dense(a, b, True, True) for a, b in zip(dims[:-1], dims[1:])]
    return layers


def flax_step(model, tx):
    """A fresh (never traced) step function for a flax model and an optax transformation."""

    def loss_fn(params, x, y):
        return jnp.mean(jnp.square(model.apply({"params": params}, x) - y))

    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


def engine_step(fitter):
    def step(state, _unused, hp, x, y):
        new_state, metrics = fitter.step(state, hp, x, y)
        return new_state, _unused, metrics["loss"]

    return step


def build_model(kind: str):
    if kind == "siren":
        model = models.Siren(out_features=3, width=256, depth=3)
        return model, optax.adam(LR), siren_layers(), None
    model = models.TunerReference(out_features=3)
    groups = models.tuner_bound_groups(model)
    tx = optax.chain(optax.adam(LR), optim.tuner_bounds(groups))
    enc = model.layers[0]
    return model, tx, tuner_layers(len(enc.frequencies), model.layers[1].features), groups


def torch_case_for(kind, model, params, groups, coords, target, compile=False):
    """The PyTorch twin of ``model`` from the same initial parameters (eager, or ``torch.compile``d)."""
    from benchmarks import torch_reference as tr  # noqa: PLC0415

    name = "torch compiled" if compile else "torch"
    kw = dict(compile=compile, device=tr.device())

    if kind == "siren":
        omegas = [l.omega for l in model.layers]
        net = tr.make_siren(params, omegas)
        return TorchCase(name, tr.TorchStep(net, coords, target, LR, **kw))
    enc = model.layers[0]
    hidden = model.layers[1]
    net = tr.make_tuner(params, enc.frequencies, enc.period, hidden.omega)
    clamp = tr.tuner_clamp(net, groups, omega_g=hidden.omega)
    return TorchCase(name, tr.TorchStep(net, coords, target, LR, clamp=clamp, **kw))
