"""String name → model constructor, for the CLI and experiment configs.

``siren`` (Sitzmann et al. 2020), ``tuner`` (Novello et al. 2024, on the authors' frequency list;
``tuner-sampled``: the paper's sampling below a bandlimit), ``tuner-siren`` (TUNER's SIREN
baseline), ``siren2`` (SIREN², 2025), ``finer`` (Liu et al. 2024), ``harmonic`` (the Harmonic MLP
classifier), ``ffn`` (Fourier features, Tancik et al. 2020); the baseline zoo (issue 21): ``gauss``,
``hosc``, ``sinc``, ``siren-rff``, ``relu-pe`` (:mod:`~spectral_inr.models.baselines`), ``wire``,
``wire2d`` (:mod:`~spectral_inr.models.wire`), ``fourier-net``, ``gabor-net``
(:mod:`~spectral_inr.models.mfn`) and ``bacon`` (:mod:`~spectral_inr.models.bacon`).  ``get_model(name, **kwargs)`` builds one.
"""
from __future__ import annotations

from spectral_inr.models.bacon import Bacon
from spectral_inr.models.mfn import FourierNet, GaborNet
from spectral_inr.models.baselines import Gauss, Hosc, ReluPe, Sinc, SirenRff
from spectral_inr.models.harmonic import HarmonicMLP
from spectral_inr.models.wire import Wire, Wire2d
from spectral_inr.models.presets import Finer, FourierFeatureMLP, Siren, Siren2, TunerReference, TunerSampled, TunerSiren

MODELS = {
    "siren": Siren,
    "tuner": TunerReference,
    "tuner-sampled": TunerSampled,
    "tuner-siren": TunerSiren,
    "siren2": Siren2,
    "finer": Finer,
    "harmonic": HarmonicMLP,
    "ffn": FourierFeatureMLP,
    "gauss": Gauss,
    "hosc": Hosc,
    "sinc": Sinc,
    "siren-rff": SirenRff,
    "relu-pe": ReluPe,
    "wire": Wire,
    "wire2d": Wire2d,
    "fourier-net": FourierNet,
    "gabor-net": GaborNet,
    "bacon": Bacon,
}


def get_model(name: str, **kwargs):
    """Build the model registered under ``name`` with ``kwargs``."""
    try:
        constructor = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(sorted(MODELS))}") from None
    return constructor(**kwargs)
