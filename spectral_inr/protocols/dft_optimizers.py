"""Our optimizer study on the DFT layer (not a paper's protocol): which optimizer makes the loss rise late.

The task is the seed gist's (:mod:`spectral_inr.protocols.dft`: a bias-free
``Dense(2N)`` learning the N-point DFT on stacked ``[Re, Im]``), trained full
batch for much longer than the gist's 100 epochs.  Every value here is our
choice; ``docs/findings.md`` says what the runs showed.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType
from typing import Optional, Tuple

B1 = 0.9                    # Adam β1: optax's (= Keras's, = PyTorch's) default
GD_MOMENTUM = 0.9           # ours: heavy-ball GD's momentum
FAMILIES = ("adam", "amsgrad", "gd")   # the optimizer families a member can pick (traced index)

# Adam's defaults (optax: lr 1e-3, β2 0.999, ε 1e-8); decay 1 = cosine decay of the lr to 0 over the run.
ADAM_DEFAULT = MappingProxyType(dict(lr=1e-3, b2=0.999, eps=1e-8, decay=0.0))
# name -> (family, hyper-parameters over ADAM_DEFAULT); ours: one change from Adam's defaults per variant.
VARIANTS = MappingProxyType({
    "adam (β2=0.999, ε=1e-8)": ("adam", dict(ADAM_DEFAULT)),
    "adam ε=1e-5": ("adam", {**ADAM_DEFAULT, "eps": 1e-5}),
    "adam ε=1e-4": ("adam", {**ADAM_DEFAULT, "eps": 1e-4}),
    "adam β2=0.99": ("adam", {**ADAM_DEFAULT, "b2": 0.99}),
    "adam + cosine lr decay": ("adam", {**ADAM_DEFAULT, "decay": 1.0}),
    "amsgrad": ("amsgrad", {}),
    "GD, momentum 0.9, lr 10": ("gd", {"lr": 10.0}),
    # `long` only
    "adam ε=1e-6": ("adam", {**ADAM_DEFAULT, "eps": 1e-6}),
    "adam ε=1e-3": ("adam", {**ADAM_DEFAULT, "eps": 1e-3}),
    "adam β2=0.9999": ("adam", {**ADAM_DEFAULT, "b2": 0.9999}),
    "adam lr=1e-4": ("adam", {**ADAM_DEFAULT, "lr": 1e-4}),
    "adam lr=1e-2": ("adam", {**ADAM_DEFAULT, "lr": 1e-2}),
})
DEFAULT = "adam (β2=0.999, ε=1e-8)"   # the variant the figures and the saturation check follow
CONTRAST = "adam ε=1e-4"              # a large-ε contrast in the diagnostics figure
SHORT_MEMORY = "adam β2=0.99"         # its tail loss is the floor the default's tail is compared with


@dataclass(frozen=True)
class ButterflyRun:
    """The butterfly network (bit reversal + log2 N trainable radix-2 stages) on the same data, Adam."""
    steps: int
    seeds: int
    lr: Tuple[float, ...]


@dataclass(frozen=True)
class DftOptimizerStudy:
    name: str
    samples: int                    # training vectors (full batch)
    steps: int                      # full-batch steps of the dense sweep
    seeds: int                      # seeds per variant
    log_every: int                  # steps between optimizer-statistics records
    chunk: int                      # steps per compiled chunk (engine)
    variants: Tuple[str, ...]       # keys of VARIANTS: all × seeds are members of one vmapped sweep
    long_steps: Optional[int]       # the default variant alone (1 seed) for this many steps; None = no such run
    butterfly: ButterflyRun
    n: int = 32                     # the gist's N


QUICK = DftOptimizerStudy(
    "quick", samples=512, steps=12_000, seeds=2, log_every=10, chunk=2000, variants=tuple(VARIANTS)[:7],
    long_steps=24_000, butterfly=ButterflyRun(steps=4000, seeds=2, lr=(3e-3,)))
LONG = DftOptimizerStudy(
    "long", samples=4096, steps=60_000, seeds=5, log_every=20, chunk=5000, variants=tuple(VARIANTS),
    long_steps=None, butterfly=ButterflyRun(steps=20_000, seeds=5, lr=(1e-3, 3e-3)))
DFT_OPTIMIZERS = {p.name: p for p in (QUICK, LONG)}


def config(p: DftOptimizerStudy) -> dict:
    """The study as the plain dict the results' ``config`` holds."""
    return dataclasses.asdict(p)
