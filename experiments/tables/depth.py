"""docs/depth.md and results/depth-<profile>.md: the depth study (results/depth-quick.json).

The same functions write the experiment's own report (``experiments.depth.report``) and the
generated blocks of ``docs/depth.md``, so both show one set of numbers."""
from __future__ import annotations

import numpy as np

from experiments.formatting import markdown_table, mean_std, protocol_heading, signed
from experiments.tables.registry import generator

SIGNAL_TITLES = {"kodak": "Kodak", "audio": "audio"}
VARIANT_NOTE = {"tuner-deep-unbounded": "TUNER, no bound past the first hidden layer"}


def method_order(payload: dict) -> list:
    c = payload["config"]
    return list(c["methods"]) + list(c["variants"])


def _runs(payload: dict, signal: str) -> list:
    """The signal's records in study order (method, then hidden layers)."""
    runs = payload["runs"].get(signal, {})
    order = {m: i for i, m in enumerate(method_order(payload))}
    return sorted(runs.values(), key=lambda r: (order.get(r["method"], 99), r["hidden"]))


def signal_table(payload: dict, signal: str) -> str:
    rows = []
    for r in _runs(payload, signal):
        delta = 100.0 * (r["parameters"] - r["budget"]) / r["budget"]
        row = [r["method"], r["hidden"], r["width"], f"{r['parameters']:,} ({signed(delta, 1)} %)",
               mean_std(r["psnr_train"]), mean_std(r["psnr_test"]), mean_std(r["gradient_psnr"])]
        if signal == "kodak":
            row.append(mean_std(r["ssim"], 3))
        row += [mean_std(r["high_band_ratio"]), f"{r['seconds']:.0f}"]
        rows.append(row)
    ref = payload.get("references", {}).get(signal)
    if ref:   # what the test column is worth: the held-out samples interpolated from the fitted ones
        blank = ["—"] * (3 if signal == "kodak" else 2)
        rows.append(["linear interpolation (reference)", "—", "—", "—", "—",
                     mean_std(np.atleast_1d(ref["linear_interpolation_psnr_test"]))] + blank + ["—"])
        if "silence_psnr_test" in ref:
            rows.append(["silence (reference)", "—", "—", "—", "—", f"{ref['silence_psnr_test']:.2f}"]
                        + blank + ["—"])
    grad = "grad PSNR (TUNER's, full image)" if signal == "kodak" else "derivative PSNR"
    headers = ["method", "hidden layers", "width", "parameters (vs budget)", "PSNR train", "PSNR test", grad]
    headers += (["SSIM"] if signal == "kodak" else []) + ["high-band ratio", "seconds"]
    return markdown_table(headers, rows)


def _deep(values) -> str:
    return "—" if not values else f"{np.max(values):.2f}"


def spectrum_table(payload: dict, signal: str) -> str:
    rows = []
    for r in _runs(payload, signal):
        t = r.get("tuner")
        if t is None:
            continue
        c = t["check"]
        deep_max = [max(v) for v in t.get("deep_max", [])]
        rows.append([r["method"], r["hidden"], mean_std(t["energy_on_one_layer_support"], 3),
                     mean_std(t["energy_outside_input_box"], 3),
                     (f"{c['energy_fraction']:.3f} / {c['bins_fraction']:.3f} / {c['relative_error']:.3f} / "
                      f"{'yes' if c['bound_holds'] else 'no'}"),
                     f"{np.max(t['first_layer_max_ratio']):.3f}", _deep(deep_max),
                     mean_std(t["deep_at_bound"], 3) if "deep_at_bound" in t else "—"])
    return markdown_table(["method", "hidden layers", "energy on 1-layer support", "energy outside input box",
                           "check: energy / chance / rel. error / bound holds", "1st layer max |ω_G W|/c",
                           "deeper max |ω_G W|", "deeper share ≥ 0.99 c_deep"], rows)


def best_table(payload: dict) -> str:
    """Per signal and method: the depth with the best mean test PSNR, and the spread over depths."""
    rows = []
    for signal in ("kodak", "audio"):
        for method in method_order(payload):
            runs = [r for r in _runs(payload, signal) if r["method"] == method]
            if not runs:
                continue
            means = {r["hidden"]: float(np.nanmean(r["psnr_test"])) for r in runs}
            grads = {r["hidden"]: float(np.nanmean(r["gradient_psnr"])) for r in runs}
            best = max(means, key=means.get)
            best_grad = max(grads, key=grads.get)
            rows.append([SIGNAL_TITLES[signal], method, best, f"{means[best]:.2f}",
                         " / ".join(f"{means[h]:.2f}" for h in sorted(means)), best_grad,
                         " / ".join(f"{grads[h]:.2f}" for h in sorted(grads))])
    return markdown_table(["signal", "method", "best depth (test PSNR)", "its test PSNR",
                           "test PSNR by hidden layers", "best depth (gradient PSNR)",
                           "gradient PSNR by hidden layers"], rows)


def markdown(payload: dict) -> str:
    c = payload["config"]
    k, a = c["kodak"], c["audio"]
    side = k["resize"] or k["crop"]
    text = (protocol_heading("exp-depth", "depth", c) + ".\n\n"
            f"SIREN, TUNER and FINER with {', '.join(map(str, c['hidden_layers']))} hidden layers at one parameter "
            f"budget per signal (Kodak {payload['budgets']['kodak']:,}: TUNER 1 × {k['width']} on {k['width']} "
            f"frequencies; audio {payload['budgets']['audio']:,}: SIREN {a['depth']} sine layers × {a['width']}); "
            f"each width is the one whose parameter count is closest to the budget (all within "
            f"{100 * c['tolerance']:.0f} %). SIREN/FINER with h hidden layers have h + 1 sine layers; TUNER keeps "
            f"its input frequencies at every depth. TUNER's bound past the first hidden layer: |ω_G W| ≤ c_deep = "
            f"{k['c_deep']} on every entry; `tuner-deep-unbounded`: no bound there (same init).\n\n"
            f"Kodak: {len(k['images'])} images at {side}², {k['epochs']} full-batch steps, Adam {k['lr']} for every "
            f"method, {k['seeds']} seed(s); TUNER: the `{k['name']}` protocol (period {k['period']}, clamp bounds "
            f"{tuple(k['clamp_bounds'])} on the first hidden layer). Audio: `{payload['signals']['audio']}`, "
            f"samples {a['offset']:,}–{a['offset'] + a['samples']:,}, {a['steps']} full-batch steps, Adam ×"
            f"{a['decay']} every {a['decay_every']} steps at {a['lr']} (SIREN, FINER = the audio protocol's "
            f"`finer++`) or {c['audio_tuner_lr']} (TUNER, {c['audio_tuner_frequencies'] or a['width']} input "
            f"frequencies below the clip's bandlimit, bounds 1.0/0.6), {a['seeds']} seeds. Train = the 95 % fitted, "
            f"test = the {k['test_fraction']:.0%} held out (random, seed 0). Gradient PSNR: Kodak, TUNER's "
            "convention on the full image; audio, the normalised derivative magnitudes on every sample. High-band "
            "ratio: the reconstruction's energy above half the grid's Nyquist limit over the target's. Mean ± std "
            "over images × seeds (Kodak) or seeds (audio).\n")
    for signal in ("kodak", "audio"):
        if payload["runs"].get(signal):
            text += f"\n## {SIGNAL_TITLES[signal]}\n\n" + signal_table(payload, signal)
    text += "\n## Best depth\n\n" + best_table(payload)
    text += ("\n## TUNER's spectrum on one period\n\nEnergy shares of the network's output over one period (DC "
             "left out; mean ± std over members): on the frequencies a one-hidden-layer TUNER on the same inputs "
             f"generates up to order |k|₁ ≤ {c['spectrum_order']}, and outside the box of its input frequencies. "
             "Check: `tuner_spectrum_check` of member 0 (channel 0) — on the whole network with one hidden layer; "
             "deeper, on the first hidden layer as the second reads it (the second layer's affine map as the "
             "readout): energy fraction on the predicted set / its chance level / relative L2 error of the "
             "truncated series / every |α| within Theorem 2's bound. Then the weights against the bounds.\n")
    for signal in ("kodak", "audio"):
        if payload["runs"].get(signal):
            text += f"\n### {SIGNAL_TITLES[signal]}\n\n" + spectrum_table(payload, signal)
    ref = payload.get("references", {}).get("audio")
    if ref:
        text += (f"\nThe clip's share of spectral energy above half its Nyquist limit: "
                 f"{ref['energy_above_half_nyquist']:.2g}.\n")
    if payload.get("reused"):
        kept = payload["reused"]
        text += ("\n_Resumed (`--resume`): the records of " + "; ".join(
            f"{SIGNAL_TITLES[s]} ({len(k)} runs)" for s, k in kept["runs"].items())
            + " come from an earlier run with the same settings for that signal (its wall time, every signal "
              f"included: {kept['from_run_seconds'] or float('nan'):.0f} s); the footer's wall time is this run's._\n")
    if not payload.get("complete", True):
        text += "\n_Incomplete: the run stopped before every (method, depth) finished._\n"
    return text


@generator("depth-quick-kodak")
def depth_quick_kodak(r) -> str:
    return signal_table(r["depth-quick"], "kodak")


@generator("depth-quick-audio")
def depth_quick_audio(r) -> str:
    return signal_table(r["depth-quick"], "audio")


@generator("depth-quick-best")
def depth_quick_best(r) -> str:
    return best_table(r["depth-quick"])


@generator("depth-quick-tuner-kodak")
def depth_quick_tuner_kodak(r) -> str:
    return spectrum_table(r["depth-quick"], "kodak")


@generator("depth-quick-tuner-audio")
def depth_quick_tuner_audio(r) -> str:
    return spectrum_table(r["depth-quick"], "audio")
