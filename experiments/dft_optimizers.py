"""Our optimizer study on the DFT layer: which optimizer lets the loss rise late (``make exp-dft PROFILE=quick|long``).

Read from :data:`spectral_inr.protocols.DFT_OPTIMIZERS` (our choices, full batch):

1. A bias-free ``Dense(64)`` maps random complex vectors ``z ∈ ℂ^32`` (stacked
   ``[Re z, Im z] ∈ ℝ^64``) to ``np.fft.fft(z)`` (stacked the same way), MSE.
   The learned 64×64 kernel is compared with the real block form of the DFT
   matrix, and predictions on fresh inputs with ``np.fft.fft``.
2. Optimizer variants — Adam with other β2/ε, a cosine learning-rate decay,
   AMSGrad, heavy-ball GD — × seeds, all members of *one* vmapped sweep (the
   optimizer type is a traced hyper-parameter, :func:`spectral_inr.optim.switch`).
   :func:`spectral_inr.optim.logged` records ‖g‖, ‖Δθ‖, RMS √v̂, the fraction of
   coordinates with √v̂ < ε, and the *preconditioned sharpness*
   ``λmax(lr·H/(√v̂+ε))`` (exact Hessian ``H`` of this quadratic loss), whose
   stability limit for Adam's EMA momentum is ``2(1+β1)/(1−β1) = 38``.
3. A butterfly network (:class:`experiments.dft_models.Butterfly`: bit
   reversal + 5 trainable radix-2 stages, 640 parameters) learns the same map.

Numbers only; what they mean is written by hand in ``docs/findings.md``.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import flax.linen as nn
import jax
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
from experiments.dft_models import (
    Butterfly,
    complex_of_real_block,
    dft_dataset,
    dft_matrix,
    num_params,
    stack_complex,
    unstack_complex,
)
from experiments.formatting import markdown_table
from spectral_inr.optim import cosine_mix_schedule, logged, switch
from spectral_inr.protocols.dft_optimizers import (
    ADAM_DEFAULT,
    B1,
    CONTRAST,
    DEFAULT,
    DFT_OPTIMIZERS,
    FAMILIES,
    GD_MOMENTUM,
    SHORT_MEMORY,
    VARIANTS,
    DftOptimizerStudy,
    config,
)
from spectral_inr.train import Fitter, grid, sweep


# --- the optimizers: one traced family index, the logger around it ----------------------------------
def make_optimizer(steps: int, every: int, hvp: Optional[Callable]) -> Callable:
    """``hp -> optax transform``: Adam / AMSGrad / heavy-ball GD chosen by the traced ``hp["opt"]``
    (index into :data:`FAMILIES`), with :func:`cosine_mix_schedule` (``hp["decay"]``), wrapped in :func:`logged`."""
    length = -(-steps // every)

    def optimizer_fn(hp):
        lr_fn = cosine_mix_schedule(hp["lr"], hp["decay"], steps)
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


def dense_model(n: int) -> Callable:
    """``hp -> Dense(2n, use_bias=False)`` (flax's default init)."""
    return lambda hp: nn.Dense(2 * n, use_bias=False)


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


def reach_step(loss, level: float, block: int = 1000):
    """First step whose ``block``-step median loss is ≥ ``level`` *after* the minimum (``None`` if never)."""
    loss = np.asarray(loss)
    start = int(np.nanargmin(loss))
    for b in range(start, loss.size - block + 1, block):
        if np.nanmedian(loss[b:b + block]) >= level:
            return int(b)
    return None


def variant_numbers(r, p: DftOptimizerStudy, fresh_x, fresh_y) -> list[dict]:
    """Per-seed numbers of one variant: loss statistics, checks, optimizer diagnostics."""
    every, limit = p.log_every, stability_limit(r["family"])
    out = []
    for s in range(p.seeds):
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


def derived_numbers(v: dict, h_min: float, h_max: float, steps: int) -> dict:
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
        out["default_steps_to_v_star_extrapolated"] = float(steps + np.log(rms / v_star) / rate)
    return out


# --- runs -----------------------------------------------------------------------------------------
def run_variants(p: DftOptimizerStudy, X, Y):
    """All variants × seeds as members of one vmapped sweep; per-variant loss curves, logs, kernels."""
    members = [dict(member_hp(n), seed=s) for n in p.variants for s in range(p.seeds)]
    fitter = Fitter(dense_model(p.n), make_optimizer(p.steps, p.log_every, dense_hvp(X)))
    res = sweep(fitter, X, Y, members, p.steps, chunk=p.chunk, mesh=None, progress=False,
                config={"experiment": "dft", "model": "dense"})
    logs = {k: np.asarray(v) for k, v in res.state.opt_state.logs.items()}
    out = {}
    for v, name in enumerate(p.variants):
        rows = slice(v * p.seeds, (v + 1) * p.seeds)
        out[name] = {"family": VARIANTS[name][0], "hp": member_hp(name), "loss": res.history["loss"][rows],
                     "logs": {k: a[rows] for k, a in logs.items()},
                     "kernel": np.asarray(res.state.params["kernel"])[rows],
                     "best_kernel": np.asarray(res.state.best_params["kernel"])[rows],
                     "diverged": [d for d in res.diverged if rows.start <= d[0] < rows.stop]}
    return out, res.seconds


def run_butterfly(p: DftOptimizerStudy, X, Y):
    b = p.butterfly
    members = grid(seeds=b.seeds, lr=list(b.lr))
    fitter = Fitter(lambda hp: Butterfly(p.n), lambda hp: optax.adam(hp["lr"]))
    res = sweep(fitter, X, Y, members, b.steps, chunk=min(p.chunk, b.steps), mesh=None, progress=False,
                config={"experiment": "dft", "model": "butterfly"})
    return members, res


def butterfly_numbers(p: DftOptimizerStudy, members, res, fresh_x, fresh_y) -> list[dict]:
    """Per member: loss statistics, and the final and best parameters' checks (as a matrix and on fresh vectors)."""
    out = []
    true_f = dft_matrix(p.n)
    eye = stack_complex(np.eye(p.n))
    apply = jax.jit(lambda params, x: Butterfly(p.n).apply({"params": params}, x))
    for i, m in enumerate(members):
        st = curve_stats(res.history["loss"][i])
        st.update({"lr": m["lr"], "seed": m["seed"], "loss_curve_every_50": thin(res.history["loss"][i], 50)})
        for which, tree in (("final", res.state.params), ("best", res.state.best_params)):
            params = jax.tree_util.tree_map(lambda a: a[i], tree)
            z_pred = unstack_complex(np.asarray(apply(params, jnp.asarray(fresh_x)), np.float64))
            z_true = unstack_complex(fresh_y)
            # the matrix the butterfly implements: column j = image of the j-th basis vector
            mat = unstack_complex(np.asarray(apply(params, jnp.asarray(eye)), np.float64)).T
            st[f"check_{which}"] = {
                "pred_max_abs_err": float(np.abs(z_pred - z_true).max()),
                "pred_allclose": bool(np.allclose(z_pred, z_true, rtol=PRED_RTOL, atol=PRED_ATOL)),
                "matrix_max_abs_err": float(np.abs(mat - true_f).max()),
                "matrix_allclose": bool(np.allclose(mat, true_f, rtol=0, atol=MATRIX_ATOL))}
        out.append(st)
    return out


def run(p: DftOptimizerStudy, data_root=None):
    """``(payload, arrays)``: the JSON-able numbers, and the full curves, logs and kernels the figures draw
    (data-free: ``data_root`` is unused)."""
    X, Y = dft_dataset(p.samples, p.n, seed=0)
    fresh_x, fresh_y = fresh_vectors(p.n)
    sigma_eig = np.linalg.eigvalsh(X.T.astype(np.float64) @ X / X.shape[0])
    h_min, h_max = (2.0 / (2 * p.n)) * sigma_eig[[0, -1]]

    results, dense_seconds = run_variants(p, X, Y)
    long_p = long = long_seconds = None
    if p.long_steps:   # the default variant alone, for longer
        long_p = dataclasses.replace(p, steps=p.long_steps, seeds=1, variants=(DEFAULT,))
        long_results, long_seconds = run_variants(long_p, X, Y)
        long = long_results[DEFAULT]
    b_members, b_res = run_butterfly(p, X, Y)

    variants = {}
    for name, r in results.items():
        per_seed = variant_numbers(r, p, fresh_x, fresh_y)
        variants[name] = {
            "family": r["family"], "hp": r["hp"], "seeds": per_seed, "medians": medians(per_seed),
            "diverged": r["diverged"], "stability_limit": stability_limit(r["family"]),
            "loss_curves_every_50": [thin(c, 50) for c in r["loss"]],
            "logs_seed0_every_50": {k: thin(v[0], max(1, 50 // p.log_every)) for k, v in r["logs"].items()},
        }

    # the default run's tail vs the β2 = 0.99 floor (separate long run, or the main run)
    sat = None
    if SHORT_MEMORY in variants and DEFAULT in results:
        floor = float(np.median([s["tail_median"] for s in variants[SHORT_MEMORY]["seeds"]]))
        src, src_p = (long, long_p) if long is not None else (results[DEFAULT], p)
        per = variant_numbers(src, src_p, fresh_x, fresh_y)
        sat = {"source": "separate 1-seed run" if long is not None else "main run", "steps": src_p.steps,
               "b2_099_floor": floor,
               "tail_median": float(np.median([s["tail_median"] for s in per])),
               "rms_sqrt_v_final": float(np.median([s["rms_sqrt_v_final"] for s in per])),
               "reach_step": [reach_step(c, 0.5 * floor) for c in src["loss"]],
               "seconds": long_seconds}
        if long is not None:
            sat["loss_curve_every_50"] = thin(long["loss"][0], 50)
            sat["stats"] = per[0]

    b_params = num_params(jax.tree_util.tree_map(lambda a: a[0], b_res.state.params))
    payload = {"config": config(p), "n": p.n, "tolerances": TOLERANCES,
               "hessian_eig_range": [float(h_min), float(h_max)],
               "derived": derived_numbers(variants, h_min, h_max, p.steps),
               "variants": variants, "dense_sweep_seconds": dense_seconds, "long_run_seconds": long_seconds,
               "saturation_check": sat,
               "butterfly": {"params": b_params, "dense_params": (2 * p.n) ** 2,
                             "members": butterfly_numbers(p, b_members, b_res, fresh_x, fresh_y),
                             "seconds": b_res.seconds}}
    arrays = {"results": results, "long": long, "butterfly_members": b_members,
              "butterfly_loss": b_res.history["loss"], "h_max": h_max}
    return payload, arrays


# --- figures (from the run's arrays) -------------------------------------------------------------
def fig_weights(kernel, n: int):
    import matplotlib.pyplot as plt

    f_learned = complex_of_real_block(np.asarray(kernel, np.float64).T)
    f_true = dft_matrix(n)
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
    fig.suptitle(f"Dense {2 * n}→{2 * n} kernel (Adam default) read as a complex {n}×{n} matrix vs the DFT matrix")
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


def fig_diagnostics(results, every, names, h_max, long=None):
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


def fig_butterfly(members, loss, dense_curve):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, (m, curve) in enumerate(zip(members, loss)):
        ax.semilogy(curve, lw=0.7, color=f"C{i % 10}", label=f"butterfly, lr {m['lr']:g}, seed {m['seed']}")
    ax.semilogy(dense_curve[: loss.shape[1]], lw=0.9, color="k", ls="--",
                label="dense 64×64, Adam default (lr 1e-3), seed 0")
    ax.set(xlabel="step", ylabel="training MSE", title="Butterfly (640 params) vs dense (4096 params)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    return fig


def figures(payload: dict, arrays: dict) -> dict:
    cfg, results, long = payload["config"], arrays["results"], arrays["long"]
    return {"weights": fig_weights(results[DEFAULT]["kernel"][0], payload["n"]),
            "loss-curves": fig_losses(results, cfg["steps"]),
            "adam-diagnostics": fig_diagnostics(results, cfg["log_every"],
                                                [n for n in (DEFAULT, SHORT_MEMORY, CONTRAST) if n in results],
                                                arrays["h_max"], long),
            "butterfly": fig_butterfly(arrays["butterfly_members"], arrays["butterfly_loss"],
                                       results[DEFAULT]["loss"][0])}


# --- report (tables from the payload alone) -------------------------------------------------------
def _num(v) -> str:
    return "None" if v is None or not np.isfinite(v) else f"{v:.0f}"


def _ok(c) -> str:
    return "✓" if c["complex_allclose"] and c["matrix_allclose"] and c["pred_allclose"] else "✗"


def _mark(c) -> str:
    return "✓" if c["matrix_allclose"] and c["pred_allclose"] else "✗"


def report(payload: dict, arrays: Optional[dict] = None):
    """Markdown tables from the payload; the figures when the run's ``arrays`` are given."""
    cfg, d, sat, n = payload["config"], payload["derived"], payload["saturation_check"], payload["n"]
    bfly = payload["butterfly"]
    table, checks, diag = [], [], []
    for name in cfg["variants"]:            # the protocol's order (the JSON's keys are sorted)
        v = payload["variants"][name]
        per_seed = v["seeds"]
        col = lambda f: " / ".join(f(s) for s in per_seed)  # noqa: E731
        table.append([name, col(lambda s: sci(s["min"])), col(lambda s: str(s["argmin"])),
                      col(lambda s: sci(s["final"])), col(lambda s: sci(s["max_after_min"])),
                      col(lambda s: f"{s['rise']:.0f}×"), col(lambda s: str(s["edge_step"])),
                      col(lambda s: f"{s['sharpness_final']:.3g}")])
        for i, s in enumerate(per_seed):
            f, b = s["check_final"], s["check_best"]
            checks.append([name, i, sci(f["matrix_max_abs_err"]), sci(f["complex_max_abs_err"]),
                           sci(f["pred_max_abs_err"]), _ok(f), sci(b["matrix_max_abs_err"]),
                           sci(b["pred_max_abs_err"]), _ok(b)])
        m = v["medians"]
        diag.append([name, sci(m["min"]), _num(m["argmin"]), sci(m["final"]), f"{m['rise']:.3g}",
                     _num(m["edge_step"]), f"{m['sharpness_at_min']:.3g}", f"{m['sharpness_final']:.3g}",
                     sci(m["rms_sqrt_v_final"]), sci(m["sqrt_v_decay_per_step"]),
                     sci(m["grad_norm_at_min"]), sci(m["grad_norm_final"]),
                     sci(m["step_norm_at_min"]), sci(m["step_norm_final"]), f"{m['frac_eps_final']:.3g}"])
    b_rows = []
    for st in bfly["members"]:
        f, b = st["check_final"], st["check_best"]
        b_rows.append([st["lr"], st["seed"], sci(st["min"]), st["argmin"], sci(st["final"]),
                       sci(f["matrix_max_abs_err"]), sci(f["pred_max_abs_err"]), _mark(f),
                       f"{_mark(b)} ({b['matrix_max_abs_err']:.1e})"])
    tol = payload["tolerances"]
    long_seconds = payload.get("long_run_seconds", (sat or {}).get("seconds"))

    md = [f"# DFT with one linear layer ({payload.get('profile', cfg.get('name'))} profile)\n",
          f"Setup. Training set: {cfg['samples']} random complex vectors z ∈ ℂ^{n} (standard normal Re/Im), "
          f"stacked [Re, Im] ∈ ℝ^{2 * n}; targets np.fft.fft(z) stacked the same way. Bias-free Dense(64) (flax "
          f"default init), MSE, full batch, {cfg['steps']} steps; {len(cfg['variants'])} optimizer variants × "
          f"{cfg['seeds']} seeds, all members of one vmapped sweep (the optimizer type is a traced member "
          f"hyper-parameter)" + (f", plus the default variant alone for {cfg['long_steps']} steps (1 seed)"
                                 if cfg.get("long_steps") else "")
          + f". Butterfly network: bit reversal + log2({n}) = 5 trainable radix-2 stages of 16 complex 2×2 blocks, "
          f"{bfly['params']} real parameters vs {bfly['dense_params']} for the dense layer, random complex-normal "
          f"init (variance 1/2 per entry), Adam (β2 0.999, ε 1e-8), {cfg['butterfly']['steps']} steps, same data and "
          f"engine. Checks: 'matrix' = learned 64×64 matrix vs [[Re F, −Im F], [Im F, Re F]] (for the butterfly: "
          f"its image of the {n} basis vectors vs F), 'complex' = the same read as a complex {n}×{n} matrix, both "
          f"`np.allclose(atol={tol['matrix_atol']:g}, rtol=0)`; 'pred' = predictions on {FRESH} fresh random vectors "
          f"vs np.fft.fft, `np.allclose(atol={tol['pred_atol']:g}, rtol={tol['pred_rtol']:g})`; ✓ = all pass. "
          "'final' = parameters after the last step, 'best' = the lowest-loss parameters seen (`best_params`).\n",
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
          markdown_table(["variant", "min", "step of min", "final", "final/min", "edge step",
                                 "sharpness at min", "sharpness end", "RMS √v̂ end", "√v̂ decay/step", "‖g‖ at min",
                                 "‖g‖ end", "‖Δθ‖ at min", "‖Δθ‖ end", "frac √v̂<ε end"], diag),
          "\n## Constants\n",
          "Hessian H = (2/64)·Σ_x ⊗ I of the quadratic loss; v* = lr·λmax(H)/38 (lr 1e-3); predicted decay "
          "½·ln(1/β2) of √v̂ when v̂ only forgets (β2 0.999); the default variant's step at which √v̂ would reach "
          "v* if it kept decaying at that rate from its final value; lr·λmax(H)/ε per Adam variant.\n",
          markdown_table(
              ["quantity", "value"],
              [["λmin(H)", f"{d['hessian_eig_min']:.3g}"], ["λmax(H)", f"{d['hessian_eig_max']:.3g}"],
               ["stability limit Adam 2(1+β1)/(1−β1)", f"{d['stability_limit_adam']:.0f}"],
               ["stability limit heavy-ball GD 2(1+μ)", f"{d['stability_limit_gd']:.1f}"],
               ["v* = lr·λmax(H)/38", sci(d["v_star"])],
               ["½·ln(1/β2)", sci(d["sqrt_v_decay_predicted"])],
               ["default: extrapolated step √v̂ = v*", _num(d.get("default_steps_to_v_star_extrapolated"))]]
              + [[f"lr·λmax(H)/ε, {k}", f"{d['sharpness_cap_lr_hmax_over_eps'][k]:.3g}"]
                 for k in cfg["variants"] if k in d["sharpness_cap_lr_hmax_over_eps"]]),
          ]
    if sat is not None:
        md += ["\n## Default variant's tail vs the β2 = 0.99 floor\n",
               "β2 = 0.99 floor = median over seeds of that variant's median loss over its last 10 % of steps; the "
               f"default's tail median and RMS √v̂ at the end from the {sat['source']} ({sat['steps']} steps); reach "
               "step = first 1000-step block after the minimum whose median loss is ≥ half that floor.\n",
               markdown_table(["source", "steps", "β2=0.99 floor", "default tail median",
                                      "default RMS √v̂ end", "reach step(s)"],
                                     [[sat["source"], sat["steps"], sci(sat["b2_099_floor"]), sci(sat["tail_median"]),
                                       sci(sat["rms_sqrt_v_final"]), " / ".join(str(r) for r in sat["reach_step"])]])]
    md += ["\n## Butterfly network\n",
           markdown_table(["lr", "seed", "min loss", "step of min", "final loss", "matrix max err",
                                  "pred max err", "allclose", "allclose best (max err)"], b_rows),
           f"\nTraining time (incl. compilation): dense sweep ({len(cfg['variants']) * cfg['seeds']} members) "
           f"{payload['dense_sweep_seconds']:.0f} s, " + (f"long default run {long_seconds:.0f} s, " if long_seconds
                                                           else "")
           + f"butterfly sweep ({len(bfly['members'])} members) {bfly['seconds']:.0f} s.\n"]
    return "\n".join(md), (figures(payload, arrays) if arrays is not None else {})


def main(argv=None):
    return common.main("dft", DFT_OPTIMIZERS, run, report, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
