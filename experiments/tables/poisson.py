"""docs/poisson.md and docs/findings.md: the Poisson fits (results/poisson-quick.json)."""
from __future__ import annotations

import numpy as np

from experiments.formatting import markdown_table, mean_std
from experiments.tables.registry import generator

LABELS = {"siren": "SIREN", "tuner": "TUNER", "finer": "FINER", "siren2": "SIREN²", "tuner-free": "TUNER, no bounds"}


def _band(r, b: int) -> str:
    return mean_std(np.asarray(r["band_snr"], np.float64)[:, b])


@generator("poisson-quick")
def poisson_quick(r) -> str:
    res = r["poisson-quick"]["results"]
    rows = []
    for sup, methods in res.items():
        for m, x in methods.items():
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


def _mean(r, sup, method, key, band=None) -> float:
    x = r["poisson-quick"]["results"][sup][method][key]
    a = np.asarray(x, np.float64)
    return float(np.nanmean(a if band is None else a[:, band]))


@generator("poisson-tuner-vs-free")
def tuner_vs_free(r) -> str:
    """TUNER minus TUNER-without-bounds, per supervision: offset PSNR and the three band SNRs."""
    out = []
    for sup in r["poisson-quick"]["results"]:
        d = [_mean(r, sup, "tuner", "psnr_offset") - _mean(r, sup, "tuner-free", "psnr_offset")]
        d += [_mean(r, sup, "tuner", "band_snr", b) - _mean(r, sup, "tuner-free", "band_snr", b) for b in range(3)]
        out.append(f"from the {sup}: PSNR {d[0]:+.2f} dB, band SNR low {d[1]:+.2f}, mid {d[2]:+.2f}, "
                   f"high {d[3]:+.2f} dB".replace("-", "−"))
    return "; ".join(out)


@generator("poisson-tuner-vs-siren")
def tuner_vs_siren(r) -> str:
    """TUNER minus SIREN, per supervision: offset PSNR and the three band SNRs."""
    out = []
    for sup in r["poisson-quick"]["results"]:
        d = [_mean(r, sup, "tuner", "psnr_offset") - _mean(r, sup, "siren", "psnr_offset")]
        d += [_mean(r, sup, "tuner", "band_snr", b) - _mean(r, sup, "siren", "band_snr", b) for b in range(3)]
        out.append(f"from the {sup}: PSNR {d[0]:+.2f} dB, band SNR low {d[1]:+.2f}, mid {d[2]:+.2f}, "
                   f"high {d[3]:+.2f} dB".replace("-", "−"))
    return "; ".join(out)
