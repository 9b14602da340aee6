"""docs/shapes.md and docs/findings.md: the signed-distance fits (results/sdf-quick.json)."""
from __future__ import annotations

from experiments.formatting import markdown_table, mean_std
from experiments.tables.registry import generator, mean

ROWS = (("siren", "SIREN"), ("tuner", "TUNER (3-D lattice)"), ("finer", "FINER"))


@generator("sdf-quick")
def sdf_quick(r) -> str:
    methods = r["sdf-quick"]["methods"]
    rows = []
    for key, label in ROWS:
        m = methods[key]
        name = f"{label}, {m['n_frequencies']} frequencies" if "n_frequencies" in m else label
        rows.append([name, mean_std(m["chamfer"], 4), mean_std(m["normal_consistency"], 4), f"{m['parameters']:,}",
                     f"{m['lr']:g}", f"{m['seconds']:.0f}"])
    return markdown_table(["method", "Chamfer ([−1, 1]³ frame)", "normal consistency", "parameters", "lr",
                           "train seconds"], rows)


@generator("sdf-chamfer")
def sdf_chamfer(r) -> str:
    methods = r["sdf-quick"]["methods"]
    return ", ".join(f"{label} {mean(methods[key]['chamfer']):.4f}" for key, label in ROWS)
