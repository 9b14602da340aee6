"""A linear layer learns the 32-point DFT: the seed gist's protocol and a longer optimizer study.

``python -m experiments.dft --profile quick|long|paper`` (``make exp-dft``).

* ``paper``: the seed gist's protocol (Keras), read from
  :data:`spectral_inr.protocols.DFT_GIST`: N = 32, 10 000 random complex vectors
  (standard normal Re/Im), a bias-free ``Dense(64)`` on stacked ``[Re, Im]`` with
  a Glorot-uniform kernel, Adam (lr 1e-3, ε = 1e-7: Keras's defaults), 100 epochs
  of minibatches of 100 reshuffled every epoch, MSE; then the gist's check
  ``np.allclose(ANN(arange(N)), fft(arange(N)))``.  Several seeds (init and
  data order) are members of one vmapped sweep.
* ``quick`` / ``long``: our own study, full batch.
  1. A bias-free ``Dense(64)`` maps random complex vectors ``z ∈ ℂ^32`` (stacked
     ``[Re z, Im z] ∈ ℝ^64``) to ``np.fft.fft(z)`` (stacked the same way), MSE.
     The learned 64×64 kernel is compared with the real block form of the DFT
     matrix, and predictions on fresh inputs with ``np.fft.fft``.
  2. Optimizer variants — Adam with other β2/ε, a cosine learning-rate decay,
     AMSGrad, heavy-ball GD — × seeds, all members of *one* vmapped sweep (the
     optimizer type is a traced hyper-parameter, see :func:`switch`).  An
     optimizer wrapper (:func:`logged`) records ‖g‖, ‖Δθ‖, RMS √v̂, the fraction
     of coordinates with √v̂ < ε, and the *preconditioned sharpness*
     ``λmax(lr·H/(√v̂+ε))`` (exact Hessian ``H`` of this quadratic loss; one
     warm-started power-iteration step per optimizer step), whose stability
     limit for Adam's EMA momentum is ``2(1+β1)/(1−β1) = 38``.
  3. A butterfly network (:class:`experiments.dft_models.Butterfly`: bit
     reversal + 5 trainable radix-2 stages, 640 parameters) learns the same map.

  ``quick``: 512 training vectors, 12 000 full-batch steps, 7 variants × 2 seeds
  (14 members), plus one 24 000-step run of default Adam (1 seed); butterfly
  4 000 steps, lr 3e-3, 2 seeds.  ≈ 2–3 min on 2 busy CPU cores.
  ``long``: 4096 training vectors, 60 000 steps (no separate long run), 12
  variants × 5 seeds (adds ε ∈ {1e-6, 1e-3}, β2 = 0.9999, Adam lr 1e-4 and
  1e-2); butterfly 20 000 steps, lr ∈ {1e-3, 3e-3}, 5 seeds.

The generated ``results/dft-<profile>.md``/``.json`` hold numbers only; what
they mean is written by hand in ``docs/findings.md``.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, NamedTuple, Optional

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from experiments.common import Timer, markdown_table, parse_args, write_results
from experiments.dft_models import (Butterfly, complex_of_real_block, dft_dataset, dft_matrix, num_params,
                                    real_block, stack_complex, unstack_complex)
from spectral_inr.protocols import DFT_GIST, DftGist
from spectral_inr.train import Fitter, grid, sweep

N = 32                      # transform size
MATRIX_ATOL = 1e-4          # |learned − true| per matrix entry (entries have modulus 1)
PRED_ATOL, PRED_RTOL = 1e-3, 1e-5   # predictions on fresh inputs (outputs ~ N(0, 32) per component)
FRESH = 1000                # fresh test vectors

# name -> (optimizer family, hyper-parameters); Adam-family members share one vmapped sweep.
ADAM_DEFAULT = dict(lr=1e-3, b2=0.999, eps=1e-8, decay=0.0)
VARIANTS = {
    "adam (β2=0.999, ε=1e-8)": ("adam", ADAM_DEFAULT),
    "adam ε=1e-5": ("adam", {**ADAM_DEFAULT, "eps": 1e-5}),
    "adam ε=1e-4": ("adam", {**ADAM_DEFAULT, "eps": 1e-4}),
    "adam β2=0.99": ("adam", {**ADAM_DEFAULT, "b2": 0.99}),
    "adam + cosine lr decay": ("adam", {**ADAM_DEFAULT, "decay": 1.0}),
    "amsgrad": ("amsgrad", {}),
    "GD, momentum 0.9, lr 10": ("gd", {"lr": 10.0}),
    # paper only
    "adam ε=1e-6": ("adam", {**ADAM_DEFAULT, "eps": 1e-6}),
    "adam ε=1e-3": ("adam", {**ADAM_DEFAULT, "eps": 1e-3}),
    "adam β2=0.9999": ("adam", {**ADAM_DEFAULT, "b2": 0.9999}),
    "adam lr=1e-4": ("adam", {**ADAM_DEFAULT, "lr": 1e-4}),
    "adam lr=1e-2": ("adam", {**ADAM_DEFAULT, "lr": 1e-2}),
}
DEFAULT = "adam (β2=0.999, ε=1e-8)"
CONTRAST = "adam ε=1e-4"
SHORT_MEMORY = "adam β2=0.99"
B1 = 0.9
GD_MOMENTUM = 0.9

PROFILES = {
    "quick": dict(samples=512, steps=12_000, seeds=2, log_every=10, chunk=2000,
                  variants=list(VARIANTS)[:7], long_steps=24_000,
                  butterfly=dict(steps=4000, seeds=2, lr=[3e-3])),
    "long": dict(samples=4096, steps=60_000, seeds=5, log_every=20, chunk=5000,
                 variants=list(VARIANTS), long_steps=None,
                 butterfly=dict(steps=20_000, seeds=5, lr=[1e-3, 3e-3])),
}
GIST_SEEDS = 5              # `paper`: seeds of the gist protocol (init and data order), one vmapped sweep
RISE_FACTOR = 2.0           # `paper`: "rises" = some epoch after the minimum has ≥ 2× the minimum epoch loss


# --- an optimizer wrapper that logs Adam's internals into its own state --------------------------
LOGGED = ("grad_norm", "step_norm", "rms_sqrt_v", "frac_eps", "sharpness", "lr")


class LoggedState(NamedTuple):
    inner: Any
    count: jax.Array
    probe: Any          # power-iteration vector (a params-shaped tree), warm-started between logs
    logs: dict          # name -> (length,) float32, NaN where not written


def _tree_dot(a, b):
    return sum(jnp.vdot(x, y) for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))


def logged(inner: optax.GradientTransformation, *, every: int, length: int,
           lr_fn: Callable, precondition: Callable, eps, hvp: Optional[Callable] = None
           ) -> optax.GradientTransformation:
    """Wrap ``inner`` and record statistics every ``every`` steps (``length`` records).

    ``precondition(inner_state)`` returns the params-shaped tree of per-coordinate
    denominators ``d`` (``√v̂ + ε`` for Adam, 1 for GD), so the step is
    ``lr_t·m̂/d``; ``hvp(tree)`` is the exact Hessian-vector product of the
    loss.  The sharpness logged is ``λmax(D H D)`` with ``D = sqrt(lr_t/d)``.
    """

    def init(params):
        probe = jax.tree_util.tree_map(lambda p: jnp.ones_like(p) / math.sqrt(max(1, p.size)), params)
        logs = {k: jnp.full((length,), jnp.nan, jnp.float32) for k in LOGGED}
        return LoggedState(inner.init(params), jnp.zeros((), jnp.int32), probe, logs)

    def update(grads, state, params=None):
        updates, inner_state = inner.update(grads, state.inner, params)
        lr = lr_fn(state.count)
        denom = precondition(inner_state)
        leaves = jax.tree_util.tree_leaves(denom)
        size = sum(x.size for x in leaves)
        stats = {
            "grad_norm": optax.global_norm(grads),
            "step_norm": optax.global_norm(updates),
            "rms_sqrt_v": jnp.sqrt(sum(jnp.sum(jnp.square(x - eps)) for x in leaves) / size),
            "frac_eps": sum(jnp.sum(x - eps < eps) for x in leaves) / size,
            "lr": jnp.asarray(lr, jnp.float32),
        }
        probe = state.probe
        if hvp is not None:
            # one warm-started power-iteration step per optimizer step (D H D changes slowly)
            scale = jax.tree_util.tree_map(lambda d: jnp.sqrt(lr / d), denom)
            w = jax.tree_util.tree_map(jnp.multiply, scale, hvp(jax.tree_util.tree_map(jnp.multiply, scale, probe)))
            stats["sharpness"] = _tree_dot(probe, w)          # Rayleigh quotient (probe has unit norm)
            norm = jnp.sqrt(_tree_dot(w, w))
            probe = jax.tree_util.tree_map(lambda x: x / jnp.maximum(norm, 1e-30), w)
        else:
            stats["sharpness"] = jnp.nan
        i = state.count // every
        write = (state.count % every == 0) & (i < length)
        j = jnp.minimum(i, length - 1)
        logs = {k: jnp.where(write, v.at[j].set(jnp.asarray(stats[k], jnp.float32)), v) for k, v in state.logs.items()}
        return updates, LoggedState(inner_state, state.count + 1, probe, logs)

    return optax.GradientTransformation(init, update)


def cosine_schedule(hp, steps: int) -> Callable:
    """``lr`` when ``hp["decay"] = 0``; cosine decay from ``lr`` to 0 over ``steps`` when 1 (traced)."""

    def lr_fn(count):
        frac = jnp.minimum(count / steps, 1.0)
        return hp["lr"] * (1.0 - hp["decay"] * (1.0 - 0.5 * (1.0 + jnp.cos(jnp.pi * frac))))

    return lr_fn


FAMILIES = ("adam", "amsgrad", "gd")


def switch(transforms, index) -> optax.GradientTransformation:
    """Run every transform on the same gradients, keep the updates of ``transforms[index]``
    (``index`` traced, so optimizer *types* can be vmapped sweep members too)."""

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params=None):
        outs = [t.update(grads, s, params) for t, s in zip(transforms, state)]
        updates = outs[0][0]
        for k, (u, _) in enumerate(outs[1:], start=1):
            updates = jax.tree_util.tree_map(lambda a, b, k=k: jnp.where(index == k, b, a), updates, u)
        return updates, tuple(o[1] for o in outs)

    return optax.GradientTransformation(init, update)


def make_optimizer(steps: int, every: int, hvp: Optional[Callable]) -> Callable:
    """``hp -> optax transform``: Adam / AMSGrad / heavy-ball GD chosen by the traced ``hp["opt"]``
    (index into :data:`FAMILIES`), with the cosine decay of :func:`cosine_schedule`, wrapped in :func:`logged`."""
    length = -(-steps // every)

    def optimizer_fn(hp):
        lr_fn = cosine_schedule(hp, steps)
        opt = hp["opt"]
        inner = switch([optax.adam(lr_fn, b1=B1, b2=hp["b2"], eps=hp["eps"]),
                        optax.amsgrad(lr_fn, b1=B1, b2=hp["b2"], eps=hp["eps"]),
                        optax.sgd(lr_fn, momentum=GD_MOMENTUM)], opt)

        def precondition(states):
            adam, ams = states[0][0], states[1][0]
            corr = 1.0 - hp["b2"] ** adam.count.astype(jnp.float32)
            return jax.tree_util.tree_map(
                lambda nu, nu_max: jnp.where(opt == 0, jnp.sqrt(nu / corr) + hp["eps"],
                                             jnp.where(opt == 1, jnp.sqrt(nu_max) + hp["eps"], 1.0)),
                adam.nu, ams.nu_max)

        eps = jnp.where(opt == 2, 0.0, hp["eps"])
        return logged(inner, every=every, length=length, lr_fn=lr_fn, precondition=precondition, eps=eps, hvp=hvp)

    return optimizer_fn


def member_hp(name: str) -> dict:
    """A variant's full hyper-parameter dict (every member needs the same keys)."""
    family, hp = VARIANTS[name]
    return {**ADAM_DEFAULT, **hp, "opt": FAMILIES.index(family)}


def stability_limit(family: str) -> float:
    """Largest stable ``lr·λ`` of the (preconditioned) momentum iteration on a quadratic."""
    return 2 * (1 + B1) / (1 - B1) if family in ("adam", "amsgrad") else 2 * (1 + GD_MOMENTUM)


def dense_hvp(inputs: np.ndarray) -> Callable:
    """Exact Hessian-vector product of ``mean((x @ K − y)²)`` w.r.t. the Dense kernel ``K``."""
    sigma = jnp.asarray(inputs.T.astype(np.float64) @ inputs / inputs.shape[0], jnp.float32)
    out = inputs.shape[1]
    return lambda v: {"kernel": (2.0 / out) * sigma @ v["kernel"]}


def dense_model(hp):
    return nn.Dense(2 * N, use_bias=False)


# --- analysis -----------------------------------------------------------------------------------
def curve_stats(loss: np.ndarray) -> dict:
    loss = np.asarray(loss, np.float64)
    i = int(np.nanargmin(loss))
    tail = loss[-max(1, loss.size // 10):]
    return {"min": float(loss[i]), "argmin": i, "final": float(loss[-1]),
            "tail_median": float(np.nanmedian(tail)), "max_after_min": float(np.nanmax(loss[i:])),
            "rise": float(loss[-1] / loss[i])}


def thin(curve: np.ndarray, every: int) -> list:
    return [float(f"{v:.4g}") if np.isfinite(v) else None for v in np.asarray(curve)[::every]]


def check_dense(kernel: np.ndarray, fresh_x: np.ndarray, fresh_y: np.ndarray) -> dict:
    m = np.asarray(kernel, np.float64).T                   # y = x @ K  ⇒  matrix = Kᵀ
    n = m.shape[0] // 2
    target = real_block(dft_matrix(n))
    f_learned = complex_of_real_block(m)
    pred = fresh_x.astype(np.float64) @ np.asarray(kernel, np.float64)
    z_pred = unstack_complex(pred)
    z_true = unstack_complex(fresh_y)
    return {
        "matrix_max_abs_err": float(np.abs(m - target).max()),
        "matrix_allclose": bool(np.allclose(m, target, rtol=0, atol=MATRIX_ATOL)),
        "complex_max_abs_err": float(np.abs(f_learned - dft_matrix(n)).max()),
        "complex_allclose": bool(np.allclose(f_learned, dft_matrix(n), rtol=0, atol=MATRIX_ATOL)),
        "pred_max_abs_err": float(np.abs(z_pred - z_true).max()),
        "pred_allclose": bool(np.allclose(z_pred, z_true, rtol=PRED_RTOL, atol=PRED_ATOL)),
    }


# --- the gist's protocol (`paper`) ----------------------------------------------------------------
KERAS_INITS = {"glorot_uniform": nn.initializers.glorot_uniform()}   # Keras name -> flax initializer


def gist_model(p: DftGist) -> nn.Module:
    """Keras ``Dense(units, use_bias=False)`` with its default (Glorot-uniform) kernel initializer."""
    if p.units != 2 * p.n:
        raise ValueError(f"units ({p.units}) must be 2·n ({2 * p.n}): stacked real and imaginary parts")
    return nn.Dense(p.units, use_bias=False, kernel_init=KERAS_INITS[p.init])


def gist_fitter(p: DftGist) -> Fitter:
    """The gist's ``model.fit``: Adam (lr, ε from the protocol; β1, β2 are optax's = Keras's defaults), MSE,
    minibatches of ``p.batch_size`` reshuffled every epoch (Keras ``fit(shuffle=True)``)."""
    return Fitter(lambda hp: gist_model(p), lambda hp: optax.adam(p.lr, eps=p.eps),
                  batch_size=p.batch_size, shuffle="epoch")


def gist_check(kernel, p: DftGist) -> dict:
    """The gist's check: the trained layer applied to the real vector ``arange(n)`` (imaginary part 0) against
    ``np.fft.fft(np.arange(n))``, ``np.allclose`` at the protocol's (numpy's default) tolerances."""
    data = np.arange(p.n)
    x = jnp.asarray(stack_complex(data.astype(np.complex128))[None])
    pred = np.asarray(gist_model(p).apply({"params": {"kernel": jnp.asarray(kernel)}}, x))[0]
    ann, fft = unstack_complex(pred), np.fft.fft(data)
    err = np.abs(ann - fft)
    return {"allclose": bool(np.allclose(ann, fft, rtol=p.rtol, atol=p.atol)), "max_abs_err": float(err.max()),
            "max_err_over_tol": float((err / (p.atol + p.rtol * np.abs(fft))).max())}


def epoch_losses(loss: np.ndarray, p: DftGist) -> dict:
    """Per-step minibatch losses ``(members, epochs·batches)`` → per epoch: the mean over the epoch's batches
    (what Keras's ``fit`` reports as ``loss``) and the last batch's loss."""
    per = np.asarray(loss, np.float64).reshape(loss.shape[0], p.epochs, p.vectors // p.batch_size)
    return {"mean": per.mean(axis=2), "last_batch": per[:, :, -1]}


def rise_stats(curve: np.ndarray) -> dict:
    """Minimum of a per-epoch loss curve (epochs counted from 1) and what follows it."""
    curve = np.asarray(curve, np.float64)
    i = int(np.nanargmin(curve))
    after = np.flatnonzero(curve[i + 1:] >= RISE_FACTOR * curve[i])
    return {"min": float(curve[i]), "min_epoch": i + 1, "final": float(curve[-1]),
            "final_over_min": float(curve[-1] / curve[i]),
            "max_after_min_over_min": float(np.nanmax(curve[i:]) / curve[i]),
            "rise_epoch": int(i + 2 + after[0]) if after.size else None,
            "rises": bool(after.size)}


def run_gist(p: DftGist = DFT_GIST, seeds: int = GIST_SEEDS, data_seed: int = 0, fresh: int = FRESH) -> dict:
    """Train the gist's protocol for ``seeds`` members (one vmapped sweep) and check every member."""
    x, y = dft_dataset(p.vectors, p.n, seed=data_seed)
    rng = np.random.default_rng(12345)
    z = rng.standard_normal((fresh, p.n)) + 1j * rng.standard_normal((fresh, p.n))
    fresh_x, fresh_y = stack_complex(z), stack_complex(np.fft.fft(z))
    members = grid(seeds=seeds)
    res = sweep(gist_fitter(p), x, y, members, p.steps(), chunk=p.vectors // p.batch_size * min(p.epochs, 10),
                mesh=None, progress=False, config={"experiment": "dft", "profile": "paper"})
    per_epoch = epoch_losses(res.history["loss"], p)
    kernels = np.asarray(res.state.params["kernel"])
    out = []
    for i, m in enumerate(members):
        out.append({"seed": m["seed"], "epoch_mean": rise_stats(per_epoch["mean"][i]),
                    "epoch_last_batch": rise_stats(per_epoch["last_batch"][i]),
                    "gist_check": gist_check(kernels[i], p),
                    "matrix_check": check_dense(kernels[i], fresh_x, fresh_y),
                    "diverged": any(d[0] == i for d in res.diverged)})
    return {"members": out, "epoch_mean": per_epoch["mean"], "epoch_last_batch": per_epoch["last_batch"],
            "kernels": kernels, "seconds": res.seconds}


def run_variants(cfg, X, Y):
    """All variants × seeds as members of one vmapped sweep; per-variant loss curves, logs, kernels."""
    steps, every, seeds = cfg["steps"], cfg["log_every"], cfg["seeds"]
    names = cfg["variants"]
    members = [dict(member_hp(n), seed=s) for n in names for s in range(seeds)]
    fitter = Fitter(dense_model, make_optimizer(steps, every, dense_hvp(X)))
    res = sweep(fitter, X, Y, members, steps, chunk=cfg["chunk"], mesh=None, progress=False,
                config={"experiment": "dft", "model": "dense"})
    logs = {k: np.asarray(v) for k, v in res.state.opt_state.logs.items()}
    out = {}
    for v, name in enumerate(names):
        rows = slice(v * seeds, (v + 1) * seeds)
        out[name] = {"family": VARIANTS[name][0], "hp": member_hp(name), "loss": res.history["loss"][rows],
                     "logs": {k: a[rows] for k, a in logs.items()},
                     "kernel": np.asarray(res.state.params["kernel"])[rows],
                     "best_kernel": np.asarray(res.state.best_params["kernel"])[rows],
                     "diverged": [d for d in res.diverged if rows.start <= d[0] < rows.stop]}
    return out, res.seconds


def run_butterfly(cfg, X, Y):
    b = cfg["butterfly"]
    members = grid(seeds=b["seeds"], lr=b["lr"])
    fitter = Fitter(lambda hp: Butterfly(N), lambda hp: optax.adam(hp["lr"]))
    res = sweep(fitter, X, Y, members, b["steps"], chunk=min(cfg["chunk"], b["steps"]), mesh=None, progress=False,
                config={"experiment": "dft", "model": "butterfly"})
    return members, res


# --- figures ------------------------------------------------------------------------------------
def fig_weights(kernel):
    import matplotlib.pyplot as plt

    f_learned = complex_of_real_block(np.asarray(kernel, np.float64).T)
    f_true = dft_matrix(N)
    fig, axes = plt.subplots(2, 3, figsize=(11, 7))
    for r, (part, fn) in enumerate((("Re", np.real), ("Im", np.imag))):
        for c, (title, mat) in enumerate(((f"learned {part} W", fn(f_learned)), (f"true {part} F", fn(f_true)))):
            im = axes[r, c].imshow(mat, cmap="RdBu_r", vmin=-1, vmax=1)
            axes[r, c].set_title(title)
            fig.colorbar(im, ax=axes[r, c], fraction=0.046)
        diff = fn(f_learned) - fn(f_true)
        im = axes[r, 2].imshow(diff, cmap="RdBu_r", vmin=-np.abs(diff).max(), vmax=np.abs(diff).max())
        axes[r, 2].set_title(f"{part}(W − F), max {np.abs(diff).max():.1e}")
        fig.colorbar(im, ax=axes[r, 2], fraction=0.046)
    for ax in axes.flat:
        ax.set(xlabel="input index j", ylabel="output index k")
    fig.suptitle("Dense 64→64 kernel (Adam default) read as a complex 32×32 matrix vs the DFT matrix")
    fig.tight_layout()
    return fig


def fig_losses(results, steps):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    x = np.arange(steps)
    for i, (name, r) in enumerate(results.items()):
        color = f"C{i % 10}"
        for s, curve in enumerate(r["loss"]):
            ax.semilogy(x, curve, color=color, lw=0.7, alpha=0.85, label=name if s == 0 else None)
    ax.set(xlabel="step", ylabel="training MSE (full batch)", title="Dense layer learning the 32-point DFT")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    return fig


def fig_diagnostics(results, every, steps, names, h_max, long=None):
    import matplotlib.pyplot as plt

    rows = [(n, results[n]) for n in names] + ([(f"{DEFAULT}, long run", long)] if long is not None else [])
    fig, axes = plt.subplots(len(rows), 3, figsize=(15, 3.6 * len(rows)), squeeze=False)
    for row, (name, r) in zip(axes, rows):
        loss, logs = r["loss"][0], {k: v[0] for k, v in r["logs"].items()}
        t = np.arange(logs["grad_norm"].size) * every
        row[0].semilogy(np.arange(loss.size), loss, lw=0.7)
        row[0].set(title=f"{name}: loss (seed 0)", xlabel="step", ylabel="MSE")
        row[1].semilogy(t, logs["grad_norm"], lw=0.7, label="‖g‖")
        row[1].semilogy(t, logs["step_norm"], lw=0.7, label="‖Δθ‖")
        row[1].semilogy(t, logs["rms_sqrt_v"], lw=0.7, label="RMS √v̂")
        row[1].axhline(r["hp"]["eps"], color="k", ls=":", lw=1, label=f"ε = {r['hp']['eps']:g}")
        row[1].axhline(r["hp"]["lr"], color="grey", ls="--", lw=1, label=f"lr = {r['hp']['lr']:g}")
        v_star = r["hp"]["lr"] * h_max / stability_limit(r["family"])
        row[1].axhline(v_star, color="r", ls=":", lw=1, label=f"lr·λmax(H)/38 = {v_star:.1e}")
        row[1].set(title="gradient, step size and √v̂", xlabel="step")
        row[1].legend(fontsize=7)
        row[2].semilogy(t, logs["sharpness"], lw=0.7, label="λmax(lr·diag(1/(√v̂+ε))·H)")
        row[2].axhline(stability_limit(r["family"]), color="r", ls="--", lw=1, label="stability limit 2(1+β1)/(1−β1)=38")
        row[2].set(title="preconditioned sharpness", xlabel="step")
        row[2].legend(fontsize=7)
        for ax in row:
            ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def fig_butterfly(members, res, dense_curve):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, (m, curve) in enumerate(zip(members, res.history["loss"])):
        ax.semilogy(curve, lw=0.7, color=f"C{i % 10}", label=f"butterfly, lr {m['lr']:g}, seed {m['seed']}")
    ax.semilogy(dense_curve[: res.steps], lw=0.9, color="k", ls="--", label="dense 64×64, Adam default (lr 1e-3), seed 0")
    ax.set(xlabel="step", ylabel="training MSE", title="Butterfly (640 params) vs dense (4096 params)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig


# --- main ---------------------------------------------------------------------------------------
def sci(v) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.2e}"


def variant_numbers(r, cfg, fresh_x, fresh_y) -> list[dict]:
    """Per-seed numbers of one variant: loss statistics, checks, optimizer diagnostics."""
    every, limit = cfg["log_every"], stability_limit(r["family"])
    out = []
    for s in range(cfg["seeds"]):
        st = curve_stats(r["loss"][s])
        logs = {k: v[s] for k, v in r["logs"].items()}
        sh = logs["sharpness"]
        i_min = min(st["argmin"] // every, sh.size - 1)
        edge = np.flatnonzero(sh >= 0.95 * limit)
        half = sh.size // 2
        t = np.arange(half, sh.size) * every
        slope = np.polyfit(t, np.log(logs["rms_sqrt_v"][half:]), 1)[0] if r["family"] == "adam" else float("nan")
        st.update({
            "check_final": check_dense(r["kernel"][s], fresh_x, fresh_y),
            "check_best": check_dense(r["best_kernel"][s], fresh_x, fresh_y),
            "edge_step": int(edge[0] * every) if edge.size else None,
            "sharpness_at_min": float(sh[i_min]),
            "sharpness_final": float(sh[-1]),
            "sqrt_v_decay_per_step": float(-slope),
            **{f"{k}_final": float(logs[k][-1]) for k in ("rms_sqrt_v", "grad_norm", "step_norm", "frac_eps")},
            **{f"{k}_at_min": float(logs[k][i_min]) for k in ("grad_norm", "step_norm")},
        })
        out.append(st)
    return out


def medians(per_seed: list[dict]) -> dict:
    """Median over seeds of every numeric per-seed statistic (``None`` → NaN → ``None`` if all missing)."""
    out = {}
    for k, v in per_seed[0].items():
        if isinstance(v, bool) or not isinstance(v, (int, float, type(None))):
            continue
        vals = np.asarray([np.nan if s[k] is None else s[k] for s in per_seed], np.float64)
        out[k] = float(np.median(vals)) if np.isfinite(vals).any() else None
    return out


def derived_numbers(v: dict, h_min: float, h_max: float, cfg: dict) -> dict:
    """Constants of the quadratic and of Adam's stability limit that the per-variant numbers are compared with."""
    limit = stability_limit("adam")
    lr, b2 = ADAM_DEFAULT["lr"], ADAM_DEFAULT["b2"]
    v_star = lr * h_max / limit          # √v̂ at which a coordinate of curvature λmax(H) sits at the limit
    rate = 0.5 * np.log(1 / b2)          # decay per step of √v̂ when v̂ only forgets
    out = {"hessian_eig_min": float(h_min), "hessian_eig_max": float(h_max),
           "stability_limit_adam": limit, "stability_limit_gd": stability_limit("gd"),
           "v_star": float(v_star), "sqrt_v_decay_predicted": float(rate),
           "b2_memory_steps": float(1 / (1 - b2)),
           "sharpness_cap_lr_hmax_over_eps": {n: float(r["hp"]["lr"] * h_max / r["hp"]["eps"])
                                              for n, r in v.items() if r["family"] == "adam"}}
    if DEFAULT in v:
        rms = v[DEFAULT]["medians"]["rms_sqrt_v_final"]
        # extrapolating the default's √v̂ decay at the predicted rate to v_star
        out["default_steps_to_v_star_extrapolated"] = float(cfg["steps"] + np.log(rms / v_star) / rate)
    return out


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, profiles=("quick", "long", "paper"))
    if args.profile == "paper":
        return main_paper(args)
    cfg = PROFILES[args.profile]
    X, Y = dft_dataset(cfg["samples"], N, seed=0)
    rng = np.random.default_rng(12345)
    z = rng.standard_normal((FRESH, N)) + 1j * rng.standard_normal((FRESH, N))
    fresh_x, fresh_y = stack_complex(z), stack_complex(np.fft.fft(z))
    sigma_eig = np.linalg.eigvalsh(X.T.astype(np.float64) @ X / X.shape[0])
    h_min, h_max = (2.0 / (2 * N)) * sigma_eig[[0, -1]]

    with Timer() as total:
        results, dense_seconds = run_variants(cfg, X, Y)
        long_cfg = long = None
        long_seconds = None
        if cfg.get("long_steps"):   # the default variant alone, for longer
            long_cfg = dict(cfg, steps=cfg["long_steps"], seeds=1, variants=[DEFAULT])
            long_results, long_seconds = run_variants(long_cfg, X, Y)
            long = long_results[DEFAULT]
        b_members, b_res = run_butterfly(cfg, X, Y)

    # --- per-variant numbers
    table, checks, diag, payload_variants = [], [], [], {}
    ok = lambda c: "✓" if c["complex_allclose"] and c["matrix_allclose"] and c["pred_allclose"] else "✗"  # noqa: E731
    for name, r in results.items():
        per_seed = variant_numbers(r, cfg, fresh_x, fresh_y)
        payload_variants[name] = {
            "family": r["family"], "hp": r["hp"], "seeds": per_seed, "medians": medians(per_seed),
            "diverged": r["diverged"], "stability_limit": stability_limit(r["family"]),
            "loss_curves_every_50": [thin(c, 50) for c in r["loss"]],
            "logs_seed0_every_50": {k: thin(v[0], max(1, 50 // cfg["log_every"])) for k, v in r["logs"].items()},
        }
        col = lambda f: " / ".join(f(p) for p in per_seed)  # noqa: E731
        table.append([name, col(lambda p: sci(p["min"])), col(lambda p: str(p["argmin"])),
                      col(lambda p: sci(p["final"])), col(lambda p: sci(p["max_after_min"])),
                      col(lambda p: f"{p['rise']:.0f}×"), col(lambda p: str(p["edge_step"])),
                      col(lambda p: f"{p['sharpness_final']:.3g}")])
        for s, p in enumerate(per_seed):
            f, b = p["check_final"], p["check_best"]
            checks.append([name, s, sci(f["matrix_max_abs_err"]), sci(f["complex_max_abs_err"]),
                           sci(f["pred_max_abs_err"]), ok(f), sci(b["matrix_max_abs_err"]),
                           sci(b["pred_max_abs_err"]), ok(b)])
        m = payload_variants[name]["medians"]
        diag.append([name, sci(m["min"]), _num(m["argmin"]), sci(m["final"]), f"{m['rise']:.3g}",
                     _num(m["edge_step"]), f"{m['sharpness_at_min']:.3g}", f"{m['sharpness_final']:.3g}",
                     sci(m["rms_sqrt_v_final"]), sci(m["sqrt_v_decay_per_step"]),
                     sci(m["grad_norm_at_min"]), sci(m["grad_norm_final"]),
                     sci(m["step_norm_at_min"]), sci(m["step_norm_final"]), f"{m['frac_eps_final']:.3g}"])
    derived = derived_numbers(payload_variants, h_min, h_max, cfg)

    # --- the default run's tail vs the β2 = 0.99 floor (separate long run, or the main run)
    sat = None
    if SHORT_MEMORY in payload_variants and DEFAULT in results:
        floor = float(np.median([p["tail_median"] for p in payload_variants[SHORT_MEMORY]["seeds"]]))
        src, src_cfg = (long, long_cfg) if long is not None else (results[DEFAULT], cfg)
        per = variant_numbers(src, src_cfg, fresh_x, fresh_y)
        sat = {"source": "separate 1-seed run" if long is not None else "main run", "steps": src_cfg["steps"],
               "b2_099_floor": floor,
               "tail_median": float(np.median([p["tail_median"] for p in per])),
               "rms_sqrt_v_final": float(np.median([p["rms_sqrt_v_final"] for p in per])),
               "reach_step": [reach_step(c, 0.5 * floor) for c in src["loss"]],
               "seconds": long_seconds}
        if long is not None:
            sat["loss_curve_every_50"] = thin(long["loss"][0], 50)
            sat["stats"] = per[0]

    # --- butterfly
    b_rows, b_payload = [], []
    true_f = dft_matrix(N)
    eye = stack_complex(np.eye(N))
    b_apply = jax.jit(lambda p, x: Butterfly(N).apply({"params": p}, x))
    for i, m in enumerate(b_members):
        st = curve_stats(b_res.history["loss"][i])
        st.update({"lr": m["lr"], "seed": m["seed"], "loss_curve_every_50": thin(b_res.history["loss"][i], 50)})
        for which, tree in (("final", b_res.state.params), ("best", b_res.state.best_params)):
            params = jax.tree_util.tree_map(lambda a: a[i], tree)
            z_pred = unstack_complex(np.asarray(b_apply(params, jnp.asarray(fresh_x)), np.float64))
            z_true = unstack_complex(fresh_y)
            # the matrix the butterfly implements: column j = image of the j-th basis vector
            mat = unstack_complex(np.asarray(b_apply(params, jnp.asarray(eye)), np.float64)).T
            st[f"check_{which}"] = {
                "pred_max_abs_err": float(np.abs(z_pred - z_true).max()),
                "pred_allclose": bool(np.allclose(z_pred, z_true, rtol=PRED_RTOL, atol=PRED_ATOL)),
                "matrix_max_abs_err": float(np.abs(mat - true_f).max()),
                "matrix_allclose": bool(np.allclose(mat, true_f, rtol=0, atol=MATRIX_ATOL))}
        b_payload.append(st)
        mark = lambda c: "✓" if c["matrix_allclose"] and c["pred_allclose"] else "✗"  # noqa: E731
        f, b = st["check_final"], st["check_best"]
        b_rows.append([m["lr"], m["seed"], sci(st["min"]), st["argmin"], sci(st["final"]),
                       sci(f["matrix_max_abs_err"]), sci(f["pred_max_abs_err"]), mark(f),
                       f"{mark(b)} ({b['matrix_max_abs_err']:.1e})"])
    b_params = num_params(jax.tree_util.tree_map(lambda a: a[0], b_res.state.params))

    # --- numbers, with a neutral description of what was run
    d = derived
    md = [f"# DFT with one linear layer ({args.profile} profile)\n",
          f"Setup. Training set: {cfg['samples']} random complex vectors z ∈ ℂ^{N} (standard normal Re/Im), "
          f"stacked [Re, Im] ∈ ℝ^{2 * N}; targets np.fft.fft(z) stacked the same way. Bias-free Dense(64) (flax "
          f"default init), MSE, full batch, {cfg['steps']} steps; {len(cfg['variants'])} optimizer variants × "
          f"{cfg['seeds']} seeds, all members of one vmapped sweep (the optimizer type is a traced member "
          f"hyper-parameter)" + (f", plus the default variant alone for {cfg['long_steps']} steps (1 seed)"
                                 if cfg.get("long_steps") else "")
          + f". Butterfly network: bit reversal + log2({N}) = 5 trainable radix-2 stages of 16 complex 2×2 blocks, "
          f"{b_params} real parameters vs {(2 * N) ** 2} for the dense layer, random complex-normal init "
          f"(variance 1/2 per entry), Adam (β2 0.999, ε 1e-8), {cfg['butterfly']['steps']} steps, same data and "
          f"engine. Checks: 'matrix' = learned 64×64 matrix vs [[Re F, −Im F], [Im F, Re F]] (for the butterfly: "
          f"its image of the {N} basis vectors vs F), 'complex' = the same read as a complex {N}×{N} matrix, both "
          f"`np.allclose(atol={MATRIX_ATOL:g}, rtol=0)`; 'pred' = predictions on {FRESH} fresh random vectors vs "
          f"np.fft.fft, `np.allclose(atol={PRED_ATOL:g}, rtol={PRED_RTOL:g})`; ✓ = all pass. 'final' = "
          "parameters after the last step, 'best' = the lowest-loss parameters seen (`best_params`).\n",
          "## Loss curves per variant\n",
          "Per seed (seed 0 / seed 1 / …): minimum training loss and its step, loss at the last step, largest "
          "loss after the minimum, final/min, first step where the preconditioned sharpness λmax(lr·H/(√v̂+ε)) "
          f"reached 95 % of its stability limit ({d['stability_limit_adam']:.0f} for Adam/AMSGrad, "
          f"{d['stability_limit_gd']:.1f} for heavy-ball GD; `None` = never), sharpness at the last step.\n",
          markdown_table(["variant", "min loss", "step of min", "final loss", "max after min", "final/min",
                          "edge step", "sharpness (end)"], table),
          "\n## Checks per variant and seed\n",
          markdown_table(["variant", "seed", "final: matrix err", "final: complex err", "final: pred err",
                          "final ✓", "best: matrix err", "best: pred err", "best ✓"], checks),
          "\n## Optimizer diagnostics (medians over seeds)\n",
          "Columns: loss minimum, its step, final loss, final/min; edge step (as above); preconditioned sharpness "
          "at the minimum and at the end; RMS over coordinates of √v̂ at the end; decay rate per step of RMS √v̂ "
          "(log-linear fit over the second half of the run; Adam only); ‖g‖ and ‖Δθ‖ at the minimum and at the "
          "end; fraction of coordinates with √v̂ < ε at the end.\n",
          markdown_table(["variant", "min", "step of min", "final", "final/min", "edge step", "sharpness at min",
                          "sharpness end", "RMS √v̂ end", "√v̂ decay/step", "‖g‖ at min", "‖g‖ end",
                          "‖Δθ‖ at min", "‖Δθ‖ end", "frac √v̂<ε end"], diag),
          "\n## Constants\n",
          "Hessian H = (2/64)·Σ_x ⊗ I of the quadratic loss; v* = lr·λmax(H)/38 (lr 1e-3); predicted decay "
          "½·ln(1/β2) of √v̂ when v̂ only forgets (β2 0.999); the default variant's step at which √v̂ would reach "
          "v* if it kept decaying at that rate from its final value; lr·λmax(H)/ε per Adam variant.\n",
          markdown_table(["quantity", "value"],
                         [["λmin(H)", f"{d['hessian_eig_min']:.3g}"], ["λmax(H)", f"{d['hessian_eig_max']:.3g}"],
                          ["stability limit Adam 2(1+β1)/(1−β1)", f"{d['stability_limit_adam']:.0f}"],
                          ["stability limit heavy-ball GD 2(1+μ)", f"{d['stability_limit_gd']:.1f}"],
                          ["v* = lr·λmax(H)/38", sci(d["v_star"])],
                          ["½·ln(1/β2)", sci(d["sqrt_v_decay_predicted"])],
                          ["default: extrapolated step √v̂ = v*",
                           _num(d.get("default_steps_to_v_star_extrapolated"))]]
                         + [[f"lr·λmax(H)/ε, {n}", f"{c:.3g}"] for n, c in d["sharpness_cap_lr_hmax_over_eps"].items()]),
          ]
    if sat is not None:
        md += ["\n## Default variant's tail vs the β2 = 0.99 floor\n",
               "β2 = 0.99 floor = median over seeds of that variant's median loss over its last 10 % of steps; the "
               f"default's tail median and RMS √v̂ at the end from the {sat['source']} ({sat['steps']} steps); reach "
               "step = first 1000-step block after the minimum whose median loss is ≥ half that floor.\n",
               markdown_table(["source", "steps", "β2=0.99 floor", "default tail median", "default RMS √v̂ end",
                               "reach step(s)"],
                              [[sat["source"], sat["steps"], sci(sat["b2_099_floor"]), sci(sat["tail_median"]),
                                sci(sat["rms_sqrt_v_final"]), " / ".join(str(r) for r in sat["reach_step"])]])]
    md += ["\n## Butterfly network\n",
           markdown_table(["lr", "seed", "min loss", "step of min", "final loss", "matrix max err", "pred max err",
                           "allclose", "allclose best (max err)"], b_rows),
           f"\nTraining time (incl. compilation): dense sweep ({len(cfg['variants']) * cfg['seeds']} members) "
           f"{dense_seconds:.0f} s, " + (f"long default run {long_seconds:.0f} s, " if long_seconds else "")
           + f"butterfly sweep ({len(b_members)} members) {b_res.seconds:.0f} s.\n"]
    markdown = "\n".join(md)

    payload = {"seconds": total.seconds, "config": cfg, "n": N,
               "tolerances": {"matrix_atol": MATRIX_ATOL, "pred_atol": PRED_ATOL, "pred_rtol": PRED_RTOL},
               "hessian_eig_range": [float(h_min), float(h_max)], "derived": derived,
               "variants": payload_variants, "dense_sweep_seconds": dense_seconds, "saturation_check": sat,
               "butterfly": {"params": b_params, "dense_params": (2 * N) ** 2, "members": b_payload,
                             "seconds": b_res.seconds}}
    figures = {"weights": fig_weights(results[DEFAULT]["kernel"][0]),
               "loss-curves": fig_losses(results, cfg["steps"]),
               "adam-diagnostics": fig_diagnostics(results, cfg["log_every"], cfg["steps"],
                                                   [n for n in (DEFAULT, SHORT_MEMORY, CONTRAST) if n in results],
                                                   h_max, long),
               "butterfly": fig_butterfly(b_members, b_res, results[DEFAULT]["loss"][0])}
    path = write_results("dft", args.profile, payload, markdown, figures, out=args.out)
    print(markdown)
    print(f"wrote {path} ({total.seconds:.0f} s)")


def _num(v) -> str:
    return "None" if v is None or not np.isfinite(v) else f"{v:.0f}"


# --- `paper`: the gist's protocol -----------------------------------------------------------------
def fig_gist(run: dict, p: DftGist):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    epochs = np.arange(1, p.epochs + 1)
    for i, m in enumerate(run["members"]):
        ax.semilogy(epochs, run["epoch_mean"][i], color=f"C{i % 10}", lw=1, label=f"seed {m['seed']}: epoch mean")
        ax.semilogy(epochs, run["epoch_last_batch"][i], color=f"C{i % 10}", lw=0.5, ls=":")
    ax.set(xlabel="epoch", ylabel="training MSE",
           title=f"gist protocol: Dense({p.units}), Adam lr {p.lr:g} ε {p.eps:g}, batch {p.batch_size} (dotted: last batch)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig


def paper_markdown(run: dict, p: DftGist, seconds: float) -> str:
    rows = []
    for m in run["members"]:
        e, lb, g, c = m["epoch_mean"], m["epoch_last_batch"], m["gist_check"], m["matrix_check"]
        rows.append([m["seed"], sci(e["min"]), e["min_epoch"], sci(e["final"]), f"{e['final_over_min']:.3g}",
                     f"{e['max_after_min_over_min']:.3g}", e["rise_epoch"], lb["min_epoch"],
                     f"{lb['final_over_min']:.3g}", lb["rise_epoch"], g["allclose"], sci(g["max_abs_err"]),
                     f"{g['max_err_over_tol']:.3g}", c["matrix_allclose"], sci(c["matrix_max_abs_err"]),
                     c["pred_allclose"], sci(c["pred_max_abs_err"])])
    return "\n".join([
        "# DFT with one linear layer: the seed gist's protocol (paper profile)\n",
        f"Setup (`spectral_inr.protocols.DFT_GIST`): N = {p.n}; {p.vectors} random complex vectors (standard normal "
        f"Re/Im, data seed 0) stacked [Re, Im] ∈ ℝ^{2 * p.n}, targets np.fft.fft stacked the same way; bias-free "
        f"Dense({p.units}) with a {p.init} kernel; Adam lr {p.lr:g}, ε {p.eps:g} (optax.adam, β1 0.9, β2 0.999), "
        f"MSE; {p.epochs} epochs of minibatches of {p.batch_size} reshuffled every epoch ({p.steps()} steps); "
        f"{len(run['members'])} seeds (init and data order) as members of one vmapped sweep. Per seed: the per-epoch "
        f"training loss as the mean over the epoch's {p.vectors // p.batch_size} minibatch losses (what Keras's `fit` "
        f"reports), its minimum, the epoch of the minimum (epochs counted from 1), the loss at epoch {p.epochs} "
        f"over the minimum, the largest loss after the minimum over the minimum, and the first epoch after the "
        f"minimum with loss ≥ {RISE_FACTOR:g}× the minimum (`None` = none within {p.epochs} epochs); the same for "
        "the last minibatch's loss of each epoch. The gist's check: the final layer applied to the real vector "
        f"arange({p.n}) (imaginary part 0) vs np.fft.fft(np.arange({p.n})), `np.allclose(rtol={p.rtol:g}, "
        f"atol={p.atol:g})`, with the max |error| and max |error|/(atol + rtol·|fft|) (> 1 fails). Our checks "
        f"(final parameters): learned 64×64 matrix vs the real block form of the DFT matrix, `np.allclose(atol="
        f"{MATRIX_ATOL:g}, rtol=0)`, and predictions on {FRESH} fresh random vectors, `np.allclose(atol={PRED_ATOL:g}, "
        f"rtol={PRED_RTOL:g})`.\n",
        markdown_table(["seed", "min epoch loss", "epoch of min", f"loss epoch {p.epochs}", "final/min",
                        "max after min / min", f"first epoch ≥{RISE_FACTOR:g}× min", "last batch: epoch of min",
                        "last batch: final/min", f"last batch: first epoch ≥{RISE_FACTOR:g}× min",
                        "gist allclose", "gist max err", "gist max err/tol", "matrix allclose", "matrix max err",
                        "pred allclose", "pred max err"], rows),
        f"\nTraining time (incl. compilation): {run['seconds']:.0f} s; total {seconds:.0f} s.\n"])


def main_paper(args):
    p = DFT_GIST
    with Timer() as total:
        run = run_gist(p, GIST_SEEDS)
    payload = {"seconds": total.seconds, "protocol": dataclasses.asdict(p), "seeds": GIST_SEEDS,
               "rise_factor": RISE_FACTOR, "epoch_loss": "mean over the epoch's minibatch losses (Keras fit's `loss`)",
               "tolerances": {"matrix_atol": MATRIX_ATOL, "pred_atol": PRED_ATOL, "pred_rtol": PRED_RTOL,
                              "gist_rtol": p.rtol, "gist_atol": p.atol},
               "members": run["members"], "train_seconds": run["seconds"],
               "epoch_mean_loss": [[float(f"{v:.6g}") for v in c] for c in run["epoch_mean"]],
               "epoch_last_batch_loss": [[float(f"{v:.6g}") for v in c] for c in run["epoch_last_batch"]]}
    markdown = paper_markdown(run, p, total.seconds)
    path = write_results("dft", "paper", payload, markdown, {"loss-curves": fig_gist(run, p)}, out=args.out)
    print(markdown)
    print(f"wrote {path} ({total.seconds:.0f} s)")


def reach_step(loss, level: float, block: int = 1000):
    """First step whose ``block``-step median loss is ≥ ``level`` *after* the minimum (``None`` if never)."""
    loss = np.asarray(loss)
    start = int(np.nanargmin(loss))
    for b in range(start, loss.size - block + 1, block):
        if np.nanmedian(loss[b:b + block]) >= level:
            return int(b)
    return None


if __name__ == "__main__":
    main()
