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


@generator("evaluation-memory")
def evaluation_memory(r) -> str:
    m = r["evaluation-memory-cpu"]
    rows = [[f"2^{row['log2_max_values']}", row["slab_frames"], f"{row['peak_rise_mib']:.0f}", f"{row['seconds']:.1f}"]
            for row in m["rows"]]
    return markdown_table(["max_values", "frames per slab", "peak memory rise (MiB)", "seconds"], rows)


@generator("evaluation-memory-setup")
def evaluation_memory_setup(r) -> str:
    m = r["evaluation-memory-cpu"]
    shape = "×".join(map(str, m["shape"]))
    return (f"a {shape} clip, {m['members']} members of SIREN {m['depth']}×{m['width']} "
            f"({m['all_predictions_mib']:.0f} MiB of predictions if held at once)")
