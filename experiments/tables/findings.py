"""docs/findings.md: the DFT gist's protocol per seed (results/dft-paper.json)."""
from __future__ import annotations

from experiments.formatting import markdown_table
from experiments.tables.registry import generator


@generator("dft-paper-seeds")
def dft_paper_seeds(r) -> str:
    d = r["dft-paper"]
    epochs = d["protocol"]["epochs"]
    rows = [[m["seed"], m["epoch_mean"]["min_epoch"], f"{m['epoch_mean']['final']:.2e}",
             "yes" if m["epoch_mean"]["rises"] else "no", m["gist_check"]["allclose"],
             f"{m['gist_check']['max_abs_err']:.2e}"] for m in d["members"]]
    return markdown_table(["seed", "epoch of min (epoch mean)", f"loss at epoch {epochs}", f"rises inside {epochs} epochs",
                  "gist `np.allclose`", "max abs err"], rows)


@generator("dft-paper-errors")
def dft_paper_errors(r) -> str:
    errs = [m["gist_check"]["max_abs_err"] for m in r["dft-paper"]["members"]]
    return f"max error {min(errs):.1e} … {max(errs):.1e}"
