"""exp-poisson: an image from its gradient or from its Laplacian — SIREN vs TUNER vs FINER vs SIREN².

Protocols: :mod:`spectral_inr.protocols.poisson` (``paper``: SIREN's Poisson scripts, for a GPU;
``quick``: three gray 128² images on this CPU).  For each supervision and method, the images ×
seeds are one vmapped sweep (``member_targets``); every member is scored by
:func:`spectral_inr.poisson.evaluate`: PSNR after the best constant offset, gradient PSNR, the SNR
of the network's gradient and Laplacian against the Poisson targets, and the error by radial band
(edges: TUNER's low block and bandlimit, :func:`spectral_inr.poisson.tuner_band_edges`).
``results/poisson-<profile>.json`` is rewritten after every (supervision, method).
"""
from __future__ import annotations

import dataclasses

import jax
import numpy as np

from experiments import common
from experiments.formatting import markdown_table, mean_std, protocol_heading
from spectral_inr import poisson, protocols
from spectral_inr.models import siren2_noise_scales
from spectral_inr.protocols.cli import OMEGA0
from spectral_inr.signals import Signal
from spectral_inr.train import default_optimizer, sweep

CHUNK = 50
SCALARS = ("psnr_offset", "ssim_offset", "gradient_psnr", "gradient_snr", "laplacian_snr")
BAND_NAMES = ("low", "mid", "high")
LABELS = {"siren": "SIREN", "tuner": "TUNER", "finer": "FINER", "siren2": "SIREN²", "tuner-free": "TUNER, no bounds"}


def load(p, root) -> list[Signal]:
    """The protocol's images, ``(side, side, 1)`` gray (or RGB) in [0, 1]: the bundled cameraman, then Kodak."""
    from spectral_inr.data import load_kodak
    from spectral_inr.signals import load_signal

    side = (p.side, p.side)
    out = []
    if p.cameraman:
        cam = load_signal(resize=side).values   # the bundled 256² gray asset
        out.append(Signal("image", cam if p.gray or cam.shape[-1] == 3 else np.repeat(cam, 3, -1), "cameraman"))
    for i in p.kodak:
        values = load_kodak(i, data_dir=root, crop=(p.kodak_crop,) * 2, resize=side, mode="gray" if p.gray else "rgb")
        out.append(Signal("image", values.astype(np.float32), f"kodim{i:02d}"))
    return out


def method_fitter(p, method: str, image: Signal, supervise: str):
    """Every method at the protocol's width and depth; TUNER at its own (``tuner_width``/``tuner_depth``),
    ``tuner-free`` the same TUNER network trained by plain Adam (no bound projection)."""
    if method in ("tuner", "tuner-free"):
        f = poisson.fitter("tuner", image, supervise, width=p.tuner_width, depth=p.tuner_depth)
        return dataclasses.replace(f, optimizer_fn=default_optimizer) if method == "tuner-free" else f
    return poisson.fitter(method, image, supervise, width=p.width, depth=p.depth)


def _radial(a):
    """Mean DFT power per integer radius (cycles across the image) of a square ``(n, n)`` array."""
    n = a.shape[0]
    k = np.fft.fftfreq(n) * n
    r = np.rint(np.hypot(*np.meshgrid(k, k, indexing="ij"))).astype(int).ravel()
    keep = r <= n // 2
    power = np.abs(np.fft.fft2(a)).ravel() ** 2
    return np.bincount(r[keep], power[keep], n // 2 + 1) / np.bincount(r[keep], minlength=n // 2 + 1)


def run_one(p, method, supervise, images):
    fitter = method_fitter(p, method, images[0], supervise)
    members, targets, signals = [], [], []
    for index, img in enumerate(images):
        hp = {"lr": p.lr, "omega0": OMEGA0, "image": index}
        if method == "siren2":   # SIREN²'s noise scales from each image (a sweep over signals: per member)
            hp["s0"], hp["s1"] = siren2_noise_scales(img.values, "image")
        t = poisson.targets(img, supervise)
        for seed in range(p.seeds):
            members.append({**hp, "seed": seed})
            targets.append(t)
            signals.append(img)
    result = sweep(fitter, images[0].coords(), np.stack(targets), members, p.steps, chunk=min(CHUNK, p.steps),
                   member_targets=True)
    scores = poisson.evaluate(fitter, result, signals, edges=poisson.tuner_band_edges((p.side, p.side)))
    recovered = scores.pop("_recovered")
    record = {"members": result.members, "diverged": result.diverged, "seconds": result.seconds,
              "loss_every_10": np.asarray(result.history["loss"])[:, ::10].tolist(),
              "parameters": int(sum(np.prod(x.shape[1:]) for x in jax.tree_util.tree_leaves(result.state.params)))}
    record.update({k: scores[k] for k in SCALARS + ("band_snr", "band_error_share") if k in scores})
    # radial power of each member's error and of its image (DC dropped by the offset): the error spectrum figure
    record["error_radial"] = [_radial((r - s.values)[..., 0] if r.shape[-1] == 1 else (r - s.values).mean(-1)).tolist()
                              for r, s in zip(recovered, signals)]
    if method.startswith("tuner"):
        encoding = fitter.model_fn({}).layers[0]
        record["n_frequencies"] = len(encoding.frequencies)
    first = {"recovered": recovered[0], "jacobian": scores["_jacobian"][0], "laplacian": scores["_laplacian"][0]}
    return record, first, [recovered[i * p.seeds] for i in range(len(images))]


def run(p, data_root=None, partial=None, out=None):
    """``(payload, arrays)``: every supervision × method of ``p``; ``partial`` writes what finished so far."""
    p.checks()
    images = load(p, data_root)
    edges = poisson.tuner_band_edges((p.side, p.side))
    results: dict = {}
    arrays = {"images": {s.path: s.values for s in images}, "first": {}, "recovered": {}}
    total = len(p.supervise) * len(p.methods)
    for supervise in p.supervise:
        for method in p.methods:
            record, first, recs = run_one(p, method, supervise, images)
            results.setdefault(supervise, {})[method] = record
            arrays["first"][(supervise, method)] = first
            arrays["recovered"][(supervise, method)] = recs
            print(f"{supervise} {method}: " + ", ".join(f"{k} {mean_std(record[k])}" for k in SCALARS[:3])
                  + f", band SNR {np.round(np.mean(record['band_snr'], 0), 2).tolist()} ({record['seconds']:.0f} s)",
                  flush=True)
            done = sum(len(v) for v in results.values())
            payload = {"config": dataclasses.asdict(p), "images": [{"name": s.path, "shape": list(s.values.shape)}
                                                                   for s in images],
                       "band_edges": list(edges), "band_names": list(BAND_NAMES),
                       "results": {s: dict(m) for s, m in results.items()}, "complete": done == total}
            if partial is not None and not payload["complete"]:
                partial(payload, arrays)
    return payload, arrays


# --- report ---------------------------------------------------------------------------------
def _band_cells(r):
    bands = np.asarray(r["band_snr"], np.float64)
    return [mean_std(bands[:, b]) for b in range(bands.shape[1])]


def edges_text(payload) -> str:
    n = payload["images"][0]["shape"][0]
    lo, hi = (e * n / 2 for e in payload["band_edges"])
    return (f"low: radius below {lo:.1f} cycles across the image (TUNER's low block |k|∞ ≤ l, l = B // 3); mid: up to "
            f"{hi:.1f} cycles (its bandlimit B = {n} // 6); high: above, to Nyquist ({n // 2} cycles) and the corners")


def _methods(payload, supervise):
    """``(method, record)`` in the protocol's order (the JSON's keys come back sorted)."""
    res = payload["results"][supervise]
    return [(m, res[m]) for m in payload["config"]["methods"] if m in res]


def table(payload, supervise) -> str:
    rows = []
    for m, r in _methods(payload, supervise):
        rows.append([LABELS.get(m, m)] + [mean_std(r[k], 3 if k == "ssim_offset" else 2) for k in SCALARS]
                    + _band_cells(r) + [f"{r['parameters']:,}", f"{r['seconds']:.0f}"])
    return markdown_table(["method", "PSNR (offset)", "SSIM (offset)", "grad PSNR", "∇ SNR", "Δ SNR",
                           "band SNR low", "band SNR mid", "band SNR high", "parameters", "seconds"], rows)


def per_image(payload, supervise) -> str:
    names = [im["name"] for im in payload["images"]]
    rows = []
    for m, r in _methods(payload, supervise):
        by = {}
        for member, v in zip(r["members"], r["psnr_offset"]):
            by.setdefault(member["image"], []).append(v)
        rows.append([LABELS.get(m, m)] + [mean_std(by[i]) for i in range(len(names))])
    return markdown_table(["method"] + [f"{n} PSNR (offset)" for n in names], rows)


def markdown(payload) -> str:
    c = payload["config"]
    names = ", ".join(im["name"] for im in payload["images"])
    text = (protocol_heading("exp-poisson", "poisson", c) + ".\n\n"
            f"Images {names} at {c['side']}², {'gray' if c['gray'] else 'RGB'}; {c['steps']} whole-image Adam steps at "
            f"lr {c['lr']:g}, {c['seeds']} seeds. SIREN, FINER, SIREN²: {c['depth']} sine layers × {c['width']}; TUNER: "
            f"{c['tuner_width'] or 'its default'} integer frequencies below its bandlimit, then "
            f"{c['tuner_depth'] or 1} bounded layer(s); 'TUNER, no bounds': the same network without the bound "
            "projection. Targets: SIREN's Sobel gradient and 5-point Laplacian in coordinate units "
            "(`spectral_inr.poisson.targets`). Mean ± std over images × seeds.\n\n"
            "PSNR (offset): the prediction plus its best constant (per channel) against the image; SSIM likewise, "
            "clipped to [0, 1]; grad PSNR: the library's gradient PSNR (max-normalised magnitudes, BT.601 gray, "
            "reflect-101 Sobel); ∇ SNR, Δ SNR: the network's gradient and Laplacian against the Poisson targets "
            "(what was fitted, and the other one); band SNR: 10·log10 of the image's over the error's DFT energy in "
            f"each radial band, DC excluded — {edges_text(payload)}.\n\n")
    for supervise in payload["results"]:
        text += (f"## From the {supervise}\n\n" + table(payload, supervise) + "\n" + per_image(payload, supervise) + "\n")
    if not payload.get("complete", True):
        text += "_Partial: the run is still going (or was interrupted)._\n"
    return text


def figures(payload, arrays=None) -> dict:
    import matplotlib.pyplot as plt

    from spectral_inr.metrics import psnr_from_mse

    figs = {}
    sups = list(payload["results"])
    fig, axes = plt.subplots(2, len(sups), figsize=(5.5 * len(sups), 7), squeeze=False)
    n = payload["images"][0]["shape"][0]
    for j, s in enumerate(sups):
        for m, r in _methods(payload, s):
            loss = np.asarray(r["loss_every_10"], np.float64)
            axes[0, j].semilogy(np.arange(loss.shape[1]) * 10, np.nanmean(loss, 0), label=LABELS.get(m, m))
            err = np.asarray(r["error_radial"], np.float64)
            axes[1, j].loglog(np.arange(1, err.shape[1]), np.nanmean(err, 0)[1:], label=LABELS.get(m, m))
        for e in payload["band_edges"]:
            axes[1, j].axvline(e * n / 2, color="k", lw=0.6, ls="--")
        axes[0, j].set(xlabel="step", ylabel=f"{s} loss (mean over members)", title=f"from the {s}")
        axes[1, j].set(xlabel="radius (cycles across the image)", ylabel="error power (mean over members)")
        axes[0, j].legend(fontsize=7)
    fig.tight_layout()
    figs["curves"] = fig
    # band SNR bars
    fig, axes = plt.subplots(1, len(sups), figsize=(5.5 * len(sups), 3.4), squeeze=False)
    for j, s in enumerate(sups):
        methods = [m for m, _ in _methods(payload, s)]
        x = np.arange(len(payload["band_names"]))
        for i, m in enumerate(methods):
            b = np.asarray(payload["results"][s][m]["band_snr"], np.float64)
            axes[0, j].bar(x + (i - len(methods) / 2 + 0.5) * 0.8 / len(methods), np.mean(b, 0),
                           0.8 / len(methods), yerr=np.std(b, 0), label=LABELS.get(m, m))
        axes[0, j].set_xticks(x, payload["band_names"])
        axes[0, j].set(ylabel="band SNR (dB)", title=f"from the {s}")
        axes[0, j].legend(fontsize=7)
    fig.tight_layout()
    figs["bands"] = fig
    if arrays is not None:
        names = list(arrays["images"])
        for s in sups:
            methods = [m for m, _ in _methods(payload, s)]
            fig, axes = plt.subplots(len(names), len(methods) + 1, figsize=(2.3 * (len(methods) + 1), 2.4 * len(names)),
                                     squeeze=False)
            for i, name in enumerate(names):
                img = arrays["images"][name]
                axes[i, 0].imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=1)
                axes[i, 0].set_title(name, fontsize=8)
                for j, m in enumerate(methods):
                    rec = arrays["recovered"][(s, m)][i]
                    psnr = float(psnr_from_mse(np.mean((rec - img) ** 2)))
                    rec = np.clip(rec, 0, 1)
                    axes[i, j + 1].imshow(rec[..., 0] if rec.shape[-1] == 1 else rec, cmap="gray", vmin=0, vmax=1)
                    axes[i, j + 1].set_title(f"{LABELS.get(m, m)} {psnr:.1f} dB", fontsize=8)
            for a in axes.ravel():
                a.axis("off")
            fig.suptitle(f"recovered from the {s} (+ best offset, seed 0)", fontsize=9)
            fig.tight_layout()
            figs[f"{s}-reconstructions"] = fig
            for m in ("siren", "tuner"):
                if (s, m) in arrays["first"]:
                    f = arrays["first"][(s, m)]
                    figs[f"{s}-{m}-{names[0]}"] = poisson.figures.plot_reconstruction(
                        arrays["images"][names[0]], f["recovered"], f["jacobian"], f["laplacian"],
                        f"{LABELS[m]} from the {s}: {names[0]}, seed 0", edges=payload["band_edges"])
    return figs


def report(payload, arrays=None):
    return markdown(payload), figures(payload, arrays)


def main(argv=None):
    return common.main("poisson", protocols.POISSON, run, report, argv, description=__doc__.splitlines()[0],
                       files=True)


if __name__ == "__main__":
    main()
