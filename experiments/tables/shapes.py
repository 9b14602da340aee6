"""docs/shapes.md and docs/findings.md: the signed-distance fits (results/sdf-quick.json)."""
from __future__ import annotations

from experiments.formatting import markdown_table, mean_std
from experiments.tables.registry import generator, mean

ROWS = (("siren", "SIREN"), ("tuner", "TUNER (3-D lattice)"), ("finer", "FINER"))
LABELS = dict(ROWS)


def _label(row: str) -> str:
    method, _, rest = row.partition(" ")
    return f"{LABELS.get(method, method)} {rest}".strip()


@generator("sdf-quick")
def sdf_quick(r) -> str:
    d = r["sdf-quick"]
    rows = []
    for key in d["method_order"]:
        m = d["methods"][key]
        name = f"{_label(key)}, {m['n_frequencies']} frequencies" if "n_frequencies" in m else _label(key)
        rows.append([name, mean_std(m["chamfer"], 4), mean_std(m["normal_consistency"], 4), f"{m['parameters']:,}",
                     f"{m['lr']:g}", f"{m['seconds']:.0f}"])
    return markdown_table(["method", "Chamfer ([−1, 1]³ frame)", "normal consistency", "parameters", "lr",
                           "train seconds"], rows)


@generator("sdf-chamfer")
def sdf_chamfer(r) -> str:
    d = r["sdf-quick"]
    return ", ".join(f"{_label(key)} {mean(d['methods'][key]['chamfer']):.4f}" for key in d["method_order"])
