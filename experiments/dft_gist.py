"""The seed gist's protocol: a linear layer learns the 32-point DFT (``make exp-dft PROFILE=paper``).

Read from :data:`spectral_inr.protocols.DFT_GIST`: N = 32, 10 000 random complex
vectors (standard normal Re/Im), a bias-free ``Dense(64)`` on stacked ``[Re, Im]``
with a Glorot-uniform kernel, Adam (lr 1e-3, ε = 1e-7: Keras's defaults), 100
epochs of minibatches of 100 reshuffled every epoch, MSE; then the gist's check
``np.allclose(ANN(arange(N)), fft(arange(N)))``.  The protocol's seeds (init and
data order) are members of one vmapped sweep.  Numbers only; what they mean is in
``docs/findings.md``.
"""
from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax.numpy as jnp
import numpy as np
import optax

from experiments import common
from experiments.dft_checks import (
    FRESH,
    MATRIX_ATOL,
    PRED_ATOL,
    PRED_RTOL,
    TOLERANCES,
    check_dense,
    fresh_vectors,
    sci,
)
from experiments.dft_models import dft_dataset, stack_complex, unstack_complex
from experiments.formatting import markdown_table
from spectral_inr.protocols import DFT_GIST, DftGist
from spectral_inr.train import Fitter, grid, sweep

RISE_FACTOR = 2.0           # ours: "rises" = some epoch after the minimum has ≥ 2× the minimum epoch loss
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


def run_gist(p: DftGist = DFT_GIST, data_seed: int = 0, fresh: int = FRESH) -> dict:
    """Train the gist's protocol for ``p.seeds`` members (one vmapped sweep) and check every member."""
    x, y = dft_dataset(p.vectors, p.n, seed=data_seed)
    fresh_x, fresh_y = fresh_vectors(p.n, fresh)
    members = grid(seeds=p.seeds)
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


def run(p: DftGist, data_root=None) -> dict:
    """The results payload (JSON-able) of the gist's protocol ``p`` (data-free: ``data_root`` is unused)."""
    r = run_gist(p)
    return {"protocol": dataclasses.asdict(p), "seeds": p.seeds, "rise_factor": RISE_FACTOR,
            "epoch_loss": "mean over the epoch's minibatch losses (Keras fit's `loss`)",
            "tolerances": {**TOLERANCES, "gist_rtol": p.rtol, "gist_atol": p.atol},
            "members": r["members"], "train_seconds": r["seconds"],
            "epoch_mean_loss": [[float(f"{v:.6g}") for v in c] for c in r["epoch_mean"]],
            "epoch_last_batch_loss": [[float(f"{v:.6g}") for v in c] for c in r["epoch_last_batch"]]}


# --- report -----------------------------------------------------------------------------------------
def fig_gist(payload: dict):
    import matplotlib.pyplot as plt

    p = DftGist(**payload["protocol"])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    epochs = np.arange(1, p.epochs + 1)
    for i, m in enumerate(payload["members"]):
        ax.semilogy(epochs, payload["epoch_mean_loss"][i], color=f"C{i % 10}", lw=1,
                    label=f"seed {m['seed']}: epoch mean")
        ax.semilogy(epochs, payload["epoch_last_batch_loss"][i], color=f"C{i % 10}", lw=0.5, ls=":")
    ax.set(xlabel="epoch", ylabel="training MSE",
           title=f"gist protocol: Dense({p.units}), Adam lr {p.lr:g} ε {p.eps:g}, batch {p.batch_size} (dotted: last batch)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig


def report(payload: dict, arrays=None):
    """Markdown (one table per seed) and the loss-curve figure, from the payload alone."""
    p = DftGist(**payload["protocol"])
    rise = payload["rise_factor"]
    rows = []
    for m in payload["members"]:
        e, lb, g, c = m["epoch_mean"], m["epoch_last_batch"], m["gist_check"], m["matrix_check"]
        rows.append([m["seed"], sci(e["min"]), e["min_epoch"], sci(e["final"]), f"{e['final_over_min']:.3g}",
                     f"{e['max_after_min_over_min']:.3g}", e["rise_epoch"], lb["min_epoch"],
                     f"{lb['final_over_min']:.3g}", lb["rise_epoch"], g["allclose"], sci(g["max_abs_err"]),
                     f"{g['max_err_over_tol']:.3g}", c["matrix_allclose"], sci(c["matrix_max_abs_err"]),
                     c["pred_allclose"], sci(c["pred_max_abs_err"])])
    markdown = "\n".join([
        "# DFT with one linear layer: the seed gist's protocol (paper profile)\n",
        f"Setup (`spectral_inr.protocols.DFT_GIST`): N = {p.n}; {p.vectors} random complex vectors (standard normal "
        f"Re/Im, data seed 0) stacked [Re, Im] ∈ ℝ^{2 * p.n}, targets np.fft.fft stacked the same way; bias-free "
        f"Dense({p.units}) with a {p.init} kernel; Adam lr {p.lr:g}, ε {p.eps:g} (optax.adam, β1 0.9, β2 0.999), "
        f"MSE; {p.epochs} epochs of minibatches of {p.batch_size} reshuffled every epoch ({p.steps()} steps); "
        f"{len(payload['members'])} seeds (init and data order) as members of one vmapped sweep. Per seed: the "
        f"per-epoch training loss as the mean over the epoch's {p.vectors // p.batch_size} minibatch losses (what "
        f"Keras's `fit` reports), its minimum, the epoch of the minimum (epochs counted from 1), the loss at epoch "
        f"{p.epochs} over the minimum, the largest loss after the minimum over the minimum, and the first epoch after "
        f"the minimum with loss ≥ {rise:g}× the minimum (`None` = none within {p.epochs} epochs); the same for "
        "the last minibatch's loss of each epoch. The gist's check: the final layer applied to the real vector "
        f"arange({p.n}) (imaginary part 0) vs np.fft.fft(np.arange({p.n})), `np.allclose(rtol={p.rtol:g}, "
        f"atol={p.atol:g})`, with the max |error| and max |error|/(atol + rtol·|fft|) (> 1 fails). Our checks "
        f"(final parameters): learned 64×64 matrix vs the real block form of the DFT matrix, `np.allclose(atol="
        f"{MATRIX_ATOL:g}, rtol=0)`, and predictions on {FRESH} fresh random vectors, `np.allclose(atol={PRED_ATOL:g}, "
        f"rtol={PRED_RTOL:g})`.\n",
        markdown_table(["seed", "min epoch loss", "epoch of min", f"loss epoch {p.epochs}", "final/min",
                               "max after min / min", f"first epoch ≥{rise:g}× min", "last batch: epoch of min",
                               "last batch: final/min", f"last batch: first epoch ≥{rise:g}× min",
                               "gist allclose", "gist max err", "gist max err/tol", "matrix allclose",
                               "matrix max err", "pred allclose", "pred max err"], rows),
        f"\nTraining time (incl. compilation): {payload['train_seconds']:.0f} s; total {payload['seconds']:.0f} s.\n"])
    return markdown, {"loss-curves": fig_gist(payload)}


def main(argv=None):
    return common.main("dft", {"paper": DFT_GIST}, run, report, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
