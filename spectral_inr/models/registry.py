"""String name → model constructor, for the CLI and experiment configs."""
from __future__ import annotations

from spectral_inr.models.harmonic import HarmonicMLP
from spectral_inr.models.presets import Finer, FourierFeatureMLP, Siren, Siren2, Tuner, TunerSiren

MODELS = {
    "siren": Siren,
    "tuner": Tuner,
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
