"""exp-mnist: the Harmonic MLP on MNIST — main run, learning-rate sweep, ablation.

Seed repo (FirestName/Harmonic-MLP-Neural-Networks-with-Frequency-Based-Activation,
``harmonic-mlp``): 784 → H(512, max 5) → BN → Dropout(0.2) → H(256, max 3) → BN →
Dropout(0.2) → Linear(10); inputs ``ToTensor()`` (/255) then ``Normalize(0.1307,
0.3081)`` — we do the same; Adam 1e-3 with coupled weight decay 1e-5 after the
frequency-aware gradient scaling ``1/(1 + 0.1·f_i)``; batch 128, 15 epochs,
cross-entropy; ``ReduceLROnPlateau('min', patience=2)`` (factor 0.1) stepped on the
epoch-mean *training* loss (``scheduler.step(train_loss)``, not a validation loss).
README claim: "95% test accuracy within first few epochs".

Here the plateau rule is ``optax.contrib.reduce_on_plateau`` chained after
:func:`harmonic_adam`, fed the per-step training loss by the engine and averaging
it over ``accumulation_size = steps per epoch`` — the same quantity as the seed's
``train_loss`` (mean minibatch loss in train mode, dropout on).  optax reduces
after ``patience`` bad epochs, PyTorch after ``patience + 1``, so PyTorch's
``patience=2`` is optax ``patience=3``.  The reduced scale already applies to the
epoch's last step (PyTorch: from the next epoch) — one step of 469.

The seed's LR sweep (``Complete Harmonic MLP with Learning Rate Sweep.py``): LRs
[1e-4, 3e-4, 1e-3, 3e-3, 1e-2], 5 epochs each from the same initial weights, constant
LR (no scheduler), frequency-aware Adam; that script uses batch 128 (the "Adaptive"
variant batch 64 and 6 epochs) — we use batch 64 and 5 epochs, for hidden [512, 256]
and [32, 16].  LRs × seeds are one vmapped sweep per hidden size; a member's seed
fixes its init, dropout masks and data order, so all LRs of a seed start from the
same weights (the ablation pairs its cells the same way).

All sweeps train with the engine (``Fitter`` + ``sweep``); test accuracy is that of
the final parameters (eval mode: BN running averages, no dropout) on the 10k test set.
"""
from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from experiments import common
from experiments.formatting import markdown_table, mean_std
from spectral_inr import protocols, recipes
from spectral_inr.data import load_mnist
from spectral_inr.protocols.harmonic import HarmonicMnist
from spectral_inr.train import Fitter, grid, stack, sweep

SEED_REPO = "FirestName/Harmonic-MLP-Neural-Networks-with-Frequency-Based-Activation"


# --- data -------------------------------------------------------------------------------------------
def preprocess(images: np.ndarray, p: HarmonicMnist) -> np.ndarray:
    """uint8 ``(N, 28, 28)`` → float32 ``(N, 784)``: /255, then the protocol's MNIST mean/std."""
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return (x - p.mean) / p.std


def load_data(root, p: HarmonicMnist) -> dict:
    """Train (the first ``p.train_size`` images, or all) and the full test set, preprocessed."""
    x_tr, y_tr = load_mnist("train", data_dir=root)
    x_te, y_te = load_mnist("test", data_dir=root)
    if p.train_size is not None:
        x_tr, y_tr = x_tr[:p.train_size], y_tr[:p.train_size]
    return {"x_train": preprocess(x_tr, p), "y_train": y_tr.astype(np.int32),
            "x_test": preprocess(x_te, p), "y_test": y_te.astype(np.int32)}


def steps_per_epoch(n: int, batch: int) -> int:
    return math.ceil(n / batch)


# --- evaluation -------------------------------------------------------------------------------------------
def evaluate(fitter: Fitter, result, x, y) -> dict:
    """Per member: test accuracy (fraction) and cross-entropy of the final params, eval mode."""
    hp = {k: jnp.asarray(v) for k, v in stack(result.members).items() if k != "seed"}

    x, y = jnp.asarray(x), jnp.asarray(y)

    @jax.jit
    def scores(params, model_state, h, x, y):
        logits = fitter.predict(params, model_state, h, x)
        return jnp.mean(jnp.argmax(logits, -1) == y), recipes.harmonic.cross_entropy(logits, y)

    acc, loss = [], []
    for i in range(len(result.members)):  # one member at a time: bounded memory for 60k/10k × 512 activations
        params = jax.tree_util.tree_map(lambda a: a[i], result.state.params)
        state = jax.tree_util.tree_map(lambda a: a[i], result.state.model_state)
        a, l = scores(params, state, {k: v[i] for k, v in hp.items()}, x, y)
        acc.append(float(a))
        loss.append(float(l))
    return {"test_accuracy": acc, "test_loss": loss}


def epoch_losses(history: np.ndarray, per_epoch: int) -> np.ndarray:
    """``(K, steps)`` minibatch losses → ``(K, epochs)`` epoch means (the plateau rule's input)."""
    k, steps = history.shape
    return history[:, : steps - steps % per_epoch].reshape(k, -1, per_epoch).mean(-1)


def loss_curve(history: np.ndarray, per_epoch: int) -> tuple[int, list]:
    """Minibatch losses averaged over windows of ~1/10 epoch: ``(window, (K, steps // window))``."""
    window = max(1, per_epoch // 10)
    k, steps = history.shape
    return window, history[:, : steps - steps % window].reshape(k, -1, window).mean(-1).tolist()


def plateau_scale(result) -> list:
    """Final reduce-on-plateau LR multiplier per member (1.0 = never reduced)."""
    found = [x for x in jax.tree_util.tree_leaves(
        result.state.opt_state, is_leaf=lambda x: isinstance(x, optax.contrib.ReduceLROnPlateauState))
        if isinstance(x, optax.contrib.ReduceLROnPlateauState)]
    return [float(v) for v in np.asarray(found[0].scale)] if found else [1.0] * len(result.members)


# --- the three parts ---------------------------------------------------------------------------------------
def run_ablation(p: HarmonicMnist, data: dict) -> dict:
    """Frequency-aware scaling (``p.freq_factor`` vs 0.0, vmapped) × ``p.activations`` (separate sweeps), under
    the main protocol (batch, Adam, wd, plateau).  The harmonic / ``p.freq_factor`` cell *is* the main run."""
    n = len(data["x_train"])
    per_epoch = steps_per_epoch(n, p.batch)
    steps = p.epochs * per_epoch
    out = {}
    for name in p.activations:
        fitter = recipes.harmonic.fitter(p, p.hidden, p.batch, recipes.harmonic.ACTIVATIONS[name],
                                         plateau_steps=per_epoch)
        members = grid(seeds=p.seeds, factor=[p.freq_factor, 0.0], lr=[p.lr])
        with common.Timer() as t:
            result = sweep(fitter, data["x_train"], data["y_train"], members, steps, chunk=per_epoch)
            scores = evaluate(fitter, result, data["x_test"], data["y_test"])
        window, curve = loss_curve(result.history["loss"], per_epoch)
        out[name] = {"members": result.members, "seconds": t.seconds, "diverged": result.diverged,
                     "steps_per_epoch": per_epoch, "curve_window": window, "train_loss_curve": curve,
                     "epoch_train_loss": epoch_losses(result.history["loss"], per_epoch).tolist(),
                     "plateau_scale": plateau_scale(result), **scores}
        print(f"ablation {name}: " + ", ".join(
            f"factor {f}: {pct(select(out[name], factor=f))} %" for f in (p.freq_factor, 0.0))
            + f" ({t.seconds:.0f} s)")
    return out


def run_lr_sweep(p: HarmonicMnist, data: dict) -> dict:
    """``p.lr_grid`` × seeds vmapped, one sweep per hidden size; constant LR, batch ``p.sweep_batch``."""
    n = len(data["x_train"])
    per_epoch = steps_per_epoch(n, p.sweep_batch)
    steps = p.sweep_epochs * per_epoch
    out = {}
    for hidden in p.lr_sweep_sizes:
        fitter = recipes.harmonic.fitter(p, hidden, p.sweep_batch)
        members = grid(seeds=p.seeds, lr=list(p.lr_grid), factor=[p.freq_factor])
        with common.Timer() as t:
            result = sweep(fitter, data["x_train"], data["y_train"], members, steps, chunk=per_epoch)
            scores = evaluate(fitter, result, data["x_test"], data["y_test"])
        key = "x".join(str(h) for h in hidden)
        out[key] = {"hidden": list(hidden), "members": result.members, "seconds": t.seconds,
                    "diverged": result.diverged, "steps_per_epoch": per_epoch,
                    "epoch_train_loss": epoch_losses(result.history["loss"], per_epoch).tolist(), **scores}
        print(f"lr sweep {key}: " + ", ".join(f"{lr:g}: {pct(select(out[key], lr=lr))}" for lr in p.lr_grid)
              + f" % ({t.seconds:.0f} s)")
    return out


def select(record: dict, metric: str = "test_accuracy", **match) -> list:
    """``record[metric]`` of the members whose hyper-parameters equal ``match`` (floats: to 1e-6 relative)."""
    return [v for m, v in zip(record["members"], record[metric])
            if all(math.isclose(m[k], x, rel_tol=1e-6, abs_tol=1e-12) for k, x in match.items())]


def run_experiment(p: HarmonicMnist, data: dict) -> dict:
    """The payload: ablation (whose harmonic / ``p.freq_factor`` cell is the main run) and LR sweeps on ``data``."""
    with common.Timer() as t:
        ablation = run_ablation(p, data)
        lr_sweep = run_lr_sweep(p, data)
    main = {"test_accuracy": select(ablation["harmonic"], factor=p.freq_factor),
            "test_loss": select(ablation["harmonic"], "test_loss", factor=p.freq_factor)} \
        if "harmonic" in ablation else {"test_accuracy": [], "test_loss": []}
    return {"config": dataclasses.asdict(p),
            "train_size": len(data["x_train"]), "test_size": len(data["x_test"]),
            "protocol": {"lr": p.lr, "weight_decay": p.weight_decay, "frequency_factor": p.freq_factor,
                         "plateau": {"factor": p.plateau_factor, "patience_torch": p.plateau_patience_torch,
                                     "patience_optax": p.plateau_patience_torch + 1,
                                     "watches": "epoch-mean training loss (train mode), as the seed"},
                         "normalisation": {"mean": p.mean, "std": p.std}, "lr_grid": list(p.lr_grid)},
            "main": main, "ablation": ablation, "lr_sweep": lr_sweep,
            "seed_claim": {"test_accuracy": p.claimed_test_accuracy,
                           "source": "seed README: '95% test accuracy within first few epochs' (15-epoch script; "
                                     "no number for the LR sweep or an ablation)"},
            "seconds": t.seconds}


def run(p: HarmonicMnist, data_root=None) -> dict:
    """The payload of protocol ``p`` on MNIST from ``data_root`` (``seconds`` includes loading the data)."""
    with common.Timer() as t:
        payload = run_experiment(p, load_data(data_root, p))
    payload["seconds"] = t.seconds
    return payload


# --- report (from the payload alone) -------------------------------------------------------------------------
def pct(values) -> str:
    return mean_std(100 * np.asarray(values, np.float64), 2)


def markdown(payload: dict) -> str:
    cfg, proto, ab, lrs = payload["config"], payload["protocol"], payload["ablation"], payload["lr_sweep"]
    profile = payload.get("profile", cfg.get("name", ""))
    factor, lr_grid = proto["frequency_factor"], proto["lr_grid"]
    plateau, norm = proto["plateau"], proto["normalisation"]
    claim = payload["seed_claim"]["test_accuracy"]
    h = "→".join(str(v) for v in cfg["hidden"])
    main_rows = [["Harmonic MLP 784→" + h + "→10, frequency-aware Adam", pct(payload["main"]["test_accuracy"]),
                  f"~{100 * claim:.0f} (README: 'within first few epochs' of its 15-epoch, 60k run)",
                  mean_std(payload["main"]["test_loss"], 3)]]
    abl_rows = []
    for name in [a for a in cfg.get("activations", ("harmonic", "relu")) if a in ab]:
        rec = ab[name]
        for f in (factor, 0.0):
            abl_rows.append([name, f"{f} ({'on' if f else 'off'})", pct(select(rec, factor=f)),
                             mean_std(select(rec, "test_loss", factor=f), 3),
                             mean_std([e[-1] for e in select(rec, "epoch_train_loss", factor=f)], 3)])
    sizes = ["x".join(str(v) for v in s) for s in cfg["lr_sweep_sizes"]]
    lr_rows = [[f"{lr:g}"] + [pct(select(lrs[s], lr=lr)) for s in sizes] for lr in lr_grid]
    best = {s: max(lr_grid, key=lambda lr: np.nanmean(select(lrs[s], lr=lr) or [np.nan])) for s in sizes}
    diverged = {f"ablation/{k}": r["diverged"] for k, r in sorted(ab.items()) if r["diverged"]}
    diverged.update({f"lr_sweep/{k}": r["diverged"] for k, r in sorted(lrs.items()) if r["diverged"]})
    scales = sorted({s for r in ab.values() for s in r["plateau_scale"]})
    reduced = cfg.get("reduced")
    return (
        f"# exp-mnist ({profile})\n\n"
        f"Harmonic MLP (seed repo: {SEED_REPO}) on MNIST, {payload['train_size']:,} training / "
        f"{payload['test_size']:,} test images; inputs flattened, /255, normalised with mean/std ({norm['mean']}, "
        f"{norm['std']}). Test accuracy (%) of the final parameters, mean ± std over {cfg['seeds']} seeds. "
        f"Protocol `spectral_inr.protocols.HARMONIC_MNIST['{profile}']`"
        + (f" — reduced: {reduced}." if reduced else " (the seed's, in full)." if reduced == "" else ".") + "\n\n"
        "## Main run\n\n"
        f"Frequency-aware Adam (lr {proto['lr']:g}, coupled wd {proto['weight_decay']:g}, factor {factor}), batch "
        f"{cfg['batch']}, {cfg['epochs']} epochs, softmax cross-entropy, reduce-on-plateau ×{plateau['factor']} "
        f"(PyTorch patience {plateau['patience_torch']}, optax {plateau['patience_optax']}) on the epoch-mean "
        f"training loss. Final plateau multipliers seen: {scales}.\n\n"
        + markdown_table(["model", "test acc (%)", "seed claim (%)", "test CE"], main_rows)
        + "\n## Learning-rate sweep\n\n"
        f"Constant LR, batch {cfg['sweep_batch']}, {cfg['sweep_epochs']} epochs, frequency-aware Adam; LRs × seeds "
        "vmapped, the same init for every LR of a seed; final-epoch test accuracy. The seed reports no numbers "
        "for its sweep.\n\n"
        + markdown_table(["lr"] + [f"hidden {s.replace('x', '/')} (%)" for s in sizes], lr_rows)
        + "\nBest LR (mean test accuracy): " + ", ".join(f"{s.replace('x', '/')}: {lr:g}" for s, lr in best.items())
        + ".\n"
        + "\n## Ablation: frequency-aware scaling × activation\n\n"
        f"Main-run protocol. 'off' = factor 0.0 (plain Adam with coupled weight decay); ReLU keeps the harmonic "
        f"initialisation and, when 'on', the per-neuron scaling 1/(1+{factor}·f_i). The same seed gives the same "
        "initial weights, dropout masks and batch order in every cell. No seed-repo numbers exist for this "
        "ablation; `docs/findings.md` (MNIST) discusses it.\n\n"
        + markdown_table(["activation", "frequency scaling (factor)", "test acc (%)", "test CE",
                                 "last-epoch train loss"], abl_rows)
        + f"\nDiverged members: {diverged or 'none'}.\n"
        + f"\nFigures: `mnist-{profile}-loss-curves.png` (training loss: minibatch and epoch means), "
        f"`mnist-{profile}-lr-sweep.png`.\n")


def figures(payload: dict) -> dict:
    import matplotlib.pyplot as plt

    factor = payload["protocol"]["frequency_factor"]
    lr_grid = payload["protocol"]["lr_grid"]
    fig1, (ax_s, ax_e) = plt.subplots(1, 2, figsize=(10, 3.6))
    colors = {("harmonic", factor): "C0", ("harmonic", 0.0): "C1", ("relu", factor): "C2", ("relu", 0.0): "C3"}
    for name in [a for a in payload["config"].get("activations", ("harmonic", "relu")) if a in payload["ablation"]]:
        rec = payload["ablation"][name]
        ls = "-" if name == "harmonic" else "--"
        for f in (factor, 0.0):
            label, c = f"{name}, factor {f}", colors[(name, f)]
            curve = np.asarray(select(rec, "train_loss_curve", factor=f)).mean(0)
            epochs_s = (np.arange(len(curve)) + 0.5) * rec["curve_window"] / rec["steps_per_epoch"]
            ax_s.plot(epochs_s, curve, ls, color=c, lw=1, label=label)
            per_epoch = np.asarray(select(rec, "epoch_train_loss", factor=f)).mean(0)
            ax_e.plot(np.arange(1, len(per_epoch) + 1), per_epoch, ls, color=c, marker="o", label=label)
    ax_s.set(xlabel="epoch", ylabel="training CE (minibatch, ~0.1-epoch means)", yscale="log",
             title="training loss (mean over seeds)")
    ax_e.set(xlabel="epoch", ylabel="epoch-mean training CE (plateau input)", yscale="log",
             title="per epoch")
    ax_e.xaxis.get_major_locator().set_params(integer=True)
    ax_s.legend(fontsize=8)
    fig1.tight_layout()

    fig2, ax = plt.subplots(figsize=(6, 3.6))
    for s in payload["config"]["lr_sweep_sizes"]:
        key = "x".join(str(v) for v in s)
        rec = payload["lr_sweep"][key]
        acc = np.asarray([[100 * v for v in select(rec, lr=lr)] for lr in lr_grid])
        ax.errorbar(lr_grid, np.nanmean(acc, 1), yerr=np.nanstd(acc, 1), marker="o", capsize=3,
                    label=f"hidden {key.replace('x', '/')}")
    claim = payload["seed_claim"]["test_accuracy"]
    ax.axhline(100 * claim, color="gray", ls=":", label=f"seed README ~{100 * claim:.0f} %")
    ax.set(xscale="log", xlabel="learning rate", ylabel="test accuracy (%)", title="exp-mnist: LR sweep")
    ax.legend(fontsize=8)
    return {"loss-curves": fig1, "lr-sweep": fig2}


def report(payload: dict, arrays=None):
    """Markdown tables and the two figures, from the payload alone."""
    return markdown(payload), figures(payload)


def main(argv=None):
    return common.main("mnist", protocols.HARMONIC_MNIST, run, report, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
