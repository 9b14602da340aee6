"""Poisson image fitting: an image from its gradient or from its Laplacian (SIREN §4.1, issue 20 §2).

``paper`` is SIREN's Poisson protocol (vsitzmann/siren ``experiment_scripts/train_poisson_grad_img.py``
and ``train_poisson_lapl_img.py`` with ``dataio.Implicit2DWrapper`` and ``modules.SingleBVPNet``):
the grayscale cameraman (``dataio.Camera``: ``skimage.data.camera()``) at ``sidelength=256``,
``SingleBVPNet(type="sine")`` — ``hidden_features=256``, ``num_hidden_layers=3``, and ``FCBlock``
puts a first sine layer before the three hidden ones, so **four** sine layers of 256 (``depth=4``
here) then a linear output — Adam at ``lr=1e-4`` (``training.train``: constant), ``num_epochs=10000``
steps (one image, ``batch_size`` larger than the dataset: every step sees the whole image), loss
``gradients_mse`` resp. ``laplace_mse``.  Targets: :mod:`spectral_inr.poisson.targets` (SIREN's
filters, in coordinate units).  Every method keeps SIREN's rate and budget here (TUNER's own
paper has no Poisson protocol).

``quick`` is this 2-core CPU's (shared) version of the issue's comparison: the cameraman (the
bundled 256² asset, resized) and two Kodak images (the 512² centre crop resized, as exp-kodak's
quick profile, in BT.601 gray like SIREN's ``BSD500ImageDataset``) at 128², SIREN, TUNER, FINER
and SIREN² with two sine layers of 64 each (TUNER: 64 integer frequencies below its bandlimit
128 // 6 = 21, then one bounded layer of 64; ~4.3k parameters for every method), plus TUNER
without its bound projection (the same network trained by plain Adam: what the bounds do),
gradient- and Laplacian-supervised, 2 seeds, whole-image batches, 200 steps at lr 1e-3.  A probe
on the cameraman (SIREN 2×64, gradient) reached 19.5 dB after 300 steps at SIREN's 1e-4 and
30.1 dB at 1e-3: at a few hundred steps SIREN's rate measures how far each method got, not what
it recovers.  What ``quick`` reduces is listed in its ``reduced`` field.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional, Tuple

#: SIREN, TUNER (with its bounds), FINER, SIREN², and TUNER trained without its bound projection
METHODS = ("siren", "tuner", "finer", "siren2", "tuner-free")
SUPERVISED = ("gradient", "laplacian")


@dataclass(frozen=True)
class PoissonFit:
    name: str
    # --- images -----------------------------------------------------------------------------
    cameraman: bool = True                      # dataio.Camera (the bundled asset: scikit-image's camera, 256²)
    kodak: Tuple[int, ...] = ()                 # Kodak images: 512² centre crop (exp-kodak), resized to `side`
    kodak_crop: int = 512
    side: int = 256                             # train_poisson_*.py: Implicit2DWrapper(sidelength=256)
    gray: bool = True                           # SIREN's Poisson images are grayscale (Camera; BSD500 convert("L"))
    # --- models -----------------------------------------------------------------------------
    methods: Tuple[str, ...] = METHODS[:4]
    supervise: Tuple[str, ...] = SUPERVISED
    width: int = 256                            # SingleBVPNet hidden_features=256
    depth: int = 4                              # FCBlock: first layer + num_hidden_layers=3 → 4 sine layers
    tuner_width: Optional[int] = None           # None: recipes.signal's (416, or as many frequencies as fit)
    tuner_depth: Optional[int] = None           # None: TUNER's one bounded layer (config_init.yml)
    # --- optimisation -----------------------------------------------------------------------
    lr: float = 1e-4                            # train_poisson_*.py --lr 1e-4 (Adam, constant), every method
    steps: int = 10_000                         # --num_epochs 10000, one whole-image step per epoch
    seeds: int = 1
    reduced: str = ""                           # what a reduced variant changes

    def checks(self) -> None:
        bad = [m for m in self.methods if m not in METHODS]
        if bad:
            raise ValueError(f"unknown methods {bad}; choose from {METHODS}")
        if any(s not in SUPERVISED for s in self.supervise):
            raise ValueError(f"supervise must be among {SUPERVISED}, got {self.supervise}")
        if not math.isfinite(self.lr) or self.lr <= 0 or self.steps < 1 or self.seeds < 1:
            raise ValueError(f"lr, steps and seeds must be positive, got {self.lr}, {self.steps}, {self.seeds}")


SIREN_POISSON = PoissonFit("paper")
QUICK = dataclasses.replace(
    SIREN_POISSON, name="quick", kodak=(5, 23), side=128, methods=METHODS, width=64, depth=2, tuner_width=64,
    tuner_depth=1, lr=1e-3, steps=200, seeds=2,
    reduced="cameraman and kodim05, kodim23 (512² centre crops) at 128², gray; 2 sine layers × 64 for every method "
            "(TUNER: 64 frequencies + one bounded layer of 64), plus TUNER without bounds; 200 whole-image steps at "
            "lr 1e-3 instead of 10,000 at 1e-4; 2 seeds")

POISSON = {"quick": QUICK, "paper": SIREN_POISSON}

__all__ = ["PoissonFit", "METHODS", "SUPERVISED", "SIREN_POISSON", "QUICK", "POISSON"]
