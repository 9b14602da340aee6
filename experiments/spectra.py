"""exp-spectra: activation statistics, layer spectra, spectral bias, TUNER's expansion and NTK spectra.

Data-free: synthetic signals (a chirp, a low+mid+high sine mixture, a periodic
integer-frequency signal) and, in the paper profile, the bundled cameraman.

1. **Activations at init** (SIREN vs SIREN² on a dense 1-D grid, audio-like):
   per-layer pre-/post-activation histograms against N(0, σ²) and the arcsine
   law, KS distances, and per-layer power spectra — one periodogram per neuron,
   then the mean (:func:`neuron_power_spectrum`), next to the spectrum of the
   neurons' sum (:func:`sum_power_spectrum`) to show how much the two differ.
   SIREN² takes its noise scales ``(S0, S1)`` from a synthetic chirp with the
   audio constants; SIREN is shown with ω0 = 30 (SIREN² minus its noise) and
   with the audio first-layer ω0 = 3000.
2. **Spectral bias**: per-band relative error over training
   (:func:`spectral_bias_curve`, engine-trained) for a ReLU MLP on raw
   coordinates, ReLU + low-σ Fourier features, SIREN and TUNER on a 1-D sine
   mixture with one component per band (and the 64×64 cameraman in the paper
   profile); steps to reach 10 % / 1 % error per band.
3. **TUNER's expansion of a trained network**: a one-hidden-layer TUNER trained
   (engine + the bound projection of :func:`spectral_inr.optim.tuner_bounds`)
   on a periodic 1-D signal, then :func:`tuner_spectrum_check` at orders 1…K.
4. **NTK eigen-spectra at init** on a 2-D grid: SIREN vs SIREN² (image
   constants, from the cameraman at the grid's size) vs TUNER, over seeds.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from experiments import common
from experiments.formatting import markdown_table, mean_std
from spectral_inr import models, protocols, recipes, spectral
from spectral_inr.data.grids import coordinate_grid
from spectral_inr.models import activations, initializers, presets
from spectral_inr.models import tuner_frequencies as tfreq
from spectral_inr.models.layers import SineLayer
from spectral_inr.models.mlp import SinusoidalMLP
from spectral_inr.protocols.spectra import SPECTRA, SpectraStudy
from spectral_inr.signals import Signal, load_signal
from spectral_inr.spectral import distributions as dist
from spectral_inr.spectral import plots
from spectral_inr.train import Fitter, fit

OMEGA0 = 30.0
AUDIO_FIRST_OMEGA0 = protocols.SIREN2_AUDIO["official"].siren_first_omega0   # SIREN on audio
BAND_NAMES = ("low", "mid", "high")
BAND_EDGES = (1 / 3, 2 / 3)          # fractions of Nyquist (spectral_bias_curve's default)
THRESHOLDS = (0.1, 0.01)             # relative band error to reach
NTK_TOP = 10                          # tail fraction: share of the trace beyond the 10 largest eigenvalues

# --- helpers ------------------------------------------------------------------------------------
def _f(x):
    """JSON-safe float (NaN/inf → None)."""
    x = float(x)
    return x if math.isfinite(x) else None


def _fl(xs):
    return [_f(v) for v in np.ravel(np.asarray(xs, np.float64))]


def _fmt(x, digits=3):
    return "—" if x is None else f"{x:.{digits}g}"


def relu_mlp(out_features, width, depth):
    """ReLU MLP on raw coordinates: ``SineLayer`` with the ReLU activation, PyTorch init, linear output."""
    layers = [SineLayer(width, 1.0, activations.relu, initializers.torch_default_kernel()) for _ in range(depth)]
    layers.append(SineLayer(out_features, None, kernel_init=initializers.torch_default_kernel()))
    return SinusoidalMLP(tuple(layers))


def chirp(n, f0, f1):
    """Linear chirp over ``n`` samples from ``f0`` to ``f1`` (cycles per sample)."""
    t = np.arange(n, dtype=np.float64)
    return np.sin(2 * np.pi * (f0 * t + 0.5 * (f1 - f0) * t ** 2 / n)).astype(np.float32)


# --- 1. activations and layer spectra at init ---------------------------------------------------------
def activation_models(cfg, scales):
    w, d = cfg.width, cfg.depth
    nets = {
        "siren": models.Siren(1, w, d, omega0=OMEGA0, first_omega0=OMEGA0),
        "siren-audio": models.Siren(1, w, d, omega0=OMEGA0, first_omega0=AUDIO_FIRST_OMEGA0),
        "siren2": models.Siren2(1, w, d, omega0=OMEGA0, first_omega0=OMEGA0, noise_scales=scales),
    }
    return {k: v for k, v in nets.items() if k in (cfg.models or nets)}


def theory_pre_std(name, layer, cfg, scales, first_omega0):
    """RMS of the pre-activation ``ω(xW + b)`` at init.

    Hidden layers (fan-in ``n``, arcsine inputs, ``E x² = ½``): SIREN
    ``σ² = 1 + ω0²/(3n)`` (:func:`siren_preactivation_std`: the PyTorch bias
    ``U(±1/√n)`` is multiplied by ω0); SIREN²'s layer-1 noise ``N(0, (S1/ω0)²)``
    adds ``n·S1²/2``.  Layer 0 (fan-in 1, ``x`` uniform on [−1, 1], ``W ~ U(±1)``
    (+ SIREN² noise ``N(0, (S0/ω0)²)``), ``b ~ U(±1)``): RMS
    ``ω0·√(E W²/3 + 1/3)`` — a product of uniforms, not a Gaussian.
    """
    n = cfg.width
    s0, s1 = scales if name == "siren2" else (0.0, 0.0)
    if layer == 0:
        ew2 = 1.0 / 3.0 + (s0 / OMEGA0) ** 2
        return first_omega0 * math.sqrt(ew2 / 3.0 + 1.0 / 3.0)
    var = dist.siren_preactivation_std(n, OMEGA0) ** 2
    if layer == 1:
        var += n * s1 ** 2 / 2.0
    return math.sqrt(var)


def run_activations(cfg):
    n = cfg.n
    signal = chirp(n, *cfg.chirp)
    scales = models.siren2_noise_scales(signal, "audio")
    sc = models.spectral_centroid(signal)
    x = jnp.asarray(coordinate_grid(n))
    nets = activation_models(cfg, scales)
    first_omega = {"siren": OMEGA0, "siren-audio": AUDIO_FIRST_OMEGA0, "siren2": OMEGA0}
    key = jax.random.PRNGKey(cfg.seed)
    out, acts_all, profiles = {}, {}, {}
    hidden = [f"layers_{i}" for i in range(cfg.depth)]
    for name, net in nets.items():
        variables = jax.jit(net.init)(key, x[:1])
        acts = spectral.layer_activations(net, variables, x)
        acts = {k: {"pre": None if v["pre"] is None else np.asarray(v["pre"]), "post": np.asarray(v["post"])}
                for k, v in acts.items()}
        acts_all[name] = acts
        layers, profiles[name] = {}, {}
        for i, lname in enumerate(acts):
            a = acts[lname]
            _, post_p = spectral.neuron_spectrum_profile(a["post"], (n,))
            sum_p = spectral.radial_profile(spectral.sum_power_spectrum(a["post"], (n,)))[1]
            post_p, sum_p = np.asarray(post_p), np.asarray(sum_p)
            rec = {"post_centroid_bins": _f(spectral.profile_centroid(post_p)),
                   "sum_centroid_bins": _f(spectral.profile_centroid(sum_p)),
                   "sum_over_mean_total_power": _f(sum_p.sum() / post_p.sum()),
                   "median_abs_log10_sum_over_mean": _f(np.median(np.abs(np.log10((sum_p[1:] + 1e-30)
                                                                               / (post_p[1:] + 1e-30))))),
                   # block means over ≤ 256 frequency blocks (the figure uses every bin)
                   "profile_mean_thinned": _fl(thin(post_p)), "profile_sum_thinned": _fl(thin(sum_p))}
            profiles[name][lname] = (post_p, sum_p)
            rec["post_centroid_nyquist"] = _f(rec["post_centroid_bins"] / (n // 2))
            if lname in hidden:
                pre = a["pre"].ravel()
                rms = float(np.sqrt(np.mean(pre.astype(np.float64) ** 2)))
                sig = theory_pre_std(name, i, cfg, scales, first_omega[name])
                rec.update(pre_rms=rms, pre_sigma_theory=sig,
                           ks_post_arcsine=dist.ks_test(a["post"], "arcsine")[0])
                if i >= 1:   # layer 0 has fan-in 1: its pre-activation is not Gaussian by construction
                    rec.update(ks_pre_normal_rms=dist.ks_test(pre, "normal", rms)[0],
                               ks_pre_normal_theory=dist.ks_test(pre, "normal", sig)[0],
                               ks_pre_normal_unit=dist.ks_test(pre, "normal", 1.0)[0])
            layers[lname] = rec
        out[name] = layers
    derived = {"siren_hidden_sigma_theory": dist.siren_preactivation_std(cfg.width, OMEGA0),
               # std of SIREN²'s first-layer frequencies ω0·(noise N(0, (S0/ω0)²)) in cycles over [−1, 1]: 2·S0/(2π)
               "siren2_layer0_freq_std_cycles": float(scales[0] / math.pi),
               "siren2_layer0_freq_std_over_nyquist": float(scales[0] / math.pi / (n // 2))}
    payload = {"config": dataclasses.asdict(cfg), "chirp_spectral_centroid": sc, "siren2_noise_scales": list(scales),
               "first_omega0": first_omega, "layers": out, "derived": derived}
    return payload, acts_all, profiles


def thin(profile, blocks=256):
    """Mean over ``blocks`` contiguous blocks of bins (for the JSON)."""
    p = np.asarray(profile, np.float64)
    if p.size <= blocks:
        return p
    return np.asarray([b.mean() for b in np.array_split(p, blocks)])


def activation_figures(act, acts_all, profiles):
    n, depth = act["config"]["n"], act["config"]["depth"]
    hidden = [f"layers_{i}" for i in range(depth)]
    figs = {}
    for name, acts in acts_all.items():
        fig = plots.plot_activation_histograms(acts, layers=hidden)
        axes = fig.axes   # row-major: (pre, post) per layer
        for i, lname in enumerate(hidden):
            ax = axes[2 * i]
            sig = act["layers"][name][lname]["pre_sigma_theory"]
            if i >= 1:
                z = np.linspace(-4 * sig, 4 * sig, 400)
                ax.plot(z, np.asarray(dist.normal_pdf(z, sig)), "r--", lw=1, label=f"theory N(0, {sig:.2f}²)")
                ax.plot(z, np.asarray(dist.normal_pdf(z, 1.0)), "g:", lw=1, label="paper N(0, 1)")
            ax.legend(fontsize=6)
        fig.suptitle(f"{name} at init ({n}-sample grid)", fontsize=10)
        figs[f"activations-{name}"] = fig

    names = list(acts_all)
    fig = Figure(figsize=(4 * (len(names) + 1), 3.4), layout="constrained")
    axes = fig.subplots(1, len(names) + 1)
    for ax, name in zip(axes, names):
        for lname, (p, _) in profiles[name].items():
            ax.semilogy(np.arange(len(p)) / (n // 2), p + 1e-30, lw=1, label=lname)
        ax.set(title=f"{name}: mean of per-neuron spectra", xlabel="frequency / Nyquist", ylabel="power")
        ax.legend(fontsize=7)
    ax = axes[-1]
    for name, style in zip(names, ("C0", "C1", "C2")):
        p, s = profiles[name]["layers_1"]
        f = np.arange(len(p)) / (n // 2)
        ax.semilogy(f, p + 1e-30, color=style, lw=1.2, label=f"{name}: mean of spectra")
        ax.semilogy(f, s + 1e-30, color=style, lw=0.5, alpha=0.6, label=f"{name}: spectrum of sum")
    ax.set(title="layers_1: mean-of-spectra vs spectrum-of-sum", xlabel="frequency / Nyquist")
    ax.legend(fontsize=6)
    figs["layer-spectra"] = fig
    return figs


# --- 2. spectral bias -----------------------------------------------------------------------------
def mixture_signal(n):
    """One or two unit sines per band (low 0.03/0.1, mid 0.5, high 0.8 of Nyquist), integer bins."""
    fracs = (0.03, 0.1, 0.5, 0.8)
    bins = sorted({max(1, int(round(f * n / 2))) for f in fracs})
    t = np.arange(n)
    rng = np.random.default_rng(0)
    y = sum(np.sin(2 * np.pi * k * t / n + rng.uniform(0, 2 * np.pi)) for k in bins) / len(bins)
    return y.astype(np.float32)[:, None], bins


def bias_fitters(cfg, signal: Signal):
    out, w, d = signal.channels, cfg.width, cfg.depth
    fitters = {
        "relu": Fitter(lambda hp: relu_mlp(out, w, d)),
        "relu+ff": Fitter(lambda hp: models.FourierFeatureMLP(out, w, d, num_features=cfg.ff_features,
                                                              sigma=cfg.ff_sigma)),
        "siren": Fitter(lambda hp: models.Siren(out, w, d, omega0=OMEGA0, first_omega0=OMEGA0)),
        # TUNER through the recipe: bandlimit side//6, one hidden layer, the bound projection in the optimizer
        "tuner": recipes.fitter("tuner", signal, width=cfg.tuner_width),
    }
    return {k: v for k, v in fitters.items() if k in (cfg.models or fitters)}


def steps_to_reach(steps, errors, threshold):
    hit = np.nonzero(np.asarray(errors) <= threshold)[0]
    return int(steps[hit[0]]) if hit.size else None


def run_bias_on(cfg, signal: Signal, steps_total):
    x, y = signal.coords(), signal.targets()
    res = {}
    for name, fitter in bias_fitters(cfg, signal).items():
        curves = []
        with common.Timer() as t:
            for seed in range(cfg.seeds):
                steps, err = spectral.spectral_bias_curve(fitter, {"lr": cfg.lr[name]}, x, y, signal.shape,
                                                          steps_total, cfg.every, BAND_EDGES,
                                                          key=jax.random.PRNGKey(seed))
                curves.append(err)
        curves = np.stack(curves)   # (seeds, R, bands)
        reach = {f"{thr:g}": [[steps_to_reach(steps, c[:, b], thr) for c in curves] for b in range(len(BAND_NAMES))]
                 for thr in THRESHOLDS}
        res[name] = {"lr": cfg.lr[name], "steps": steps.tolist(),
                     "errors": [[_fl(r) for r in c] for c in curves],
                     "final_error": [_fl(c[-1]) for c in curves], "steps_to_reach": reach, "seconds": t.seconds}
        print(f"  bias {signal.path} {name}: final band errors {np.round(curves[:, -1].mean(0), 4)} ({t.seconds:.0f} s)")
    return res


def run_bias(cfg):
    y, bins = mixture_signal(cfg.n)
    signals = {"mixture-1d": (Signal("audio", y, "mixture-1d", cfg.n), cfg.steps)}
    if cfg.image_side:
        side = cfg.image_side
        cam = load_signal(resize=(side, side))
        signals[f"cameraman-{side}"] = (Signal("image", cam.values, f"cameraman-{side}"), cfg.image_steps)
    out = {"config": dataclasses.asdict(cfg), "bands": dict(zip(BAND_NAMES, ("[0, 1/3)", "[1/3, 2/3)", "[2/3, 1]"))),
           "mixture_bins": bins, "signals": {}}
    for sname, (sig, steps) in signals.items():
        energy = np.asarray(spectral.band_energies(sig.values, BAND_EDGES, ndim=len(sig.shape)))
        out["signals"][sname] = {"band_energy": _fl(energy), "steps_total": steps,
                                 "models": run_bias_on(cfg, sig, steps)}
    return out


def bias_figure(bias):
    sigs = list(bias["signals"])
    names = list(bias["signals"][sigs[0]]["models"])
    fig = Figure(figsize=(3.4 * len(names), 2.9 * len(sigs)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(sigs), len(names), squeeze=False))
    for row, sname in zip(axes, sigs):
        for ax, name in zip(row, names):
            rec = bias["signals"][sname]["models"][name]
            err = np.asarray(rec["errors"], np.float64)      # (seeds, R, bands); None → nan
            mean = np.nanmean(err, axis=0)
            for b, band in enumerate(BAND_NAMES):
                ax.semilogy(rec["steps"], mean[:, b] + 1e-12, marker="o", ms=2, label=band)
            for thr in THRESHOLDS:
                ax.axhline(thr, color="k", lw=0.5, ls=":")
            ax.set_title(f"{sname}: {name}", fontsize=9)
            ax.set(xlabel="step", ylabel="relative band error")
            ax.legend(fontsize=7)
    return fig


# --- 3. TUNER's expansion of a trained network -------------------------------------------------------
def run_tuner(cfg):
    n, period = cfg.n, 3.0
    low = tfreq.default_low_limit(cfg.bandlimit)
    freqs = tfreq.sampled_frequencies(cfg.m, cfg.bandlimit, low, dim=1, seed=0)
    model_fn = lambda hp: models.Tuner(1, freqs, low, period=period, width=cfg.width, depth=1,
                                       omega_g=hp.get("omega0", OMEGA0))
    fitter = Fitter(model_fn, recipes.optimizer_fn("tuner", model_fn))
    x = spectral.periodic_grid(n, period, 1).reshape(-1, 1)
    rng = np.random.default_rng(1)
    y = sum(a * np.sin(2 * np.pi * k * x[:, 0] / period + rng.uniform(0, 2 * np.pi)) for k, a in cfg.target)
    y = y.astype(np.float32)[:, None]
    with common.Timer() as t:
        result = fit(fitter, x, y, {"lr": cfg.lr}, cfg.steps, chunk=min(cfg.steps, 500), mesh=None,
                     progress=False)
    model = model_fn({})
    params = jax.tree_util.tree_map(jnp.asarray, result.member_state(0).params)
    variables = {"params": params}
    pred = np.asarray(jax.jit(model.apply)(variables, jnp.asarray(x)))
    rel_fit = float(np.linalg.norm(pred - y) / np.linalg.norm(y))
    rows = tfreq.row_bounds(freqs, low, presets.TUNER_C_LOW, presets.TUNER_C_HIGH)[:, None]
    # the network before training: the engine's own init of seed 0
    init_params = jax.jit(fitter.init)(jax.random.PRNGKey(0), {"lr": cfg.lr}, jnp.asarray(x)).params
    use = {tag: np.abs(OMEGA0 * np.asarray(p["layers_1"]["kernel"])) / rows
           for tag, p in (("trained", params), ("init", init_params))}
    checks, last, reachable = {}, None, {}
    target_bins = {int(k) for k, _ in cfg.target}
    check_n = cfg.check_n     # the check samples one period on its own (finer) grid
    keys = ("energy_fraction", "bins_fraction", "relative_error", "bound_holds", "max_bound_ratio")
    for order in cfg.orders:
        r = spectral.tuner_spectrum_check(model, variables, n=check_n, max_order=order)
        # Parseval on the torus: Σ_k α_ki² = Π_j Σ_n J_n(z_ji)² = 1 per neuron; the truncation keeps this share
        mass = float(np.mean(np.sum(np.asarray(r["expansion"].alpha, np.float64) ** 2, axis=0)))
        checks[str(order)] = {"terms": int(r["expansion"].frequency.shape[0]), "alpha_mass": mass,
                              **{k: (bool(r[k]) if k == "bound_holds" else _f(r[k])) for k in keys}}
        reachable[str(order)] = sorted({int(abs(v)) for v in r["expansion"].frequency[:, 0]} & target_bins)
        last = r
    r0 = spectral.tuner_spectrum_check(model, {"params": init_params}, n=check_n, max_order=cfg.orders[-1])
    init = {k: (bool(r0[k]) if k == "bound_holds" else _f(r0[k])) for k in keys}
    init["alpha_mass"] = float(np.mean(np.sum(np.asarray(r0["expansion"].alpha, np.float64) ** 2, axis=0)))
    payload = {"config": dataclasses.asdict(cfg), "input_frequencies": [int(k[0]) for k in freqs], "low_limit": low,
               "train_seconds": t.seconds, "final_loss": _f(result.history["loss"][0, -1]),
               "fit_relative_error": rel_fit,
               "max_abs_omega_w_over_c": float(use["trained"].max()),
               "fraction_at_bound": float(np.mean(use["trained"] >= 0.999)),
               # Σ_j |ω_G W_ji| per hidden neuron (mean over neurons): the total modulation index of Theorem 1
               "modulation_index": float((use["trained"] * rows).sum(0).mean()),
               "init_modulation_index": float((use["init"] * rows).sum(0).mean()),
               "init_max_abs_omega_w_over_c": float(use["init"].max()),
               "target_frequencies_reached_by_order": reachable, "orders": checks,
               "init_check": {"order": cfg.orders[-1], **init}}
    return payload, last


# --- 4. NTK eigen-spectra at init -------------------------------------------------------------------
def run_ntk(cfg):
    side = cfg.side
    x = jnp.asarray(coordinate_grid((side, side)).reshape(-1, 2))
    cam = load_signal(resize=(side, side))
    scales = models.siren2_noise_scales(cam.values, "image")
    w, d = cfg.width, cfg.depth
    nets = {
        "siren": models.Siren(1, w, d, omega0=OMEGA0, first_omega0=OMEGA0),
        "siren2": models.Siren2(1, w, d, omega0=OMEGA0, first_omega0=OMEGA0, noise_scales=scales),
        "tuner": models.TunerSampled(1, cfg.tuner_bandlimit, n_frequencies=cfg.tuner_m, width=w, depth=1,
                                     dim=2, seed=0),
    }
    per_seed = {k: [] for k in nets}
    for seed in range(cfg.seeds):
        spectra = spectral.compare_ntk_spectra(nets, x, key=jax.random.PRNGKey(seed))
        for k, lam in spectra.items():
            per_seed[k].append(np.asarray(lam, np.float64))
    out = {}
    for k, lams in per_seed.items():
        lams = np.stack(lams)
        lam_pos = np.maximum(lams, 0.0)
        out[k] = {
            "tail_fraction": [float(spectral.tail_fraction(lp, NTK_TOP)) for lp in lam_pos],
            "participation_ratio": [float(lp.sum() ** 2 / (lp ** 2).sum()) for lp in lam_pos],
            "index_below_1e-3": [int(np.argmax(lp < 1e-3)) if (lp < 1e-3).any() else len(lp) for lp in lam_pos],
            "mean_spectrum": _fl(lams.mean(0)),
        }
    return {"config": dataclasses.asdict(cfg), "points": int(x.shape[0]), "siren2_noise_scales": list(scales),
            "top": NTK_TOP, "models": out, "comparison": ntk_comparison(out)}


# --- run ------------------------------------------------------------------------------------------------
def run(p: SpectraStudy, data_root=None):
    """``(payload, arrays)``: the four sections' numbers, and the activations and the trained TUNER's check that
    the figures draw (data-free: ``data_root`` is unused; the cameraman is bundled)."""
    timings = {}

    def timed(name, label, fn, cfg):
        with common.Timer() as t:
            out = fn(cfg)
        timings[name] = t.seconds
        print(f"{label}: {t.seconds:.0f} s")
        return out

    act, acts_all, profiles = timed("activations", "activations", run_activations, p.act)
    bias = timed("spectral_bias", "spectral bias", run_bias, p.bias)
    tuner, check = timed("tuner", "tuner expansion", run_tuner, p.tuner)
    ntk = timed("ntk", "ntk", run_ntk, p.ntk)
    payload = {"activations": act, "spectral_bias": bias, "tuner_expansion": tuner, "ntk": ntk, "timings": timings}
    return payload, {"activations": acts_all, "profiles": profiles, "tuner_check": check}


def figures(payload: dict, arrays: Optional[dict]) -> dict:
    """The bias and NTK figures from the payload; the activation and TUNER figures need the run's ``arrays``."""
    figs = {}
    if arrays is not None:
        figs.update(activation_figures(payload["activations"], arrays["activations"], arrays["profiles"]))
    figs["spectral-bias"] = bias_figure(payload["spectral_bias"])
    if arrays is not None:
        figs["tuner-spectrum"] = plots.plot_tuner_spectrum(arrays["tuner_check"])
    figs["ntk"] = plots.plot_ntk_spectra({k: np.asarray(v["mean_spectrum"]) for k, v in payload["ntk"]["models"].items()})
    return figs


def report(payload: dict, arrays: Optional[dict] = None):
    """Markdown tables from the payload alone, and the figures (see :func:`figures`)."""
    return markdown(payload, payload.get("profile", "")), figures(payload, arrays)


def main(argv=None):
    return common.main("spectra", SPECTRA, run, report, argv, description=__doc__.splitlines()[0])


# --- report -------------------------------------------------------------------------------------------
def _mean_reach(vals):
    got = [v for v in vals if v is not None]
    if not got:
        return "never"
    s = f"{np.mean(got):.0f}"
    return s if len(got) == len(vals) else f"{s} ({len(got)}/{len(vals)})"


def markdown(p, profile):
    """Numbers only (tables), each section opened by a neutral description of what was run.

    What the numbers mean is written by hand in ``docs/findings.md``."""
    act, bias, tun, ntk = p["activations"], p["spectral_bias"], p["tuner_expansion"], p["ntk"]
    ac = act["config"]
    s0, s1 = act["siren2_noise_scales"]
    n_w, n = ac["width"], ac["n"]
    lines = [f"# exp-spectra ({profile})\n",
             "Data-free: synthetic signals (+ the bundled cameraman for SIREN²'s image scales in the NTK section and, "
             f"in the paper profile, for the bias curves). Sizes: `spectral_inr/protocols/spectra.py` ({profile}). "
             "What the numbers mean: "
             "`docs/findings.md`.\n",
             "## 1. Activations and layer spectra at init (SIREN vs SIREN², 1-D, audio-like)\n",
             f"{n}-sample grid on [−1, 1], width {n_w}, {ac['depth']} sine layers + linear output, seed {ac['seed']}. "
             f"SIREN² noise scales from a linear chirp ({ac['chirp'][0]}→{ac['chirp'][1]} cycles/sample, spectral "
             f"centroid SC = {act['chirp_spectral_centroid']:.3f}) with the audio constants: S0 = {s0:.0f}, "
             f"S1 = {s1:.3f}. `siren` = ω0 = 30 everywhere, `siren-audio` = first ω0 = 3000, `siren2` = ω0 = 30 + "
             "noise. Columns: RMS of the pre-activation ω(xW + b); 'σ theory' = √(1 + ω0²/(3n)) for a hidden layer "
             "with PyTorch's bias U(±1/√n) multiplied by ω0, i.e. N(0, 1 + ω0²/(3n)) (+ n·S1²/2 for SIREN²'s noisy "
             "layer 1), and for layer 0 (fan-in 1) the RMS ω0·√(E W²/3 + 1/3) of a product of uniforms; "
             "Kolmogorov–Smirnov distances of the pre-activations to N(0, σ_th²), N(0, RMS²) and N(0, 1) (hidden "
             "layers ≥ 1 only) and of the post-activations to the arcsine law; centroid of the mean per-neuron "
             "power spectrum in bins of this grid (and as a fraction of Nyquist). Figures `activations-*` overlay "
             "N(0, RMS²), N(0, σ_th²) and N(0, 1) on the histograms.\n"]
    rows = []
    for name, layers in act["layers"].items():
        for lname, r in layers.items():
            if "pre_rms" not in r:
                continue
            rows.append([name, lname, f"{r['pre_rms']:.3f}", f"{r['pre_sigma_theory']:.3f}",
                         _fmt(r.get("ks_pre_normal_theory")), _fmt(r.get("ks_pre_normal_rms")),
                         _fmt(r.get("ks_pre_normal_unit")), _fmt(r["ks_post_arcsine"]),
                         f"{r['post_centroid_bins']:.1f} ({r['post_centroid_nyquist']:.3f})"])
    lines.append(markdown_table(
        ["model", "layer", "pre RMS", "σ theory", "KS pre vs N(0,σ_th²)", "KS pre vs N(0,RMS²)", "KS pre vs N(0,1)",
         "KS post vs arcsine", "post centroid, bins (/Nyquist)"], rows))
    d = act["derived"]
    lines.append("\n" + markdown_table(["quantity", "value"], [
        ["SIREN hidden-layer σ theory √(1 + ω0²/(3n))", f"{d['siren_hidden_sigma_theory']:.3f}"],
        ["std of SIREN²'s first-layer frequencies S0/π, cycles over [−1, 1]", f"{d['siren2_layer0_freq_std_cycles']:.0f}"],
        ["the same / this grid's Nyquist", f"{d['siren2_layer0_freq_std_over_nyquist']:.3f}"]]))
    rows = []
    for name, layers in act["layers"].items():
        for lname, r in layers.items():
            rows.append([name, lname, f"{r['post_centroid_bins']:.1f}", f"{r['sum_centroid_bins']:.1f}",
                         f"{r['sum_over_mean_total_power']:.3f}", f"{r['median_abs_log10_sum_over_mean']:.3f}"])
    lines.append("\n**Mean of per-neuron spectra vs spectrum of the sum.** Per layer: the centroid of the mean of "
                 "the per-neuron periodograms, the centroid of the periodogram of the neurons' sum (what the SIREN² "
                 "notebook computes), the ratio of their total powers and the median over bins of |log10| of their "
                 "ratio. `layers_3` is the linear output (one neuron). Right panel of `layer-spectra`.\n\n"
                 + markdown_table(["model", "layer", "centroid: mean of spectra", "centroid: spectrum of sum",
                                          "total power sum/mean", "median |log10 ratio| per bin"], rows))

    lines.append("\n## 2. Spectral bias\n")
    bc = bias["config"]
    lines.append(f"Signals: `mixture-1d` = {bc['n']} samples, equal-amplitude sines at bins {bias['mixture_bins']} "
                 f"(Nyquist {bc['n'] // 2}); bands low/mid/high = [0, ⅓), [⅓, ⅔), [⅔, 1] of Nyquist (radial for the "
                 f"image). Models: ReLU MLP on raw coordinates and ReLU + Fourier features σ = {bc['ff_sigma']} "
                 f"({bc['ff_features']} features), both {bc['depth']}×{bc['width']}; SIREN ω0 = 30 "
                 f"({bc['depth']}×{bc['width']}); TUNER via the recipe (bandlimit side//6, width {bc['tuner_width']}, "
                 f"one hidden layer, bound projection). Full-batch Adam, lr {bc['lr']}, {bc['seeds']} seed(s), "
                 f"trained by the engine through `spectral_bias_curve`. Entries: first recorded step (every "
                 f"{bc['every']}) at which the band's relative error ≤ threshold (mean over seeds; 'never' = not "
                 "within the budget); last column: relative error per band at the last step. Figure: "
                 "`spectral-bias`.\n")
    for sname, srec in bias["signals"].items():
        rows = []
        for name, rec in srec["models"].items():
            row = [name]
            for thr in THRESHOLDS:
                row += [_mean_reach(v) for v in rec["steps_to_reach"][f"{thr:g}"]]
            fe = np.nanmean(np.asarray(rec["final_error"], np.float64), axis=0)
            row += [" / ".join(f"{v:.3g}" for v in fe)]
            rows.append(row)
        hdr = ["model"] + [f"{b} ≤{thr:g}" for thr in THRESHOLDS for b in BAND_NAMES] + ["final error low/mid/high"]
        lines.append(f"\n**{sname}** ({srec['steps_total']} steps; target band energy "
                     f"{' / '.join(f'{e:.2f}' for e in srec['band_energy'])}):\n\n"
                     + markdown_table(hdr, rows))

    lines.append("\n## 3. TUNER: Theorem 1–2 expansion vs the measured spectrum of a trained network\n")
    tc = tun["config"]
    ic = tun["init_check"]
    lines.append(f"One-hidden-layer TUNER: {tc['m']} integer input frequencies (bandlimit {tc['bandlimit']}, low "
                 f"limit {tun['low_limit']}: {tun['input_frequencies']}), width {tc['width']}, ω_G = 30, bounds "
                 f"c_low/c_high = {presets.TUNER_C_LOW}/{presets.TUNER_C_HIGH} kept by the projection chained after "
                 f"Adam (`recipes.optimizer_fn`; lr {tc['lr']}, {tc['steps']} full-batch steps, engine). Target on one "
                 f"period (p = 3, {tc['n']} training points): integer frequencies {[k for k, _ in tc['target']]}. The "
                 f"check samples one period at {tc.get('check_n', tc['n'])} points. Columns: number of terms of the "
                 "expansion truncated at |k|₁ ≤ K; share of the measured spectral energy on the predicted frequency "
                 "set; share of frequency bins in that set (the energy fraction's chance level); relative L2 error "
                 "of the truncated series; Σα² kept per neuron (1 = all, by Parseval); whether every |α| is within "
                 "Theorem 2's bound, and the largest |α|/bound; target frequencies in the predicted set. The last "
                 "row is the same check on the untrained network. Figure: `tuner-spectrum` (largest order).\n")
    lines.append(markdown_table(["quantity", "trained", "init"], [
        ["relative L2 fit error", f"{tun['fit_relative_error']:.3g}", ""],
        ["max |ω_G·W_ij|/c_j", f"{tun['max_abs_omega_w_over_c']:.4f}", f"{tun['init_max_abs_omega_w_over_c']:.4f}"],
        ["fraction of hidden weights at the bound (≥ 0.999)", f"{tun['fraction_at_bound']:.3f}", ""],
        ["mean Σ_j |ω_G W_ji| per hidden neuron (modulation index)", f"{tun['modulation_index']:.3f}",
         f"{tun['init_modulation_index']:.3f}"]]))
    rows = []
    for order, r in tun["orders"].items():
        rows.append([order, r["terms"], f"{r['energy_fraction']:.5f}", f"{r['bins_fraction']:.3f}",
                     f"{r['relative_error']:.3g}", f"{r['alpha_mass']:.4f}", "yes" if r["bound_holds"] else "NO",
                     f"{r['max_bound_ratio']:.3g}", tun["target_frequencies_reached_by_order"][order]])
    rows.append([f"{ic['order']} (at init)", "", f"{ic['energy_fraction']:.5f}", f"{ic['bins_fraction']:.3f}",
                 f"{ic['relative_error']:.3g}", f"{ic['alpha_mass']:.4f}", "yes" if ic["bound_holds"] else "NO",
                 f"{ic['max_bound_ratio']:.3g}", ""])
    lines.append("\n" + markdown_table(["max order K", "terms", "energy fraction", "bins fraction (chance)",
                                               "rel. error of truncated series", "Σα² kept (of 1)", "|α| ≤ bound",
                                               "max |α|/bound", "target freqs in the predicted set"], rows))

    lines.append("\n## 4. NTK eigen-spectra at init\n")
    nc = ntk["config"]
    ns0, ns1 = ntk["siren2_noise_scales"]
    lines.append(f"{nc['side']}×{nc['side']} grid ({ntk['points']} points), output channel 0, `compare_ntk_spectra` "
                 f"(eigenvalues / the largest). SIREN and SIREN² {nc['depth']}×{nc['width']}; SIREN² scales from the "
                 f"cameraman at {nc['side']}² (image constants): S0 = {ns0:.2f}, S1 = {ns1:.3f}; TUNER {nc['tuner_m']} "
                 f"frequencies (bandlimit {nc['tuner_bandlimit']}: TUNER's default side//6 leaves too few integer "
                 f"vectors on so small a grid), width {nc['width']}, one hidden layer. Mean ± std over {nc['seeds']} "
                 f"seeds. Tail fraction = share of the trace beyond the {ntk['top']} largest eigenvalues; participation "
                 "ratio = (Σλ)²/Σλ² (effective number of eigen-directions). Second table: SIREN² − SIREN difference of "
                 "the seed-mean tail fractions, the combined seed std √(var_siren + var_siren2) and their ratio. "
                 "Figure: `ntk` (seed-mean spectra).\n")
    rows = []
    for k, v in ntk["models"].items():
        idx = [i for i in v["index_below_1e-3"] if i < ntk["points"]]
        rows.append([k, mean_std(v["tail_fraction"], 3), mean_std(v["participation_ratio"], 1),
                     mean_std(idx, 0) + (f" ({len(idx)}/{len(v['index_below_1e-3'])} seeds)"
                                                if 0 < len(idx) < len(v["index_below_1e-3"]) else "")
                     if idx else f"none (all {ntk['points']} ≥ 1e-3)"])
    lines.append(markdown_table(["model", f"tail fraction (>{ntk['top']})", "participation ratio",
                                        "first index with λ/λ₁ < 1e-3"], rows))
    c = ntk.get("comparison") or {}
    if "siren2_minus_siren_tail" in c:
        lines.append("\n" + markdown_table(
            ["tail(siren2) − tail(siren)", "combined seed std", "difference / std"],
            [[f"{c['siren2_minus_siren_tail']:.4f}", _fmt(c["combined_seed_std"]), _fmt(c["difference_over_std"])]]))
    t = p["timings"]
    lines.append(f"\nTimings: activations {t['activations']:.0f} s, spectral bias {t['spectral_bias']:.0f} s, TUNER "
                 f"{t['tuner']:.0f} s, NTK {t['ntk']:.0f} s.\n")
    return "\n".join(lines)


def ntk_comparison(models_rec) -> dict:
    """Seed-mean tail fractions and the SIREN² − SIREN difference against the seeds' spread."""
    tails = {k: np.asarray(v["tail_fraction"], np.float64) for k, v in models_rec.items()}
    out = {"tail_mean": {k: float(v.mean()) for k, v in tails.items()}}
    if "siren" in tails and "siren2" in tails:
        diff = float(tails["siren2"].mean() - tails["siren"].mean())
        spread = float(np.sqrt(tails["siren"].var() + tails["siren2"].var()))
        out.update(siren2_minus_siren_tail=diff, combined_seed_std=_f(spread),
                   difference_over_std=_f(diff / spread) if spread > 0 else None)
    return out


if __name__ == "__main__":
    main()
