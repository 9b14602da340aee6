"""String name → model constructor, for the CLI and experiment configs.

``siren`` (Sitzmann et al. 2020), ``tuner`` (Novello et al. 2024, on the authors' frequency list;
``tuner-sampled``: the paper's sampling below a bandlimit), ``tuner-siren`` (TUNER's SIREN
baseline), ``siren2`` (SIREN², 2025), ``finer`` (Liu et al. 2024), ``harmonic`` (the Harmonic MLP
classifier), ``ffn`` (Fourier features, Tancik et al. 2020).  ``get_model(name, **kwargs)`` builds one.
"""
from __future__ import annotations

from spectral_inr.models.harmonic import HarmonicMLP
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
}


def get_model(name: str, **kwargs):
    """Build the model registered under ``name`` with ``kwargs``."""
    try:
        constructor = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(sorted(MODELS))}") from None
    return constructor(**kwargs)
