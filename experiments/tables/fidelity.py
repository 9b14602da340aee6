"""docs/fidelity.md: the parity runs against the authors' code and the measured effects at the quick size."""
from __future__ import annotations

from experiments.formatting import markdown_table, mean_std, signed, span
from experiments.tables.readme import KODAK_METRICS, clip_name
from experiments.tables.registry import generator, mean, per

SHORT = {"tuner": "TUNER", "tuner-learned": "learned", "tuner-siren": "baseline", "siren": "SIREN",
         "siren2": "SIREN²", "finer": "FINER", "ffn": "FFN"}
PARITY_METRICS = (("psnr_train", "PSNR, train side"), ("psnr_test", "PSNR, test side"),
                  ("gradient_psnr", "gradient PSNR, full image"))


@generator("parity-tuner")
def parity_tuner(r) -> str:
    d = r["parity-tuner"]
    rows = []
    for method, label in (("tuner", "TUNER (`official`)"), ("tuner-siren", "`tuner-siren`")):
        ours, theirs = d[method]["ours"], d[method]["theirs"]
        for key, metric in PARITY_METRICS:
            a, b = [x[key] for x in ours], [x[key] for x in theirs]
            rows.append([label, metric, mean_std(a), mean_std(b), signed(mean(a) - mean(b))])
    n_ours, n_theirs = len(d["tuner"]["ours"]), len(d["tuner"]["theirs"])
    return markdown_table(["method", "metric (official convention)", f"ours ({n_ours} fits)", f"theirs ({n_theirs} runs)",
                  "ours − theirs"], rows)


@generator("parity-siren2")
def parity_siren2(r) -> str:
    d = r["parity-siren2"]
    rows = []
    for method, label in (("siren", "SIREN"), ("siren2", "SIREN²")):
        a, b = d[method]["ours_best_psnr"], d[method]["theirs_best_psnr"]
        rows.append([label, len(a), mean_std(a), len(b), mean_std(b), signed(mean(a) - mean(b))])
    return markdown_table(["method", "our fits", "ours", "their runs", "theirs", "ours − theirs"], rows)


def _kodak_delta(new: dict, old: dict) -> list[str]:
    return [signed(mean(new[k]) - mean(old[k])) for k in KODAK_METRICS]


@generator("kodak-quick-effects")
def kodak_effects(r) -> str:
    q, p, lp = r["kodak-quick"]["methods"], r["kodak-quick-paper"]["methods"], r["kodak-quick-learned-penalty"]["methods"]
    conv = ", ".join(f"{SHORT[m]} {signed(mean(q[m]['gradient_psnr_train']) - mean(q[m]['gradient_psnr_train_ours']))}"
                     for m in SHORT if m in q)
    split = [mean(res["psnr_train_of_split_fit"]) - mean(res["psnr_train"]) for res in q.values()]
    rows = [
        ["paper's per-column bounds (1.0/ω_G low, 0.6/ω_G high) instead of the official clamp quirk (0.4/ω_G on "
         "every column)"] + _kodak_delta(p["tuner"], q["tuner"])
        + ["`results/kodak-quick-paper.json` vs `results/kodak-quick.json` (TUNER rows)"],
        ["learned-bounds penalty λ·mean c instead of λ·Σ c (λ = 2e-5)"]
        + _kodak_delta(lp["tuner-learned (mean)"], lp["tuner-learned (sum)"])
        + ["`results/kodak-quick-learned-penalty.json`"],
        ["gradient PSNR, official convention minus ours, full image (all-pixel fits)", "—", "—", conv, "—",
         "`results/kodak-quick.json`"],
        ["train PSNR from the split fit's 95 % instead of a separate all-pixel fit",
         f"{signed(min(split))} … {signed(max(split))} (by row)", "—", "—", "—",
         "`psnr_train_of_split_fit` in `results/kodak-quick.json`"],
    ]
    return markdown_table(["change", "Δ PSNR train", "Δ PSNR test", "Δ grad train", "Δ grad test", "source"], rows)


def _audio(r) -> tuple[dict, dict, list]:
    d = r["audio-quick"]
    means = {m: {c: mean(v) for c, v in per(res, "psnr_of_best_params", "clip").items()} for m, res in d["methods"].items()}
    floor = {c: v[0] for c, v in per(d["methods"]["siren"], "zero_psnr", "clip").items()}
    return means, floor, d["clips"]


@generator("audio-quick-schemes")
def audio_schemes(r) -> str:
    means, floor, clips = _audio(r)
    cfg = r["audio-quick"]["config"]
    labels = (("siren2", "SIREN² repo scheme"), ("siren2-notebook", "SIREN² notebook scheme"),
              ("finer++-repo", f"FINER++, first ω0 {cfg['finer_repo_first_omega0']:.0f} (repo)"),
              ("finer++", f"FINER++, first ω0 {cfg['finer_first_omega0']:.0f} capped at the grid's Nyquist limit"))
    rows = [[label] + [f"{means[m][c]:.2f}" for c in clips] + [" / ".join(f"{floor[c]:.1f}" for c in clips)
                                                                if i == 0 else ""]
            for i, (m, label) in enumerate(labels)]
    return markdown_table(["row"] + [clip_name(c) for c in clips] + ["silence floor (" + " / ".join(map(clip_name, clips))
                                                            + ")"], rows)


@generator("audio-notebook-gap")
def audio_notebook_gap(r) -> str:
    means, _, clips = _audio(r)
    gap = {c: means["siren2"][c] - means["siren2-notebook"][c] for c in clips}
    below = [g for g in gap.values() if g > 0]
    other = [clip_name(c) for c, g in gap.items() if g <= 0]
    return f"{span(below)} dB below the repository's scheme on every clip but " + ", ".join(f"`{c}`" for c in other)


@generator("audio-finer-capped")
def audio_finer_capped(r) -> str:
    means, floor, clips = _audio(r)
    above = [means["finer++"][c] for c in clips if means["finer++"][c] - floor[c] > 1.0]
    return f"{span(above)} dB on {len(above)} clips"


@generator("kodak-paper-bounds-gain")
def kodak_paper_bounds_gain(r) -> str:
    q, p = r["kodak-quick"]["methods"]["tuner"], r["kodak-quick-paper"]["methods"]["tuner"]
    test, grad = (signed(mean(p[k]) - mean(q[k])) for k in ("psnr_test", "gradient_psnr_test"))
    return f"{test} dB test and {grad} dB gradient test"
