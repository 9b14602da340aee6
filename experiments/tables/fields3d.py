"""README.md and docs/findings.md: the 3-D fits (results/video-quick.json, results/volume-quick.json)."""
from __future__ import annotations

import numpy as np

from experiments.formatting import markdown_table, mean_std
from experiments.tables.registry import generator, mean

ROWS = (("siren", "SIREN"), ("tuner", "TUNER (3-D lattice)"), ("finer", "FINER"), ("siren2", "SIREN²"))


def _worst(record: dict, curve: str) -> str:
    values = record["curves"].get(curve)
    return f"{np.min(np.mean(values, axis=0)):.2f}" if values else "—"


@generator("fields3d-quick")
def fields3d_quick(r) -> str:
    v, o = r["video-quick"]["methods"], r["volume-quick"]["methods"]
    rows = []
    for key, label in ROWS:
        a, b = v[key], o[key]
        rows.append([label, mean_std(a["psnr"]), mean_std(a["ssim"], 3), mean_std(a["gradient_psnr"]),
                     _worst(a, "psnr_per_frame"), mean_std(b["psnr"]), mean_std(b["ssim"], 3),
                     _worst(b, "psnr_per_slice")])
    return markdown_table(["method", "video PSNR", "video SSIM", "video spatial grad PSNR", "worst frame",
                           "phantom PSNR", "phantom SSIM", "worst slice"], rows)


def _psnr(r, exp: str, method: str) -> str:
    return f"{mean(r[exp]['methods'][method]['psnr']):.2f} dB"


@generator("fields3d-video-psnr")
def video_psnr(r) -> str:
    return ", ".join(f"{label} {_psnr(r, 'video-quick', key)}" for key, label in ROWS)


@generator("fields3d-volume-psnr")
def volume_psnr(r) -> str:
    return ", ".join(f"{label} {_psnr(r, 'volume-quick', key)}" for key, label in ROWS)


@generator("fields3d-tuner-bandlimits")
def tuner_bandlimits(r) -> str:
    out = []
    for exp in ("video-quick", "volume-quick"):
        t = r[exp]["methods"]["tuner"]
        shape = "×".join(map(str, r[exp]["signal"]["shape"][:-1]))
        out.append(f"{shape}: bandlimit {tuple(t['bandlimit'])}, {t['n_frequencies']} frequencies")
    return "; ".join(out)
