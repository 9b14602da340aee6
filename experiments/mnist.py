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
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax

from experiments import common
from spectral_inr import protocols, recipes
from spectral_inr.data import load_mnist
from spectral_inr.train import Fitter, grid, sweep

_P = protocols.HARMONIC_MNIST["paper"]   # the seed's protocol as data (spectral_inr/protocols/harmonic.py)
MNIST_MEAN, MNIST_STD = _P.mean, _P.std
SEED_CLAIM = {"test_accuracy": 0.95, "source": "seed README: '95% test accuracy within first few epochs' (15-epoch "
              "script; no number for the LR sweep or an ablation)"}
LR, WEIGHT_DECAY, FREQ_FACTOR = _P.lr, _P.weight_decay, _P.freq_factor
PLATEAU_FACTOR, PLATEAU_PATIENCE_TORCH = _P.plateau_factor, _P.plateau_patience_torch
LR_GRID = _P.lr_grid

# quick: see HARMONIC_MNIST["quick"].reduced; paper: the seed protocol.
PROFILES = {name: {k: v for k, v in dataclasses.asdict(p).items()
                   if k in ("train_size", "epochs", "sweep_epochs", "seeds", "batch", "sweep_batch", "hidden",
                            "max_freqs", "lr_sweep_sizes")}
            for name, p in protocols.HARMONIC_MNIST.items()}


# --- data -------------------------------------------------------------------------------------------
def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 ``(N, 28, 28)`` → float32 ``(N, 784)``: /255, then the seed's MNIST mean/std."""
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return (x - MNIST_MEAN) / MNIST_STD


def load_data(root, train_size: Optional[int] = None) -> dict:
    """Train (the first ``train_size`` images, or all) and the full test set, preprocessed."""
    x_tr, y_tr = load_mnist("train", data_dir=root)
    x_te, y_te = load_mnist("test", data_dir=root)
    if train_size is not None:
        x_tr, y_tr = x_tr[:train_size], y_tr[:train_size]
    return {"x_train": preprocess(x_tr), "y_train": y_tr.astype(np.int32),
            "x_test": preprocess(x_te), "y_test": y_te.astype(np.int32)}


# --- model, optimizer, fitter: spectral_inr.recipes.harmonic ---------------------------------------------
cross_entropy = recipes.harmonic.cross_entropy
ACTIVATIONS = recipes.harmonic.ACTIVATIONS


def steps_per_epoch(n: int, batch: int) -> int:
    return math.ceil(n / batch)


# --- evaluation -------------------------------------------------------------------------------------------
def evaluate(fitter: Fitter, result, x, y) -> dict:
    """Per member: test accuracy (fraction) and cross-entropy of the final params, eval mode."""
    hp = {k: jnp.asarray(np.asarray([m[k] for m in result.members], np.float32))
          for k in result.members[0] if k != "seed"}

    x, y = jnp.asarray(x), jnp.asarray(y)

    @jax.jit
    def scores(params, model_state, h, x, y):
        logits = fitter.predict(params, model_state, h, x)
        return jnp.mean(jnp.argmax(logits, -1) == y), cross_entropy(logits, y)

    acc, loss = [], []
    for i in range(len(result.members)):  # one member at a time: bounded memory for 60k/10k × 512 activations
        p = jax.tree_util.tree_map(lambda a: a[i], result.state.params)
        s = jax.tree_util.tree_map(lambda a: a[i], result.state.model_state)
        a, l = scores(p, s, {k: v[i] for k, v in hp.items()}, x, y)
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
def run_ablation(cfg: dict, data: dict) -> dict:
    """Frequency-aware scaling (factor 0.1 vs 0.0, vmapped) × harmonic vs ReLU (separate sweeps), under the
    main protocol (batch 128, Adam 1e-3, wd 1e-5, plateau).  The harmonic / 0.1 cell *is* the main run."""
    n = len(data["x_train"])
    per_epoch = steps_per_epoch(n, cfg["batch"])
    steps = cfg["epochs"] * per_epoch
    out = {}
    for name in cfg.get("activations", tuple(ACTIVATIONS)):
        fitter = recipes.harmonic.fitter(dataclasses.replace(_P, max_freqs=tuple(cfg["max_freqs"])), cfg["hidden"],
                                         cfg["batch"], ACTIVATIONS[name], plateau_steps=per_epoch)
        members = grid(seeds=cfg["seeds"], factor=[FREQ_FACTOR, 0.0], lr=[LR])
        with common.Timer() as t:
            result = sweep(fitter, data["x_train"], data["y_train"], members, steps, chunk=per_epoch)
            scores = evaluate(fitter, result, data["x_test"], data["y_test"])
        window, curve = loss_curve(result.history["loss"], per_epoch)
        out[name] = {"members": result.members, "seconds": t.seconds, "diverged": result.diverged,
                     "steps_per_epoch": per_epoch, "curve_window": window, "train_loss_curve": curve,
                     "epoch_train_loss": epoch_losses(result.history["loss"], per_epoch).tolist(),
                     "plateau_scale": plateau_scale(result), **scores}
        print(f"ablation {name}: " + ", ".join(
            f"factor {f}: {common.mean_std(100 * np.asarray(select(out[name], factor=f)), 2)} %"
            for f in (FREQ_FACTOR, 0.0)) + f" ({t.seconds:.0f} s)")
    return out


def run_lr_sweep(cfg: dict, data: dict) -> dict:
    """LRs × seeds vmapped, one sweep per hidden size; constant LR, batch ``sweep_batch``."""
    n = len(data["x_train"])
    per_epoch = steps_per_epoch(n, cfg["sweep_batch"])
    steps = cfg["sweep_epochs"] * per_epoch
    out = {}
    for hidden in cfg["lr_sweep_sizes"]:
        fitter = recipes.harmonic.fitter(dataclasses.replace(_P, max_freqs=tuple(cfg["max_freqs"])), hidden,
                                         cfg["sweep_batch"])
        members = grid(seeds=cfg["seeds"], lr=list(LR_GRID), factor=[FREQ_FACTOR])
        with common.Timer() as t:
            result = sweep(fitter, data["x_train"], data["y_train"], members, steps, chunk=per_epoch)
            scores = evaluate(fitter, result, data["x_test"], data["y_test"])
        key = "x".join(str(h) for h in hidden)
        out[key] = {"hidden": list(hidden), "members": result.members, "seconds": t.seconds,
                    "diverged": result.diverged, "steps_per_epoch": per_epoch,
                    "epoch_train_loss": epoch_losses(result.history["loss"], per_epoch).tolist(), **scores}
        print(f"lr sweep {key}: " + ", ".join(
            f"{lr:g}: {common.mean_std(100 * np.asarray(select(out[key], lr=lr)), 2)}" for lr in LR_GRID)
            + f" % ({t.seconds:.0f} s)")
    return out


def select(record: dict, metric: str = "test_accuracy", **match) -> list:
    """``record[metric]`` of the members whose hyper-parameters equal ``match`` (floats: to 1e-6 relative)."""
    return [v for m, v in zip(record["members"], record[metric])
            if all(math.isclose(m[k], x, rel_tol=1e-6, abs_tol=1e-12) for k, x in match.items())]


def run_experiment(cfg: dict, data: dict) -> dict:
    with common.Timer() as total:
        ablation = run_ablation(cfg, data)
        lr_sweep = run_lr_sweep(cfg, data)
    main_acc = select(ablation["harmonic"], factor=FREQ_FACTOR)
    return {"config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()},
            "train_size": len(data["x_train"]), "test_size": len(data["x_test"]),
            "protocol": {"lr": LR, "weight_decay": WEIGHT_DECAY, "frequency_factor": FREQ_FACTOR,
                         "plateau": {"factor": PLATEAU_FACTOR, "patience_torch": PLATEAU_PATIENCE_TORCH,
                                     "patience_optax": PLATEAU_PATIENCE_TORCH + 1,
                                     "watches": "epoch-mean training loss (train mode), as the seed"},
                         "normalisation": {"mean": MNIST_MEAN, "std": MNIST_STD}, "lr_grid": list(LR_GRID)},
            "main": {"test_accuracy": main_acc, "test_loss": select(ablation["harmonic"], "test_loss",
                                                                     factor=FREQ_FACTOR)},
            "ablation": ablation, "lr_sweep": lr_sweep, "seed_claim": SEED_CLAIM, "seconds": total.seconds}


# --- report ----------------------------------------------------------------------------------------------
def pct(values) -> str:
    return common.mean_std(100 * np.asarray(values, np.float64), 2)


def reductions(cfg: dict, profile: str) -> str:
    if profile == "paper":
        return (f"Full protocol: 60,000 training images, {cfg['epochs']} epochs (LR sweep: {cfg['sweep_epochs']}), "
                f"{cfg['seeds']} seeds.")
    n = f"the first {cfg['train_size']:,} of 60,000 training images" if cfg["train_size"] else "all 60,000 images"
    return (f"**Reduced (quick profile):** {n}; {cfg['epochs']} epochs for the main run/ablation (seed: 15) and "
            f"{cfg['sweep_epochs']} for the LR sweep (seed: 5); {cfg['seeds']} seeds (paper profile: 5). With "
            "patience 2 the plateau rule cannot fire in so few epochs. Test set: the full 10,000 images. "
            "The seed's ~95 % is for the full 15-epoch run, so it is only a loose reference here.")


def markdown(payload: dict, profile: str) -> str:
    cfg, ab, lrs = payload["config"], payload["ablation"], payload["lr_sweep"]
    h = "→".join(str(v) for v in cfg["hidden"])
    main_rows = [["Harmonic MLP 784→" + h + "→10, frequency-aware Adam", pct(payload["main"]["test_accuracy"]),
                  "~95 (README: 'within first few epochs' of its 15-epoch, 60k run)",
                  common.mean_std(payload["main"]["test_loss"], 3)]]
    abl_rows = []
    for name, rec in ab.items():
        for f in (FREQ_FACTOR, 0.0):
            abl_rows.append([name, f"{f} ({'on' if f else 'off'})", pct(select(rec, factor=f)),
                             common.mean_std(select(rec, "test_loss", factor=f), 3),
                             common.mean_std([e[-1] for e in select(rec, "epoch_train_loss", factor=f)], 3)])
    sizes = list(lrs)
    lr_rows = [[f"{lr:g}"] + [pct(select(lrs[s], lr=lr)) for s in sizes] for lr in LR_GRID]
    best = {s: max(LR_GRID, key=lambda lr: np.nanmean(select(lrs[s], lr=lr) or [np.nan])) for s in sizes}
    diverged = {f"ablation/{k}": r["diverged"] for k, r in ab.items() if r["diverged"]}
    diverged.update({f"lr_sweep/{k}": r["diverged"] for k, r in lrs.items() if r["diverged"]})
    scales = sorted({s for r in ab.values() for s in r["plateau_scale"]})
    text = (
        f"# exp-mnist ({profile})\n\n"
        "Harmonic MLP (seed repo: FirestName/Harmonic-MLP-Neural-Networks-with-Frequency-Based-Activation) on "
        f"MNIST, {payload['train_size']:,} training / {payload['test_size']:,} test images. Inputs flattened, /255, "
        f"then normalised with the MNIST mean/std ({MNIST_MEAN}, {MNIST_STD}) as the seed does. "
        f"Test accuracy (%) of the final parameters, mean ± std over {cfg['seeds']} seeds.\n\n"
        + reductions(cfg, profile) + "\n\n"
        "## Main run\n\n"
        f"Frequency-aware Adam (lr {LR:g}, coupled wd {WEIGHT_DECAY:g}, factor {FREQ_FACTOR}), batch {cfg['batch']}, "
        f"{cfg['epochs']} epochs, softmax cross-entropy, reduce-on-plateau ×{PLATEAU_FACTOR} with PyTorch patience "
        f"{PLATEAU_PATIENCE_TORCH} (optax patience {PLATEAU_PATIENCE_TORCH + 1}) on the epoch-mean **training** "
        "loss — "
        "the seed also steps its scheduler on the training loss, not a validation loss (optax applies a reduced "
        "rate from the epoch's last step, PyTorch from the next epoch). "
        f"Final plateau multipliers seen: {scales}.\n\n"
        + common.markdown_table(["model", "test acc (%)", "seed claim (%)", "test CE"], main_rows)
        + "\n## Learning-rate sweep\n\n"
        f"Constant LR (no plateau rule, as the seed's sweep), batch {cfg['sweep_batch']}, {cfg['sweep_epochs']} "
        f"epochs, frequency-aware Adam; LRs × seeds vmapped, same init for every LR of a seed. Final-epoch test "
        "accuracy (the seed script keeps the best test accuracy over epochs — a selection on the test set). "
        "The seed reports no numbers for its sweep.\n\n"
        + common.markdown_table(["lr"] + [f"hidden {s.replace('x', '/')} (%)" for s in sizes], lr_rows)
        + "\nBest LR (mean test accuracy): " + ", ".join(f"{s.replace('x', '/')}: {lr:g}" for s, lr in best.items())
        + ".\n"
        + "\n## Ablation: frequency-aware scaling × activation\n\n"
        "Main-run protocol. 'off' = factor 0.0 (plain Adam with coupled weight decay); ReLU keeps the harmonic "
        "initialisation and, when 'on', the per-neuron scaling 1/(1+0.1·f_i) by the neuron's nominal frequency. "
        "Same seed ⇒ same initial weights, dropout masks and batch order in all four cells; the harmonic / 0.1 "
        "row is the main run. No seed-repo numbers exist for this ablation. Reading it: the scaling multiplies "
        "neuron i's gradient by a constant c_i = 1/(1+0.1·f_i) *before Adam*, and Adam's per-parameter "
        "normalisation m/√v cancels a constant factor — what survives is eps/c_i and a weight decay effectively "
        "×1/c_i (the decay is added after the scaling). Both are small next to the gradients (|g| ~ 1e-4–1e-3 "
        "in the first layer vs eps 1e-8 and wd·|w| ~ 3e-7 at init), so expect differences at the level of seed "
        "noise (same-seed pairs diverge chaotically too); with few seeds, gaps under ~2 std are not evidence.\n\n"
        + common.markdown_table(["activation", "frequency scaling (factor)", "test acc (%)", "test CE",
                                 "last-epoch train loss"], abl_rows)
        + f"\nDiverged members: {diverged or 'none'}.\n"
        + f"\nFigures: `mnist-{profile}-loss-curves.png` (training loss: minibatch and epoch means), "
        f"`mnist-{profile}-lr-sweep.png`.\n")
    return text


def figures(payload: dict) -> dict:
    import matplotlib.pyplot as plt

    fig1, (ax_s, ax_e) = plt.subplots(1, 2, figsize=(10, 3.6))
    colors = {("harmonic", FREQ_FACTOR): "C0", ("harmonic", 0.0): "C1", ("relu", FREQ_FACTOR): "C2",
              ("relu", 0.0): "C3"}
    for name, rec in payload["ablation"].items():
        ls = "-" if name == "harmonic" else "--"
        for f in (FREQ_FACTOR, 0.0):
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
    for i, (key, rec) in enumerate(payload["lr_sweep"].items()):
        acc = np.asarray([[100 * v for v in select(rec, lr=lr)] for lr in LR_GRID])
        ax.errorbar(LR_GRID, np.nanmean(acc, 1), yerr=np.nanstd(acc, 1), marker="o", capsize=3,
                    label=f"hidden {key.replace('x', '/')}")
    ax.axhline(100 * SEED_CLAIM["test_accuracy"], color="gray", ls=":", label="seed README ~95 %")
    ax.set(xscale="log", xlabel="learning rate", ylabel="test accuracy (%)", title="exp-mnist: LR sweep")
    ax.legend(fontsize=8)
    return {"loss-curves": fig1, "lr-sweep": fig2}


def main(argv=None):
    args = common.parse_args(__doc__.splitlines()[0], argv)
    cfg = PROFILES[args.profile]
    with common.Timer() as t:
        data = load_data(common.data_root(args.data), cfg["train_size"])
        payload = run_experiment(cfg, data)
    payload["seconds"] = t.seconds
    print(f"main: test accuracy {pct(payload['main']['test_accuracy'])} % (seed README ~95 %), {t.seconds:.0f} s")
    common.write_results("mnist", args.profile, payload, markdown(payload, args.profile), figures(payload),
                         out=args.out)


if __name__ == "__main__":
    common.guarded("mnist", main)
