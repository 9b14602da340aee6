"""optax gradient transformations for sinusoidal networks."""
from spectral_inr.optim.frequency_scaling import frequency_aware_scaling, harmonic_adam
from spectral_inr.optim.tuner_bounds import learned_bounds, learned_bounds_penalty, tuner_bounds

__all__ = ["frequency_aware_scaling", "harmonic_adam", "tuner_bounds", "learned_bounds_penalty", "learned_bounds"]
