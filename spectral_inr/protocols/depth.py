"""The depth study (issue 20 §4; TUNER's open question 1: how many hidden layers?).

SIREN, TUNER and FINER with 1–4 hidden layers at a fixed parameter budget, on the
Kodak images of TUNER's protocol (:mod:`spectral_inr.protocols.tuner`) and one
clip of SIREN²'s audio protocol (:mod:`spectral_inr.protocols.siren2`).  Every
signal, optimiser and step count is the base protocol's (derived with
``dataclasses.replace``); this module adds only the depths, the width rule and
what is measured.

**Hidden layers.**  TUNER with ``h`` hidden layers is its integer-frequency
encoding, ``h`` sine layers and a linear output (``depth=h``); SIREN and FINER with
``h`` hidden layers have a first sine layer on the coordinates, then ``h`` sine
layers (``depth=h+1`` sine layers), so both hold ``h`` sine-of-sine compositions.

**Budget and width rule.**  One budget per signal: the parameter count of that
protocol's own network, ``Kodak``: TUNER's one hidden layer of 128 on 128 input
frequencies (the ``quick`` Kodak net, 17,027 parameters); ``audio``: SIREN's 4 sine
layers × 64 (3 hidden layers, the ``quick`` audio net, 12,673).  For every
(method, hidden layers) the width is the integer minimising
``|parameters(width) − budget|`` (:func:`width_for`); :func:`parameters` counts
every trainable parameter (TUNER's phases included, its frozen integer frequencies
not) and ``tests/test_depth.py`` checks it against the built networks.  Every
network is within :attr:`DepthStudy.tolerance` (2 %) of its budget.  TUNER keeps
the base protocol's input frequencies at every depth (the quick Kodak list's 128
rows; 64 sampled below the bandlimit on audio) and only its hidden width changes:
the frequency dictionary is fixed and depth adds compositions.

**TUNER's bounds past the first hidden layer.**  Theorem 1 applies to any sine
layer whose inputs are sines: a neuron ``sin(ω_G(Σ_i W_ji sin θ_i + b_j))`` of
layer ``l ≥ 2``, with ``θ_i`` the pre-activations of layer ``l − 1``, expands as
``Σ_k ∏_i J_{k_i}(ω_G W_ji) sin(⟨k, θ⟩ + ω_G b_j)`` and Theorem 2 bounds each
amplitude by ``∏_i (|ω_G W_ji|/2)^{|k_i|}/|k_i|!``.  So the first layer's rule
``|ω_G W_ji| ≤ c`` bounds the order of the combinations of the previous layer's
phases that a deeper layer generates, with ``c < 2`` for amplitudes that decay
with the order.  What changes past the first layer: each ``θ_i`` carries a band
of frequencies, not one, so there are no low/high classes (one scalar ``c_deep``
for every entry) and an order-``|k|₁`` term spreads ``|k|₁`` times that band.
We use ``c_deep = 1.0`` (``config_init.yml`` ``bounds: [[1., .6], 1.]``, applied
as ``bounds[1]/ω_G`` to the second hidden layer by the authors'
``ablations/ablation_deep_bounds.py``), the library's default; the alternative
measured is no bound past the first hidden layer (the variant
``tuner-deep-unbounded``: same init, the projection skips those layers).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from spectral_inr.protocols.siren2 import SIREN2_AUDIO, AudioFit
from spectral_inr.protocols.tuner import TUNER_KODAK, TunerKodak

METHODS = ("siren", "tuner", "finer")
#: the alternative bound, run at every depth with a layer past the first
VARIANTS = ("tuner-deep-unbounded",)
SIGNALS = ("kodak", "audio")


def parameters(method: str, hidden: int, width: int, *, in_dim: int, out: int,
               n_frequencies: int | None = None) -> int:
    """Trainable parameters of ``method`` with ``hidden`` hidden sine layers of ``width``.

    SIREN/FINER: first sine layer ``in_dim → width``, ``hidden`` layers ``width → width``, linear
    ``width → out`` (each with a bias).  TUNER: one phase per input frequency (the integer
    frequencies are frozen), first hidden ``n_frequencies → width``, ``hidden − 1`` layers
    ``width → width``, linear output.
    """
    if hidden < 1 or width < 1:
        raise ValueError(f"need hidden >= 1 and width >= 1, got {hidden}, {width}")
    readout = width * out + out
    if method.startswith("tuner"):
        n = width if n_frequencies is None else n_frequencies
        return n + (n * width + width) + (hidden - 1) * (width * width + width) + readout
    if method in ("siren", "finer", "finer++"):
        return (in_dim * width + width) + hidden * (width * width + width) + readout
    raise ValueError(f"unknown method {method!r}")


def width_for(method: str, hidden: int, budget: int, **shape) -> int:
    """The width whose :func:`parameters` is closest to ``budget`` (the narrower on a tie)."""
    top = 2 + math.isqrt(budget)          # hidden >= 1 layers of width w hold >= w² parameters
    if method.startswith("tuner"):        # one hidden layer after n inputs: about n·w
        top = max(top, budget // max(1, shape.get("n_frequencies") or 1) + 2)
    return min(range(1, top + 1), key=lambda w: (abs(parameters(method, hidden, w, **shape) - budget), w))


@dataclass(frozen=True)
class DepthStudy:
    name: str
    kodak: TunerKodak                      # images, crop/resize, split, steps, TUNER's settings
    audio: AudioFit                        # clip window, steps, optimiser
    hidden_layers: tuple[int, ...] = (1, 2, 3, 4)
    methods: tuple[str, ...] = METHODS
    variants: tuple[str, ...] = VARIANTS
    tolerance: float = 0.02                # every network within 2 % of its budget
    # --- audio: what the image protocol has and the audio one lacks ------------------------------
    audio_test_fraction: float = 0.05      # TUNER's utils.get_database percentage_test, on samples
    audio_tuner_frequencies: int | None = None   # TUNER's input neurons on audio; None: the audio protocol's width
    audio_tuner_lr: float = 5e-4           # TUNER's config_init.yml lr (SIREN/FINER: the audio protocol's 1e-4)
    # --- TUNER's spectrum on one period ----------------------------------------------------------
    spectrum_order: int = 2                # tuner_spectrum_check's max_order K (|k|₁ ≤ K)
    reduced: str = ""

    def budget(self, signal: str) -> int:
        """Parameters of the base protocol's own network: Kodak, TUNER with ``kodak.depth`` hidden layers of
        ``kodak.width`` on ``kodak.width`` frequencies; audio, SIREN with ``audio.depth`` sine layers (one
        fewer hidden) of ``audio.width``."""
        if signal == "kodak":
            return parameters("tuner", self.kodak.depth, self.kodak.width, **self.shape(signal, "tuner"))
        return parameters("siren", self.audio.depth - 1, self.audio.width, **self.shape(signal, "siren"))

    def shape(self, signal: str, method: str) -> dict:
        """``in_dim``, ``out`` (and TUNER's ``n_frequencies``) of ``method`` on ``signal``."""
        if signal not in SIGNALS:
            raise ValueError(f"signal must be one of {SIGNALS}, got {signal!r}")
        in_dim, out = (2, 3) if signal == "kodak" else (1, 1)
        shape = {"in_dim": in_dim, "out": out}
        if method.startswith("tuner"):
            shape["n_frequencies"] = (self.kodak.width if signal == "kodak"
                                      else self.audio_tuner_frequencies or self.audio.width)
        return shape

    def width(self, signal: str, method: str, hidden: int) -> int:
        return width_for(method, hidden, self.budget(signal), **self.shape(signal, method))

    def count(self, signal: str, method: str, hidden: int) -> int:
        return parameters(method, hidden, self.width(signal, method, hidden), **self.shape(signal, method))

    def runs(self) -> tuple[tuple[str, int], ...]:
        """``(method, hidden layers)`` in run order: every method at every depth, then the variants at
        the depths with a layer past the first."""
        rows = [(m, h) for m in self.methods for h in self.hidden_layers]
        rows += [(v, h) for v in self.variants for h in self.hidden_layers if h >= 2]
        return tuple(rows)

    def tuner_kodak(self, method: str, hidden: int) -> TunerKodak:
        """The Kodak protocol for TUNER (or a variant) with ``hidden`` hidden layers at the budget width."""
        return dataclasses.replace(self.kodak, depth=hidden, width=self.width("kodak", method, hidden),
                                   n_frequencies=self.kodak.width, clamp_deep=method != "tuner-deep-unbounded")

    def audio_at(self, method: str, hidden: int) -> AudioFit:
        """The audio protocol for SIREN/FINER++ with ``hidden`` hidden layers at the budget width."""
        return dataclasses.replace(self.audio, depth=hidden + 1, width=self.width("audio", method, hidden))


# the 128-neuron quick Kodak net this study was designed and run on (before `quick` became a scale model)
_KODAK_QUICK = dataclasses.replace(TUNER_KODAK["official"], name="quick-128", images=(1, 5, 13, 23), resize=128,
                                   width=128, batch_size=None, epochs=300, seeds=2)
_AUDIO_QUICK = SIREN2_AUDIO["quick"]
#: The audio clip: SIREN's Bach (``gt_bach.wav``).  A held-out test needs a clip whose samples its neighbours
#: predict: in the quick window (samples 40,000–50,000) linear interpolation of 5 % held-out samples scores
#: 62.6 dB on gt_bach, but 10.8 dB on tetris (below predicting silence, 12.7 dB: 63 % of its spectral energy
#: lies above half its Nyquist limit; relay 97 %, arch 37 %), where no fit can say anything about a test sample.
CLIP = "gt_bach.wav"
QUICK = DepthStudy(
    "quick",
    kodak=dataclasses.replace(
        _KODAK_QUICK, name="depth-quick", seeds=1, train_metrics="split",
        reduced=_KODAK_QUICK.reduced.replace("2 seeds", "1 seed") + "; train columns from the split fit's 95 %"),
    audio=dataclasses.replace(
        _AUDIO_QUICK, name="depth-quick", clips=(CLIP,), reduced=_AUDIO_QUICK.reduced + "; one clip (gt_bach)"),
    reduced="Kodak quick with 1 seed (4 images) and its split fit only; audio quick on one clip (gt_bach, 2 seeds) "
            "with 5 % of the samples held out")
PAPER = DepthStudy(
    "paper",
    kodak=dataclasses.replace(TUNER_KODAK["official"], name="depth-paper", train_metrics="split",
                              reduced="train columns from the split fit's 95 %"),
    audio=dataclasses.replace(SIREN2_AUDIO["official"], name="depth-paper", clips=(CLIP,),
                              reduced="one clip (gt_bach)"),
    reduced="for a GPU: TUNER's official Kodak protocol (24 images at 512², budget of 1 × 416, 3 seeds) and "
            "SIREN²'s official audio protocol on one clip (150,000 samples, budget of 4 × 222, 3 seeds)")
SMOKE = dataclasses.replace(
    QUICK, name="smoke",
    kodak=dataclasses.replace(_KODAK_QUICK, name="depth-smoke", images=(5,), resize=24, width=16, epochs=3, seeds=1,
                              train_metrics="split", reduced="tests: kodim05 at 24², width 16, 3 steps"),
    audio=dataclasses.replace(_AUDIO_QUICK, name="depth-smoke", clips=(CLIP,), samples=600,
                              width=8, steps=3, seeds=1, reduced="tests: 600 samples, 4 × 8, 3 steps"),
    hidden_layers=(1, 2), tolerance=0.06, reduced="tests only (so small a budget rounds to within 6 %)")
DEPTH = {p.name: p for p in (QUICK, PAPER)}

__all__ = [
    "DEPTH",
    "METHODS",
    "PAPER",
    "QUICK",
    "SIGNALS",
    "SMOKE",
    "VARIANTS",
    "DepthStudy",
    "parameters",
    "width_for",
]
