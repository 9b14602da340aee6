"""A sweep over seeds × ω0 as one vmapped, compiled program, and its result table.

    python examples/sweep_seeds_omega.py [IMAGE] [--tiny]

Every (ω0, seed) pair is a member of one sweep: ω0 is a traced hyper-parameter, so the SIREN is
compiled once for all of them (only what changes shapes — width, depth — needs separate sweeps).
--tiny (or SPECTRAL_INR_EXAMPLE_TINY=1): 24×24 pixels, 2 seeds × 2 ω0, 40 steps.
Full size: 64×64 cameraman, SIREN 2×64, 4 seeds × ω0 ∈ {5, 15, 30, 60, 120}, 300 steps.
"""
import argparse
import os

import numpy as np

from spectral_inr import evaluation, models
from spectral_inr.signals import load_signal
from spectral_inr.train import Fitter, grid, sweep

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("image", nargs="?", help="any image file (default: the bundled cameraman)")
parser.add_argument("--tiny", action="store_true", default=os.environ.get("SPECTRAL_INR_EXAMPLE_TINY") == "1")
args = parser.parse_args()
if args.tiny:
    size, seeds, omegas, steps = 24, 2, [10.0, 30.0], 40
else:
    size, seeds, omegas, steps = 64, 4, [5.0, 15.0, 30.0, 60.0, 120.0], 300

image = load_signal(args.image, resize=(size, size))
# hp["omega0"] is a traced scalar: the first layer's ω0 and the hidden layers' ω0 alike
fitter = Fitter(lambda hp: models.Siren(out_features=image.channels, width=64, depth=2,
                                        omega0=hp["omega0"], first_omega0=hp["omega0"]))
members = grid(seeds=seeds, omega0=omegas, lr=[1e-3])          # [{"omega0": 5.0, "lr": 0.001, "seed": 0}, ...]
result = sweep(fitter, image.coords(), image.targets(), members, steps=steps)
scores = evaluation.evaluate(fitter, result, image)             # psnr, ssim, gradient_psnr: one value per member

print(f"{len(members)} members ({seeds} seeds × {len(omegas)} ω0) on a {size}x{size} image, "
      f"{steps} steps, one program: {result.seconds:.1f} s")
print()
print("| ω0 | PSNR (dB) | SSIM | gradient PSNR (dB) | final loss |")
print("|---:|---|---|---|---|")
omega = np.array([m["omega0"] for m in members])
for w in omegas:
    pick = np.flatnonzero(omega == w)

    def cell(values, digits=2):
        v = np.asarray(values)[pick]
        return f"{v.mean():.{digits}f} ± {v.std():.{digits}f}"

    final = result.history["loss"][pick, -1]
    print(f"| {w:g} | {cell(scores['psnr'])} | {cell(scores['ssim'], 3)} | {cell(scores['gradient_psnr'])} | "
          f"{final.mean():.2e} |")
print()
print(f"mean ± std over {seeds} seeds; diverged members: {result.diverged or 'none'}")
