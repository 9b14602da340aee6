"""A dataset of neural fields: 256 MNIST digits, each its own SIREN, fitted in one vmapped program
and saved as one .npz (every field's weights, its label and its PSNR), then read back.

    python examples/mnist_fields.py [--data-dir DIR] [--download] [--count N] [--out DIR] [--tiny]

MNIST comes from --data-dir or $SPECTRAL_INR_DATA (the IDX .gz files, directly or in mnist/); with
--download it is fetched once (sha256-checked); otherwise synthetic seven-segment digits stand in,
so the example runs anywhere. --tiny (or SPECTRAL_INR_EXAMPLE_TINY=1): 8 digits, 200 steps.
Full size: 256 test digits, SIREN 2×16 (337 weights: fewer than the 784 pixels, so each field is a
lossy code of its digit, not a copy), 1,000 full-batch Adam steps.
"""
import argparse
import os
from pathlib import Path

import jax
import numpy as np

from spectral_inr import evaluation, metrics, models
from spectral_inr.data import ENV_DATA, load_mnist
from spectral_inr.signals import Signal
from spectral_inr.train import Fitter, sweep

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data-dir", help="folder with MNIST's IDX files (default: $SPECTRAL_INR_DATA)")
parser.add_argument("--download", action="store_true", help="download MNIST if it is not found")
parser.add_argument("--count", type=int, help="how many digits (default 256; --tiny: 8)")
parser.add_argument("--out", default="runs/example-mnist-fields", help="where fields.npz goes")
parser.add_argument("--tiny", action="store_true", default=os.environ.get("SPECTRAL_INR_EXAMPLE_TINY") == "1")
args = parser.parse_args()
count = args.count or (8 if args.tiny else 256)
steps = 200 if args.tiny else 1000
WIDTH, DEPTH = 16, 2

SEGMENTS = {0: "abcdef", 1: "bc", 2: "abdeg", 3: "abcdg", 4: "bcfg", 5: "acdfg", 6: "acdefg", 7: "abc",
            8: "abcdefg", 9: "abcdfg"}
ENDS = {"a": (0, 0, 1, 0), "b": (1, 0, 1, 1), "c": (1, 1, 1, 2), "d": (0, 2, 1, 2), "e": (0, 1, 0, 2),
        "f": (0, 0, 0, 1), "g": (0, 1, 1, 1)}   # (x0, y0, x1, y1) on a 1×2 box


def synthetic_digits(n: int, seed: int = 0):
    """Seven-segment digits drawn as soft strokes, randomly shifted, slanted and thickened: (n, 28, 28) uint8."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    y, x = np.mgrid[0:28, 0:28].astype(np.float32)
    images = np.zeros((n, 28, 28), np.float32)
    for i, label in enumerate(labels):
        dx, dy = rng.uniform(-2, 2, 2)
        slant, width, height, thick = rng.uniform(-0.25, 0.25), rng.uniform(8, 12), rng.uniform(8, 10), rng.uniform(1.0, 2.0)
        for s in SEGMENTS[int(label)]:
            x0, y0, x1, y1 = ENDS[s]
            p0 = np.array([14 + dx + width * (x0 - 0.5) - slant * height * (y0 - 1), 14 + dy + height * (y0 - 1)])
            p1 = np.array([14 + dx + width * (x1 - 0.5) - slant * height * (y1 - 1), 14 + dy + height * (y1 - 1)])
            d = p1 - p0
            t = np.clip(((x - p0[0]) * d[0] + (y - p0[1]) * d[1]) / (d @ d), 0, 1)
            dist = np.hypot(x - p0[0] - t * d[0], y - p0[1] - t * d[1])
            images[i] = np.maximum(images[i], np.clip(thick + 0.5 - dist, 0, 1))
    return (images * 255).round().astype(np.uint8), labels


data_dir = args.data_dir or os.environ.get(ENV_DATA)
found = data_dir and any((Path(data_dir) / sub / "t10k-images-idx3-ubyte.gz").exists() for sub in (".", "mnist"))
if found or args.download:
    images, labels = load_mnist("test", data_dir=args.data_dir)   # $SPECTRAL_INR_DATA, else a download
    images, labels, source = images[:count], labels[:count], "MNIST test set"
else:
    images, labels = synthetic_digits(count)
    source = "synthetic seven-segment digits (no MNIST found: pass --data-dir, set $SPECTRAL_INR_DATA or --download)"

# --- K digits = K members of one sweep: each member fits its own target on the shared 28×28 grid ----------
digits = [Signal("image", (im[..., None] / 255.0).astype(np.float32), f"digit-{i}") for i, im in enumerate(images)]
coords = digits[0].coords()                                          # (784, 2) in [-1, 1]²
targets = np.stack([d.targets() for d in digits])                   # (K, 784, 1)
fitter = Fitter(lambda hp: models.Siren(out_features=1, width=WIDTH, depth=DEPTH))
members = [{"lr": 1e-3, "seed": 0} for _ in digits]                 # one shared initialisation for every field
result = sweep(fitter, coords, targets, members, steps=steps, member_targets=True)
preds = evaluation.predict_members(fitter, result, digits[0])        # (K, 28, 28, 1)
psnr = np.array([float(metrics.psnr(np.clip(p, 0, 1), d.values)) for p, d in zip(preds, digits)])

# --- save: one array per weight, with a leading field axis; labels and scores beside them --------------------
flat = {"/".join(k.key for k in path): np.asarray(leaf) for path, leaf in
        jax.tree_util.tree_flatten_with_path(result.state.params)[0]}
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
np.savez(out / "fields.npz", labels=labels, psnr=psnr, **{"params/" + k: v for k, v in flat.items()})

# --- read back and decode one field from the file alone ------------------------------------------------------
with np.load(out / "fields.npz") as saved:
    params = {}
    for key in (k for k in saved.files if k.startswith("params/")):
        layer, name = key.split("/")[1:]
        params.setdefault(layer, {})[name] = saved[key][0]             # field 0
decoded = models.Siren(out_features=1, width=WIDTH, depth=DEPTH).apply({"params": params}, coords).reshape(28, 28, 1)

n_params = sum(v[0].size for v in flat.values())
print(f"{count} fields of {source}")
print(f"SIREN {DEPTH}x{WIDTH} ({n_params:,} parameters per field, {n_params / 784:.2f} per pixel), {steps} steps, "
      f"one program: {result.seconds:.1f} s ({count * steps / result.seconds:,.0f} field-steps/s)")
print(f"PSNR over the fields: mean {psnr.mean():.2f} dB, min {psnr.min():.2f}, max {psnr.max():.2f}")
per_label = "  ".join(f"{d}: {psnr[labels == d].mean():.1f}" for d in range(10) if (labels == d).any())
print(f"mean PSNR per label: {per_label}")
size = (out / "fields.npz").stat().st_size
print(f"wrote {out / 'fields.npz'} ({size / 1024:,.0f} KiB: {size / count / 1024:.2f} KiB per field in float32; "
      f"the 784 uint8 pixels are 0.77 KiB)")
print(f"field 0 (label {labels[0]}) decoded from the file: max |difference| {np.abs(decoded - preds[0]).max():.1e}")
