"""The command line's per-model defaults (``spectral-inr fit``/``sweep``), as data.

One :class:`SignalModel` per model the CLI fits to a signal.  The parser reads
them for its flags and ``--help`` lines, :mod:`spectral_inr.recipes.signal` for
the models it builds — one copy of every default.  JAX-free, so ``--help``
stays instant.  Values taken from a paper's protocol point at it; the rest are
this library's choices (``docs/fidelity.md``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from spectral_inr.protocols.siren2 import OFFICIAL as _AUDIO
from spectral_inr.protocols.tuner import BANDLIMIT_DIVISOR
from spectral_inr.protocols.tuner import OFFICIAL as _KODAK

#: hidden ω0 of every sine model (TUNER's ω_G): config_init.yml hidden_omega_0 30; SIREN's ω0 = 30
OMEGA0 = _KODAK.omega_g

#: TUNER's smallest bandlimit on an axis: the sampler needs 0 < l = B // 3 < B; a video/volume axis shorter
#: than 12 samples (n // 6 < 2, e.g. an 8-frame clip) gets this, which is ≤ Nyquist for n ≥ 4 samples
MIN_BANDLIMIT = 2

BANDLIMIT_HELP = (f"TUNER's bandlimit in cycles per signal: one int, or a comma list with one per grid axis "
                  f"(video t,y,x: 8,40,40) (default: images smallest side // {BANDLIMIT_DIVISOR}; video and volumes "
                  f"n // {BANDLIMIT_DIVISOR} per axis, at least {MIN_BANDLIMIT})")


@dataclass(frozen=True)
class SignalModel:
    """A model's CLI defaults.  ``first_omega0``/``audio_first_omega0``: the first
    layer's ω0 on images and on audio (``None``: not a flag of this model)."""

    name: str
    title: str                          # paper, for --help
    lr: float
    width: int
    depth: int
    omega0: Optional[float] = OMEGA0    # hidden ω0; None: no sine layers (ffn)
    first_omega0: Optional[float] = None
    audio_first_omega0: Optional[float] = None
    sigma: Optional[float] = None       # Fourier features: B ~ N(0, σ²)
    features: Optional[int] = None      # Fourier features: columns of B
    summary: str = ""                   # what the model is, one phrase
    scale: Optional[float] = None       # Gauss's s, WIRE's s0 (``--scale``; None: not a flag of this model)
    layers: str = "sine layers"         # what the hidden layers are, for --help

    def help(self) -> str:
        """The model's ``--help`` line, written from the values above."""
        if self.name == "tuner":
            shape = (f"one bounded sine layer × {self.width} (fewer when fewer frequencies fit), integer input "
                     f"frequencies below the bandlimit (side // {BANDLIMIT_DIVISOR}, per axis in 3-D)")
        elif self.features is not None:
            shape = f"random B ~ N(0, {self.sigma:g}²), {self.features} features, ReLU MLP {self.depth}×{self.width}"
        else:
            audio = (f" (audio: first ω0 {self.audio_first_omega0:g})"
                     if self.audio_first_omega0 not in (None, self.first_omega0) else "")
            first = (f", first ω0 {self.first_omega0:g}"
                     if self.first_omega0 not in (None, self.omega0) and not audio else "")
            shape = (f"{self.depth} {self.layers} × {self.width}"
                     + (f", ω0 {self.omega0:g}" if self.omega0 is not None else "") + first + audio
                     + (f", s {self.scale:g}" if self.scale is not None else "")
                     + (f", RFF σ {self.sigma:g}" if self.sigma is not None else ""))
        return f"{self.title}: {self.summary + ', ' if self.summary else ''}{shape}; lr {self.lr:g}"


SIGNAL_MODELS = {m.name: m for m in (
    # lr 1e-4: SIREN² learn_audios.py config.lr (also SIREN's own image fits); 3×256: SIREN's image network width
    SignalModel("siren", "SIREN (Sitzmann et al. 2020)", _AUDIO.lr, 256, 3, first_omega0=OMEGA0,
                audio_first_omega0=_AUDIO.siren_first_omega0),
    # the poster's 416 neurons, config_init.yml's one hidden layer and lr 5e-4
    SignalModel("tuner", "TUNER (Novello et al. 2024)", _KODAK.lr, _KODAK.width, _KODAK.depth),
    SignalModel("siren2", "SIREN² (2025)", _AUDIO.lr, 256, 3, first_omega0=_AUDIO.siren2_first_omega0,
                audio_first_omega0=_AUDIO.siren2_first_omega0,
                summary="SIREN with Gaussian weight noise scaled from the signal's spectral centroid"),
    SignalModel("finer", "FINER (Liu et al. 2024)", _AUDIO.lr, 256, 3, first_omega0=OMEGA0,
                audio_first_omega0=OMEGA0, summary="SIREN with variable-periodic sin((|z|+1)z) activations"),
    # Tancik et al.'s image setting: σ = 10, 256 features, lr 1e-3
    SignalModel("ffn", "Fourier features (Tancik et al. 2020)", 1e-3, 256, 3, omega0=None, sigma=10.0,
                features=256),
    # --- the baseline zoo (issue 21): FINER's image scripts (train_image.py: first + 3 hidden layers × 256,
    # run_<model>.sh: the lr and scales) where they have the model, else the model's own code; docs/fidelity.md
    SignalModel("gauss", "Gauss (Ramasinghe & Lucey 2022)", 5e-3, 256, 4, omega0=None, scale=30.0,
                layers="Gaussian layers", summary="exp(−(s·z)²), PyTorch init"),          # run_gauss.sh
    SignalModel("wire", "WIRE (Saragadam et al. 2023)", 5e-3, 256, 4, omega0=20.0, scale=10.0,
                layers="complex Gabor layers", summary="exp(jω0·z − |s·z|²), hidden width ÷ √2"),  # run_wire.sh
    SignalModel("wire2d", "WIRE-2D (Saragadam et al. 2023)", 5e-3, 300, 3, omega0=10.0, scale=10.0,
                layers="2-D Gabor layers", summary="a second linear map in the Gaussian window, width ÷ 2"),  # wire_ct.py
    SignalModel("relu-pe", "ReLU+PE (NeRF positional encoding)", 1e-3, 256, 4, omega0=None, layers="ReLU layers",
                summary="sin/cos(2^k·π·x) for k < ⌊log2(side/4)⌋ (WIRE's Nyquist rule)"),  # run_pemlp.sh lr
    SignalModel("siren-rff", "SIREN-RFF (SIREN² baseline)", _AUDIO.lr, 256, 4, first_omega0=OMEGA0,
                audio_first_omega0=3000.0, sigma=30.0,                 # networks.py SIREN_RFF / RFF defaults
                summary="SIREN on [cos xB, sin xB] features"),
    # multiplicative filter networks: mfn/experiments/image_rep.py (256 wide, 3 layers, input scale 256, Adam 1e-2)
    SignalModel("fourier-net", "FourierNet (Fathony et al. 2021)", 1e-2, 256, 3, omega0=None, layers="filter layers",
                summary="multiplicative filters sin(Ωx + φ), input scale 256"),
    SignalModel("gabor-net", "GaborNet (Fathony et al. 2021)", 1e-2, 256, 3, omega0=None, layers="filter layers",
                summary="multiplicative Gabor filters, input scale 256"),
    # config/img/bacon.ini: 256 wide, 4 layers, multi-scale heads (1, 2, 4), AMSGrad 5e-3, band limit from the grid
    SignalModel("bacon", "BACON (Lindell et al. 2022)", 5e-3, 256, 4, omega0=None, layers="band-limited filter layers",
                summary="multiplicative filters with frozen integer frequencies up to the grid's Nyquist limit, "
                        "heads at layers 1, 2, 4 (multi-scale loss), AMSGrad"),
    # no authors' code for HOSC and sinc: SIREN's init, ω0 and lr (our choice; docs/fidelity.md)
    SignalModel("hosc", "HOSC (Serrano et al. 2024)", _AUDIO.lr, 256, 4, summary="tanh(8·sin(ω0·z))"),
    SignalModel("sinc", "sinc (Saratchandran et al. 2024)", _AUDIO.lr, 256, 4, summary="sinc(ω0·z), normalised"),
)}

#: flag → the models it applies to (the CLI rejects it for any other)
APPLIES_TO = {
    "omega0": tuple(n for n, m in SIGNAL_MODELS.items() if m.omega0 is not None),
    "first_omega0": tuple(n for n, m in SIGNAL_MODELS.items() if m.first_omega0 is not None),
    "scale": tuple(n for n, m in SIGNAL_MODELS.items() if m.scale is not None),
    "bandlimit": ("tuner",),
    "learned_bounds": ("tuner",),
}


#: what a fit is trained on (``--supervise``): the values, or only an image's gradient or Laplacian (Poisson,
#: SIREN §4.1; :mod:`spectral_inr.poisson`)
SUPERVISIONS = ("value", "gradient", "laplacian")


def first_omega0(model: str, kind: str) -> Optional[float]:
    """The default first-layer ω0 of ``model`` on a signal of ``kind`` (``"image"``/``"audio"``)."""
    m = SIGNAL_MODELS[model]
    return m.audio_first_omega0 if kind == "audio" else m.first_omega0


__all__: Tuple[str, ...] = ("SignalModel", "SIGNAL_MODELS", "APPLIES_TO", "OMEGA0", "MIN_BANDLIMIT", "BANDLIMIT_HELP",
                            "SUPERVISIONS", "first_omega0")
