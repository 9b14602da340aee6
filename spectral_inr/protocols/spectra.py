"""exp-spectra's sizes: activation statistics, spectral bias, TUNER's expansion, NTK spectra (ours, not a paper's).

The quantities follow the papers (SIREN's arcsine/Gaussian activation laws,
SIREN²'s noise scales, TUNER's Theorems 1–2, the NTK view of spectral bias); the
grids, widths, step counts and seeds are our choices, sized to this 2-core CPU
(``quick``) or to a GPU or patience (``paper``).  Tests shrink ``QUICK`` with
``dataclasses.replace``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

# Adam learning rates per model of the spectral-bias section (ours: each stable on the 1-D mixture)
BIAS_LR = {"relu": 1e-3, "relu+ff": 1e-3, "siren": 1e-4, "tuner": 5e-4}


@dataclass(frozen=True)
class Activations:
    """SIREN vs SIREN² at init on a dense 1-D grid (audio-like)."""
    n: int                                  # grid points on [−1, 1]
    width: int
    depth: int                              # sine layers
    seed: int = 0
    chirp: Tuple[float, float] = (0.0, 0.2)  # the chirp SIREN²'s scales come from, cycles per sample
    models: Optional[Tuple[str, ...]] = None  # None = siren, siren-audio, siren2


@dataclass(frozen=True)
class SpectralBias:
    """Per-band relative error over training, full-batch Adam, engine-trained."""
    n: int                                  # samples of the 1-D sine mixture
    width: int
    depth: int
    tuner_width: int
    ff_sigma: float                         # Fourier features: σ of the frequencies
    ff_features: int
    steps: int
    every: int                              # steps between error records
    seeds: int
    image_side: Optional[int]               # the cameraman at side² as a second signal; None = none
    image_steps: int
    lr: Mapping[str, float] = dataclasses.field(default_factory=lambda: dict(BIAS_LR))
    models: Optional[Tuple[str, ...]] = None  # None = relu, relu+ff, siren, tuner


@dataclass(frozen=True)
class TunerExpansion:
    """A one-hidden-layer TUNER trained on a periodic 1-D signal, then its Theorem 1–2 expansion checked."""
    n: int                                  # training points on one period
    check_n: int                            # points the check samples one period at
    m: int                                  # integer input frequencies
    bandlimit: int
    width: int
    steps: int
    lr: float
    orders: Tuple[int, ...]                 # truncation orders K of the expansion
    target: Tuple[Tuple[int, float], ...]   # (integer frequency, amplitude) of the target's sines


@dataclass(frozen=True)
class NtkSpectra:
    """NTK eigen-spectra at init on a 2-D grid over seeds."""
    side: int
    width: int
    depth: int
    tuner_m: int
    tuner_bandlimit: int
    seeds: int


@dataclass(frozen=True)
class SpectraStudy:
    name: str
    act: Activations
    bias: SpectralBias
    tuner: TunerExpansion
    ntk: NtkSpectra


# quick: ≲ 3 min on a loaded 2-core CPU. 1-D grids only, 1 seed for the bias curves.
QUICK = SpectraStudy(
    "quick",
    act=Activations(n=4096, width=128, depth=3),
    bias=SpectralBias(n=256, width=64, depth=3, tuner_width=32, ff_sigma=4.0, ff_features=64, steps=600, every=25,
                      seeds=1, image_side=None, image_steps=0),
    tuner=TunerExpansion(n=128, check_n=512, m=16, bandlimit=24, width=32, steps=1500, lr=1e-3, orders=(1, 2, 3, 4),
                         target=((2, 1.0), (5, 0.6), (11, 0.5), (31, 0.3), (45, 0.2))),
    ntk=NtkSpectra(side=16, width=64, depth=3, tuner_m=32, tuner_bandlimit=5, seeds=3))

# paper: a 16k-sample activation grid at width 256; a 1024-sample mixture + the 64×64 cameraman for the bias
# curves, 3 seeds, 3000/2000 steps; a 32-frequency TUNER (width 128, 5000 steps, orders ≤ 3: order 4 would be
# 0.6M terms × 128 neurons); the NTK on a 32×32 grid at width 128 over 5 seeds.
PAPER = SpectraStudy(
    "paper",
    act=Activations(n=16384, width=256, depth=3),
    bias=SpectralBias(n=1024, width=256, depth=3, tuner_width=128, ff_sigma=4.0, ff_features=256, steps=3000,
                      every=50, seeds=3, image_side=64, image_steps=2000),
    tuner=TunerExpansion(n=256, check_n=1024, m=32, bandlimit=48, width=128, steps=5000, lr=1e-3, orders=(1, 2, 3),
                         target=((2, 1.0), (5, 0.6), (11, 0.5), (23, 0.4), (61, 0.3), (97, 0.2))),
    ntk=NtkSpectra(side=32, width=128, depth=3, tuner_m=128, tuner_bandlimit=10, seeds=5))

SPECTRA = {p.name: p for p in (QUICK, PAPER)}
