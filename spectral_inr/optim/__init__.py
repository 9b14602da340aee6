"""optax gradient transformations for sinusoidal networks.

(TUNER's learned-bounds penalty is a loss term: :func:`spectral_inr.models.learned_bounds_penalty`.)
"""
from spectral_inr.optim.frequency_scaling import frequency_aware_scaling, harmonic_adam
from spectral_inr.optim.tuner_bounds import tuner_bounds

__all__ = ["frequency_aware_scaling", "harmonic_adam", "tuner_bounds"]
