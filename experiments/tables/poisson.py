"""docs/poisson.md and docs/findings.md: the Poisson fits (results/poisson-quick.json)."""
from __future__ import annotations

import numpy as np

from experiments.formatting import markdown_table, mean_std
from experiments.tables.registry import generator

LABELS = {"siren": "SIREN", "tuner": "TUNER", "finer": "FINER", "siren2": "SIREN²", "tuner-free": "TUNER, no bounds"}
ORDER = ("siren", "tuner", "tuner-free", "finer", "siren2")


def _band(r, b: int) -> str:
    return mean_std(np.asarray(r["band_snr"], np.float64)[:, b])


@generator("poisson-quick")
def poisson_quick(r) -> str:
    res = r["poisson-quick"]["results"]
    rows = []
    for sup, methods in res.items():
        for m in [m for m in ORDER if m in methods]:
            x = methods[m]
            rows.append([sup, LABELS.get(m, m), mean_std(x["psnr_offset"]), mean_std(x["gradient_psnr"]),
                         mean_std(x[f"{sup}_snr"]), _band(x, 0), _band(x, 1), _band(x, 2)])
    return markdown_table(["supervised by", "method", "PSNR (offset)", "grad PSNR", "SNR of what was fitted",
                           "band SNR low", "band SNR mid", "band SNR high"], rows)


@generator("poisson-quick-bands")
def poisson_quick_bands(r) -> str:
    p = r["poisson-quick"]
    n = p["images"][0]["shape"][0]
    lo, hi = (e * n / 2 for e in p["band_edges"])
    return f"low < {lo:.2f}, mid {lo:.2f}–{hi:.2f}, high > {hi:.2f} cycles across the {n}² image"


def _paired(r, sup: str, a: str, b: str) -> str:
    """Method ``a`` minus method ``b``, member by member (same image, seed and initial key): offset PSNR and
    the three band SNRs, mean ± std over the members."""
    x, y = r["poisson-quick"]["results"][sup][a], r["poisson-quick"]["results"][sup][b]
    dp = np.asarray(x["psnr_offset"]) - np.asarray(y["psnr_offset"])
    db = np.asarray(x["band_snr"], np.float64) - np.asarray(y["band_snr"], np.float64)
    pm = lambda v: f"{np.mean(v):+.2f} ± {np.std(v):.2f}".replace("-", "−")
    return (f"from the {sup}: PSNR {pm(dp)} dB ({int(np.sum(dp < 0))} of {len(dp)} members lower), band SNR "
            f"low {pm(db[:, 0])}, mid {pm(db[:, 1])}, high {pm(db[:, 2])} dB")


@generator("poisson-tuner-vs-free")
def tuner_vs_free(r) -> str:
    """TUNER minus the same network trained without its bound projection."""
    return "; ".join(_paired(r, sup, "tuner", "tuner-free") for sup in r["poisson-quick"]["results"])


@generator("poisson-tuner-vs-siren")
def tuner_vs_siren(r) -> str:
    return "; ".join(_paired(r, sup, "tuner", "siren") for sup in r["poisson-quick"]["results"])


@generator("poisson-free-vs-siren")
def free_vs_siren(r) -> str:
    return "; ".join(_paired(r, sup, "tuner-free", "siren") for sup in r["poisson-quick"]["results"])


@generator("poisson-gradient-spread")
def gradient_spread(r) -> str:
    """Gradient fits: the spread of gradient PSNR vs that of offset PSNR over the methods (means)."""
    res = r["poisson-quick"]["results"]["gradient"]
    g = [np.mean(x["gradient_psnr"]) for x in res.values()]
    p = [np.mean(x["psnr_offset"]) for x in res.values()]
    return (f"gradient PSNR {min(g):.1f}–{max(g):.1f} dB across the five rows, PSNR after the offset "
            f"{min(p):.1f}–{max(p):.1f} dB")
