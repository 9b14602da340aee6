"""Sinusoidal network models: one block (``SineLayer``) plus presets.

>>> model = Siren(out_features=3)
>>> params = jax.vmap(model.init, in_axes=(0, None))(jax.random.split(key, 8), coords)
"""
from spectral_inr.models import activations, initializers
from spectral_inr.models.baselines import Gauss, Hosc, ReluPe, Sinc, SirenRff
from spectral_inr.models.harmonic import HarmonicMLP, harmonic_frequencies
from spectral_inr.models.learned_bounds import learned_bounds, learned_bounds_penalty
from spectral_inr.models.layers import (FourierFeatures, IntegerFrequencyEncoding, PositionalEncoding,
                                        SineLayer)
from spectral_inr.models.mlp import SinusoidalMLP
from spectral_inr.models.presets import (Finer, FourierFeatureMLP, Siren, Siren2, Tuner, TunerReference, TunerSampled,
                                         TunerSiren, siren2_for_signal,
                                         tuner_bound_groups)
from spectral_inr.models.registry import MODELS, get_model
from spectral_inr.models.siren2_scales import noise_scales as siren2_noise_scales
from spectral_inr.models.siren2_scales import spectral_centroid
from spectral_inr.models import tuner_frequencies
from spectral_inr.models.wire import Wire, Wire2d
from spectral_inr.models.mfn import FourierNet, GaborNet
from spectral_inr.models.bacon import Bacon, multiscale_mse

__all__ = [
    "SineLayer", "SinusoidalMLP", "IntegerFrequencyEncoding", "FourierFeatures", "PositionalEncoding",
    "Siren", "Siren2", "Finer", "Tuner", "TunerReference", "TunerSampled", "TunerSiren", "HarmonicMLP", "FourierFeatureMLP",
    "siren2_for_signal", "siren2_noise_scales", "spectral_centroid", "tuner_bound_groups",
    "Gauss", "Hosc", "Sinc", "SirenRff", "ReluPe", "Wire", "Wire2d", "FourierNet", "GaborNet", "Bacon", "multiscale_mse",
    "harmonic_frequencies", "tuner_frequencies", "learned_bounds", "learned_bounds_penalty", "activations", "initializers", "MODELS", "get_model",
]
