"""exp-depth: SIREN, TUNER and FINER with 1–4 hidden layers at a fixed parameter budget (TUNER's open question 1).

The study is data: :mod:`spectral_inr.protocols.depth` (the budget and width rule, TUNER's
bound past the first hidden layer and its alternative, the Kodak and audio protocols it
derives from); :mod:`spectral_inr.recipes.depth` builds the fitters.  Per signal, every
(method, hidden layers) is one vmapped sweep over images × seeds (Kodak) or seeds (audio),
fitted on 95 % of the pixels/samples (TUNER's random split, seed 0):

* PSNR on the fitted 95 % (train) and on the 5 % held out (test);
* gradient PSNR: images, TUNER's official convention on the full image
  (``metrics.gradient_psnr(..., convention="tuner")``), and ours on the test pixels;
  audio, :func:`derivative_psnr` (the same normalised-magnitude PSNR in 1-D);
* high-band ratio: the reconstruction's spectral energy above half the Nyquist limit of
  the sampling grid over the target's (< 1: detail missing, > 1: excess high frequencies);
* TUNER only: its spectrum on one period (:func:`tuner_spectrum`) and its weights against
  the bounds (:func:`bound_stats`).

``run`` writes ``results/depth-<profile>.json`` after every (method, depth) (a stopped run
keeps what finished); ``report`` writes the Markdown and the figure from the JSON alone.
"""
from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np

from experiments import common
from experiments.formatting import mean_std
from experiments.tables import depth as tables
from spectral_inr import evaluation, metrics, protocols
from spectral_inr.data import train_test_split
from spectral_inr.models import tuner_frequencies
from spectral_inr.models.layers import SineLayer
from spectral_inr.models.mlp import SinusoidalMLP
from spectral_inr.protocols.depth import SIGNALS
from spectral_inr.recipes import depth as recipe
from spectral_inr.spectral import tuner_spectrum_check
from spectral_inr.spectral.tuner_expansion import multi_indices, periodic_grid
from spectral_inr.train import sweep

CHUNK = 100
CHECK_KEYS = ("energy_fraction", "bins_fraction", "relative_error", "bound_holds", "max_bound_ratio")


# --- signals ------------------------------------------------------------------------------------
def load_signals(study, root) -> dict:
    """``{"kodak": [images], "audio": clip}`` from the study's base protocols."""
    from experiments import audio, kodak

    return {"kodak": kodak.load_images(study.kodak, root), "audio": audio.load_clips(study.audio, root)[0]}


# --- metrics ------------------------------------------------------------------------------------
def derivative_psnr(pred_derivative, target) -> float:
    """1-D gradient PSNR: ``p = |f'|/max|f'|`` (the network's derivative), ``g = |t'|/max|t'|`` (central
    differences of the target, ``np.gradient``), ``10·log10(1/mean((p − g)²))`` over every sample — the
    image metric's normalised magnitudes (``convention="ours"``) on a line."""
    g = np.abs(np.gradient(np.asarray(target, np.float64).reshape(-1)))
    p = np.abs(np.asarray(pred_derivative, np.float64).reshape(-1))
    g, p = g / max(g.max(), 1e-30), p / max(p.max(), 1e-30)
    return float(metrics.psnr_from_mse(np.mean((p - g) ** 2), floor=0))


def high_band_ratio(pred, target) -> float:
    """Spectral energy above half the grid's Nyquist limit (on any axis), prediction over target, DC and
    channels' means removed; ``pred``/``target`` shaped ``(*grid, C)``."""
    axes = tuple(range(pred.ndim - 1))

    def high(x):
        x = np.asarray(x, np.float64)
        e = np.abs(np.fft.fftn(x - x.mean(axis=axes), axes=axes)) ** 2
        freq = np.meshgrid(*[np.abs(np.fft.fftfreq(n)) for n in x.shape[:-1]], indexing="ij")
        return float(e[np.any([f > 0.25 for f in freq], axis=0)].sum())

    return high(pred) / max(high(target), 1e-30)


def _member(tree, i):
    return jax.tree_util.tree_map(lambda x: x[i], tree)


def _hp(result):
    return evaluation._hp(result)   # the members' hp exactly as the sweep traced them


def audio_derivatives(fitter, result, clip) -> np.ndarray:
    """``(K, n)``: each member's ``df/dx`` on the clip's grid in per-sample units (``× 2/(n − 1)``)."""
    x = jnp.asarray(clip.coords())

    def one(p, ms, hp):
        model = fitter.model_fn(hp)
        f = lambda x: model.apply({"params": p, **ms}, x)[:, 0]
        return jax.jvp(f, (x,), (jnp.ones_like(x),))[1]

    d = jax.jit(jax.vmap(one))(result.state.params, result.state.model_state, _hp(result))
    return np.asarray(d) * 2.0 / max(clip.shape[0] - 1, 1)


# --- TUNER's spectrum and bounds ----------------------------------------------------------------
def one_layer_support(frequencies, order: int, n: int) -> np.ndarray:
    """Bins of an ``n^d`` period grid hit by ``±Σ_j k_j κ_j``, ``|k|₁ ≤ order`` (the frequencies a one-hidden-
    layer TUNER on the input frequencies ``κ_j`` generates up to that order, :func:`multi_indices`)."""
    kappa = np.asarray(frequencies, np.int64)
    index, orders = multi_indices(kappa.shape[0], order)
    freq = np.einsum("ts,tsd->td", orders, kappa[index])
    mask = np.zeros((n,) * kappa.shape[1], bool)
    for sign in (1, -1):
        mask[tuple((sign * freq % n).T)] = True
    return mask


def tuner_spectrum(model, params, n: int, order: int) -> dict:
    """TUNER's output on one period (``n`` samples per axis, every channel): the share of its spectral
    energy (DC left out) on the one-hidden-layer support of order ``order`` and outside the box of its
    input frequencies (``|n_i| > max_j |κ_ji|``: frequencies only compositions make)."""
    enc = model.layers[0]
    d = len(enc.frequencies[0])
    grid = jnp.asarray(periodic_grid(n, enc.period, d).reshape(-1, d))
    out = np.asarray(jax.jit(model.apply)({"params": params}, grid), np.float64)
    spec = np.fft.fftn(out.reshape((n,) * d + (out.shape[-1],)), axes=tuple(range(d)))
    energy = (np.abs(spec) ** 2).sum(-1)
    energy[(0,) * d] = 0.0
    total = max(energy.sum(), 1e-300)
    box = np.abs(np.asarray(enc.frequencies)).max(axis=0)
    idx = np.meshgrid(*[np.abs(np.fft.fftfreq(n, 1.0 / n)) for _ in range(d)], indexing="ij")
    outside = np.any([i > b for i, b in zip(idx, box)], axis=0)
    return {"energy_on_one_layer_support": float(energy[one_layer_support(enc.frequencies, order, n)].sum() / total),
            "energy_outside_input_box": float(energy[outside].sum() / total)}


def spectrum_check(model, params, n: int, order: int) -> dict:
    """``tuner_spectrum_check`` (channel 0) on a one-hidden-layer TUNER; on a deeper one, on its first hidden
    layer as the second sees it: the encoding, the first hidden layer and the second layer's affine map as a
    linear readout (its channel 0 is the second layer's first pre-activation over ω_G)."""
    layers = list(model.layers)
    hidden = sum(1 for layer in layers if isinstance(layer, SineLayer) and layer.omega is not None)
    if hidden > 1:
        model = SinusoidalMLP((layers[0], layers[1], SineLayer(layers[2].features, None)))
        params = {k: params[k] for k in ("layers_0", "layers_1", "layers_2")}
    chk = tuner_spectrum_check(model, {"params": params}, n=n, max_order=order)
    return {k: (bool(chk[k]) if k == "bound_holds" else float(chk[k])) for k in CHECK_KEYS}


def bound_stats(model, params, bounds) -> dict:
    """The trained weights against the bounds ``(c_low, c_high, c_deep or None)``: the first hidden layer's
    largest ``|ω_G·W_ij|/c_j``; past it, the largest ``|ω_G·W|`` per layer and the share of entries at
    ``≥ 0.99·c_deep`` (the bound the unbounded variant is measured against)."""
    enc = model.layers[0]
    hidden = [i for i, layer in enumerate(model.layers) if isinstance(layer, SineLayer) and layer.omega is not None]
    omega = float(model.layers[hidden[0]].omega)
    rows = tuner_frequencies.row_bounds(enc.frequencies, enc.low_limit, bounds[0], bounds[1])
    first = np.abs(omega * np.asarray(params[f"layers_{hidden[0]}"]["kernel"]))
    out = {"first_layer_max_ratio": float((first / np.asarray(rows)[:, None]).max())}
    deep = [np.abs(omega * np.asarray(params[f"layers_{i}"]["kernel"])) for i in hidden[1:]]
    if deep:
        c = bounds[2] if bounds[2] is not None else protocols.tuner.C_DEEP
        out["deep_max"] = [float(w.max()) for w in deep]
        out["deep_at_bound"] = float(np.mean(np.concatenate([w.ravel() for w in deep]) >= 0.99 * c))
    return out


def tuner_record(study, signal_name, method, fitter, result, signal) -> dict:
    """Spectrum and bound statistics of every member, and ``tuner_spectrum_check`` of member 0."""
    model = fitter.model_fn({})
    n = round(max(signal.shape) * model.layers[0].period / 2)   # the signal's spacing
    params = result.state.params
    members = [_member(params, i) for i in range(len(result.members))]
    spectra = [tuner_spectrum(model, p, n, study.spectrum_order) for p in members]
    bounds = recipe.clamp_bounds(study, signal_name, method)
    stats = [bound_stats(model, p, bounds) for p in members]
    rec = {"period_grid": n, "spectrum_order": study.spectrum_order,
           "check": spectrum_check(model, members[0], n, study.spectrum_order),
           "check_on": "whole network" if len(stats[0]) == 1 else "first hidden layer, read by the second"}
    for key in spectra[0]:
        rec[key] = [s[key] for s in spectra]
    for key in stats[0]:
        rec[key] = [s[key] for s in stats]
    return rec


# --- the fits -----------------------------------------------------------------------------------
def run_kodak(study, method, hidden, images, split) -> dict:
    p = study.kodak
    fitter, hp = recipe.fitter(study, "kodak", method, hidden, images[0])
    members, targets, signals = [], [], []
    for index, img in zip(p.images, images):
        for seed in range(p.seeds):
            members.append({**hp, "seed": seed, "image": index})
            targets.append(img.targets()[split[0]])
            signals.append(img)
    coords = images[0].coords()[split[0]]
    steps = p.steps(len(coords))
    result = sweep(fitter, coords, np.stack(targets), members, steps, chunk=min(CHUNK, steps), member_targets=True)
    scores = evaluation.evaluate(fitter, result, signals, split=split, tuner_metric=True)
    preds = scores.pop("_predictions")
    rec = {"psnr_train": scores["psnr_train"], "psnr_test": scores["psnr_test"],
           "gradient_psnr": scores["gradient_psnr_tuner"], "gradient_psnr_test_ours": scores["gradient_psnr_test"],
           "ssim": scores["ssim"], "high_band_ratio": [high_band_ratio(x, s.values) for x, s in zip(preds, signals)]}
    return _finish(study, "kodak", method, hidden, fitter, result, rec, images[0], steps)


def run_audio(study, method, hidden, clip, split) -> dict:
    p = study.audio
    fitter, hp = recipe.fitter(study, "audio", method, hidden, clip)
    members = [{**hp, "seed": seed} for seed in range(p.seeds)]
    train, test = split
    steps = p.steps * fitter.num_batches(len(train))
    result = sweep(fitter, clip.coords()[train], clip.targets()[train], members, steps, chunk=min(CHUNK, steps))
    preds = evaluation.predict_members(fitter, result, clip)
    t = clip.values
    rec = {"psnr_train": [float(metrics.waveform_psnr(x[train], t[train])) for x in preds],
           "psnr_test": [float(metrics.waveform_psnr(x[test], t[test])) for x in preds],
           "gradient_psnr": [derivative_psnr(d, t) for d in audio_derivatives(fitter, result, clip)],
           "high_band_ratio": [high_band_ratio(x, t) for x in preds]}
    return _finish(study, "audio", method, hidden, fitter, result, rec, clip, steps)


def _finish(study, signal_name, method, hidden, fitter, result, rec, signal, steps) -> dict:
    params = jax.tree_util.tree_leaves(result.state.params)
    rec.update(method=method, hidden=hidden, width=study.width(signal_name, method, hidden),
               parameters=int(sum(np.prod(x.shape[1:]) for x in params)), budget=study.budget(signal_name),
               steps=steps, members=result.members, diverged=result.diverged, seconds=result.seconds,
               final_loss=np.asarray(result.history["loss"])[:, -1].tolist())
    if recipe.is_tuner(method):
        rec["tuner"] = tuner_record(study, signal_name, method, fitter, result, signal)
    return rec


#: the study fields each signal's records depend on (a record is reused by ``--resume`` when they match)
RECORD_FIELDS = {"kodak": ("kodak", "tolerance", "spectrum_order"),
                 "audio": ("audio", "tolerance", "spectrum_order", "audio_test_fraction", "audio_tuner_frequencies",
                           "audio_tuner_lr")}


def reusable(previous: dict | None, config: dict) -> dict:
    """``{signal: {run key: record}}`` of ``previous`` (a saved payload) whose signal's study fields equal
    ``config``'s (``dataclasses.asdict`` of the study, compared after a JSON round trip)."""
    if not previous:
        return {}
    config = json.loads(json.dumps(config))
    return {s: dict(previous.get("runs", {}).get(s, {})) for s, fields in RECORD_FIELDS.items()
            if all(previous["config"].get(f) == config[f] for f in fields)}


def references(images, clip, splits) -> dict:
    """What a held-out test score is worth: each held-out pixel/sample linearly interpolated from the fitted
    ones (``scipy.interpolate.griddata`` on the image, ``np.interp`` on the clip), predicting silence, and
    the clip's share of spectral energy above half its Nyquist limit."""
    from scipy.interpolate import griddata

    train, test = splits["kodak"]
    coords = images[0].coords()
    kodak = [float(metrics.psnr(np.clip(griddata(coords[train], img.targets()[train], coords[test], "linear"), 0, 1),
                                img.targets()[test])) for img in images]
    train, test = (np.sort(i) for i in splits["audio"])
    t = clip.values[:, 0]
    energy = np.abs(np.fft.rfft(t - t.mean())) ** 2
    return {"kodak": {"linear_interpolation_psnr_test": kodak},
            "audio": {"linear_interpolation_psnr_test": float(metrics.waveform_psnr(np.interp(test, train, t[train]),
                                                                                    t[test])),
                      "silence_psnr_test": float(metrics.waveform_psnr(np.zeros_like(t[test]), t[test])),
                      "energy_above_half_nyquist": float(energy[len(energy) // 2:].sum() / energy.sum())}}


def run(study, data_root=None, partial=None, out=None, signals=None, args=None, previous=None):
    """``payload``: every (method, hidden layers) of ``study.runs()`` on Kodak, then on the audio clip.
    ``signals`` (``{"kodak": [images], "audio": clip}``) replaces loading the data (tests);
    ``partial(payload)`` writes what finished after every fit; ``previous`` (or, with ``--resume``, the
    saved ``<out>/depth-<profile>.json``) lends the records whose signal's settings are unchanged."""
    if previous is None and args is not None and args.resume and out is not None:
        path = out / f"depth-{args.profile}.json"
        previous = json.loads(path.read_text()) if path.exists() else None
    config = dataclasses.asdict(study)
    reused = reusable(previous, config)
    signals = signals or load_signals(study, data_root)
    images, clip = signals["kodak"], signals["audio"]
    h, w = images[0].shape
    splits = {"kodak": train_test_split(h * w, test_fraction=study.kodak.test_fraction, seed=0),
              "audio": train_test_split(clip.shape[0], test_fraction=study.audio_test_fraction, seed=0)}
    base = {"config": config,
            "signals": {"kodak": [img.path for img in images], "audio": clip.path,
                        "audio_samples": clip.shape[0], "kodak_shape": [h, w]},
            "budgets": {s: study.budget(s) for s in SIGNALS},
            "references": references(images, clip, splits)}
    records = {s: {} for s in SIGNALS}
    todo = [(s, m, k) for s in SIGNALS for m, k in study.runs()]
    kept = {s: [] for s in SIGNALS}
    payload = {}
    for signal_name, method, hidden in todo:
        key = f"{method}/{hidden}"
        if key in reused.get(signal_name, {}):
            rec = reused[signal_name][key]
            kept[signal_name].append(key)
        elif signal_name == "kodak":
            rec = run_kodak(study, method, hidden, images, splits["kodak"])
        else:
            rec = run_audio(study, method, hidden, clip, splits["audio"])
        records[signal_name][key] = rec
        print(f"{signal_name} {method} ×{hidden} (width {rec['width']}, {rec['parameters']:,} params): "
              f"PSNR train {mean_std(rec['psnr_train'])}, test {mean_std(rec['psnr_test'])}, "
              f"grad {mean_std(rec['gradient_psnr'])} ({rec['seconds']:.0f} s"
              + (", reused)" if key in kept[signal_name] else ")"), flush=True)
        done = sum(len(r) for r in records.values())
        payload = {**base, "runs": {s: dict(r) for s, r in records.items()}, "complete": done == len(todo)}
        if any(kept.values()):
            payload["reused"] = {"runs": {s: list(k) for s, k in kept.items() if k},
                                 "from_run_seconds": previous.get("seconds")}
        if partial is not None and not payload["complete"]:
            partial(payload)
    return payload


def _flags(parser):
    parser.add_argument("--resume", action="store_true",
                        help="reuse the records of <out>/depth-<profile>.json whose signal's settings are unchanged "
                             "(a stopped run, or a run whose other signal changed)")


# --- report -------------------------------------------------------------------------------------
def report(payload: dict, arrays=None):
    """``(markdown, {"psnr": figure})`` from the payload alone."""
    return tables.markdown(payload), {"psnr": figure(payload)}


def figure(payload: dict):
    """PSNR (test) and gradient PSNR against hidden layers, one line per method, per signal."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    for col, signal_name in enumerate(SIGNALS):
        runs = payload["runs"].get(signal_name, {})
        for row, (key, label) in enumerate((("psnr_test", "test PSNR (dB)"),
                                            ("gradient_psnr", "gradient PSNR (dB)"))):
            ax = axes[row, col]
            for method in tables.method_order(payload):
                pts = sorted((r["hidden"], r[key]) for r in runs.values() if r["method"] == method)
                if not pts:
                    continue
                x = [h for h, _ in pts]
                y = [np.nanmean(v) for _, v in pts]
                e = [np.nanstd(v) for _, v in pts]
                ax.errorbar(x, y, yerr=e, marker="o", capsize=3, label=method,
                            linestyle="--" if method in protocols.depth.VARIANTS else "-")
            ref = payload.get("references", {}).get(signal_name, {}).get("linear_interpolation_psnr_test")
            if key == "psnr_test" and ref is not None:
                ax.axhline(float(np.mean(ref)), color="gray", linestyle=":", label="linear interpolation")
            ax.set(xlabel="hidden layers", ylabel=label, title=f"{signal_name}: {label}")
            ax.set_xticks(payload["config"]["hidden_layers"])
            ax.grid(alpha=0.3)
        if axes[0, col].get_legend_handles_labels()[0]:
            axes[0, col].legend(fontsize=7)
    fig.tight_layout()
    return fig


def main(argv=None):
    return common.main("depth", protocols.DEPTH, run, report, argv, description=__doc__.splitlines()[0],
                       extra=_flags, files=True)


if __name__ == "__main__":
    main()
