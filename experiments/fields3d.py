"""Fit SIREN, TUNER (3-D lattice, per-axis bandlimit), FINER and SIREN² to one 3-D signal.

The shared computation of ``exp-video`` and ``exp-volume`` over a
:class:`spectral_inr.protocols.Fit3D`: each method is one vmapped sweep over
seeds, trained on minibatches drawn uniformly with replacement every step
(SIREN's video protocol), then evaluated in slabs of frames/slices (PSNR over
the signal and per frame/slice, SSIM and spatial gradient PSNR for video).
"""
from __future__ import annotations

import dataclasses

import jax
import numpy as np

from experiments import common
from experiments.formatting import markdown_table, mean_std, protocol_heading
from spectral_inr import evaluation, recipes
from spectral_inr.metrics import psnr_from_mse
from spectral_inr.protocols.cli import OMEGA0, SIGNAL_MODELS
from spectral_inr.signals import Signal
from spectral_inr.train import sweep

CHUNK = 100
SCALARS = ("psnr", "ssim", "gradient_psnr", "best_psnr")


def load(p, root) -> Signal:
    """The protocol's signal: the registered bikes clip (``root``/video/bikes.mp4 or a sha256-checked
    download), the Shepp–Logan phantom, or a file path."""
    from spectral_inr.data import bikes_path, shepp_logan_3d
    from spectral_inr.signals import load_signal

    if p.source == "phantom":
        return Signal("volume", shepp_logan_3d(p.side)[..., None].astype(np.float32), f"shepp-logan-{p.side}")
    path = bikes_path(data_dir=root) if p.source == "bikes" else p.source
    return load_signal(path, frames=p.frames, resize=p.resize, kind=p.kind)


def method_fitter(p, method: str, signal: Signal, batch_size: int):
    """Every method at the protocol's width and depth, except TUNER: its own one bounded layer of as many
    integer frequencies as fit below the per-axis bandlimit (``recipes.signal``)."""
    if method == "tuner":
        return recipes.fitter(method, signal, bandlimit=p.tuner_bandlimit, batch_size=batch_size, shuffle="uniform")
    return recipes.fitter(method, signal, width=p.width, depth=p.depth, batch_size=batch_size, shuffle="uniform")


def run_method(p, method: str, signal: Signal):
    batch = p.batch_size(signal.size)
    fitter = method_fitter(p, method, signal, batch)
    lr = p.lr or SIGNAL_MODELS[method].lr
    members = [{"lr": lr, "omega0": OMEGA0, "seed": s} for s in range(p.seeds)]
    result = sweep(fitter, signal.coords(), signal.targets(), members, p.steps, chunk=min(CHUNK, p.steps))
    scores = evaluation.evaluate(fitter, result, signal)
    curves = scores.pop("_curves", {})
    record = {"members": result.members, "diverged": result.diverged, "seconds": result.seconds,
              "batch_size": batch, "lr": lr,
              "samples_per_second": p.steps * batch * len(members) / max(result.seconds, 1e-9),
              "loss_every_10": np.asarray(result.history["loss"])[:, ::10].tolist(),
              "curves": {k: np.asarray(v).tolist() for k, v in curves.items()}}
    record.update({k: scores[k] for k in SCALARS if k in scores})
    record["parameters"] = int(sum(np.prod(x.shape[1:]) for x in jax.tree_util.tree_leaves(result.state.params)))
    if method == "tuner":
        encoding = fitter.model_fn({}).layers[0]
        record["bandlimit"] = list(np.atleast_1d(recipes.signal.tuner_bandlimit(signal, p.tuner_bandlimit)).tolist())
        record["n_frequencies"] = len(encoding.frequencies)
    best = int(np.nanargmax(scores["psnr"]))
    preview = evaluation.reconstruct(fitter, result, signal, best)
    return record, preview


def run(p, data_root=None, partial=None, out=None):
    """``(payload, arrays)``: every method of ``p``; ``partial`` writes what finished after each method
    (``out``, the results folder :func:`experiments.common.main` passes, is not needed)."""
    p.checks()
    signal = load(p, data_root)
    per_method, previews = {}, {}
    for method in p.methods:
        per_method[method], previews[method] = run_method(p, method, signal)
        r = per_method[method]
        print(f"{method}: " + ", ".join(f"{k} {mean_std(r[k])}" for k in SCALARS if k in r)
              + f" ({r['seconds']:.0f} s)", flush=True)
        payload = {"config": dataclasses.asdict(p), "signal": {"path": signal.path, "kind": signal.kind,
                                                               "shape": list(signal.values.shape)},
                   "methods": dict(per_method), "method_order": list(per_method),
                   "complete": len(per_method) == len(p.methods)}
        arrays = {"target": signal.values, "previews": dict(previews), "kind": signal.kind}
        if partial is not None and not payload["complete"]:
            partial(payload, arrays)
    return payload, arrays


def markdown(payload: dict, title: str) -> str:
    c, sig = payload["config"], payload["signal"]
    methods = {m: payload["methods"][m] for m in payload["method_order"]}
    kind = sig["kind"]
    cols = ["psnr", "ssim", "gradient_psnr"] if kind == "video" else ["psnr", "ssim"]
    names = {"psnr": "PSNR", "ssim": "SSIM" if kind == "video" else "SSIM (mean over axis-0 slices)",
             "gradient_psnr": "spatial grad PSNR"}
    rows = []
    for m, r in methods.items():
        curve = r["curves"].get("psnr_per_frame") or r["curves"].get("psnr_per_slice") or []
        if m == "tuner" and "bandlimit" in r:
            m = f"tuner (bandlimit {tuple(r['bandlimit'])}, {r['n_frequencies']} frequencies)"
        worst = f"{np.min(np.mean(curve, axis=0)):.2f}" if len(curve) else "—"
        rows.append([m] + [mean_std(r.get(k, []), digits=4 if k == "ssim" else 2) for k in cols]
                    + [worst, f"{r['parameters']:,}" if "parameters" in r else "—", f"{r['samples_per_second']:,.0f}",
                       f"{r['seconds']:.0f}"])
    unit = "frame" if kind == "video" else "slice"
    shape = "×".join(map(str, sig["shape"]))
    text = (protocol_heading(title, "fields3d", c) + ".\n\n"
            f"Signal `{sig['path']}`, {kind} {shape}; {c['steps']} steps of minibatches drawn uniformly with "
            f"replacement (SIREN's video protocol), {c['seeds']} seeds. SIREN, FINER and SIREN²: {c['depth']} sine "
            f"layers × {c['width']}; TUNER: one bounded sine layer on integer frequencies of the 3-D lattice below "
            f"the per-axis bandlimit " + (str(tuple(c['tuner_bandlimit'])) if c["tuner_bandlimit"] else
                                          "(n_i // 6 per axis)")
            + ". Learning rates: " + ", ".join(f"{m} {r['lr']:g}" for m, r in methods.items())
            + f". PSNR over the whole signal; worst {unit}: the lowest per-{unit} PSNR (mean over seeds). "
            "Mean ± std over seeds.\n\n"
            + markdown_table(["method"] + [names[k] for k in cols] + [f"worst {unit} PSNR", "parameters", "samples/s (compile included)", "seconds"],
                             rows))
    return text


def figures(payload: dict, arrays=None) -> dict:
    """Training curves and the per-frame/slice PSNR from the payload; reconstructions from ``arrays``."""
    import matplotlib.pyplot as plt

    from spectral_inr import report

    methods = {m: payload["methods"][m] for m in payload["method_order"]}
    figs = {}
    fig, (ax_l, ax_c) = plt.subplots(1, 2, figsize=(10, 3.5))
    for m, r in methods.items():
        loss = np.asarray(r["loss_every_10"], np.float64)
        ax_l.plot(np.arange(loss.shape[1]) * 10, np.nanmean(psnr_from_mse(loss), axis=0), label=m)
        curve = r["curves"].get("psnr_per_frame") or r["curves"].get("psnr_per_slice")
        if curve:
            ax_c.plot(np.mean(curve, axis=0), label=m)
    unit = "frame" if payload["signal"]["kind"] == "video" else "slice"
    ax_l.set(xlabel="step", ylabel="minibatch PSNR (dB)", title="training")
    ax_c.set(xlabel=unit, ylabel="PSNR (dB)", title=f"PSNR per {unit}")
    ax_l.legend(fontsize=7)
    figs["curves"] = fig
    if arrays is not None:
        target, previews = arrays["target"], arrays["previews"]
        best = max(previews, key=lambda m: np.nanmean(methods[m]["psnr"]))
        figs["comparison"] = report.plot_comparison(target, previews[best], f"{best} (best mean PSNR)",
                                                    kind=arrays["kind"])
        figs["spectrum"] = report.plot_spectrum(target, previews[best], arrays["kind"])
        if "tuner" in previews and best != "tuner":
            figs["comparison-tuner"] = report.plot_comparison(target, previews["tuner"], "tuner",
                                                              kind=arrays["kind"])
    return figs


def report(payload: dict, arrays=None):
    """``(markdown, figures)`` of exp-video or exp-volume (titled by the signal's kind)."""
    return markdown(payload, f"exp-{payload['signal']['kind']}"), figures(payload, arrays)


def main(name: str, profiles: dict, description: str, argv=None):
    """``exp-<name>``: :func:`run` then :func:`report` through :func:`experiments.common.main`."""
    return common.main(name, profiles, run, report, argv, description=description, files=True)
