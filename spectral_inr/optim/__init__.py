"""optax gradient transformations for sinusoidal networks, and general links the experiments use.

(TUNER's learned-bounds penalty is a loss term: :func:`spectral_inr.models.learned_bounds_penalty`.)
"""
from spectral_inr.optim.frequency_scaling import frequency_aware_scaling, harmonic_adam
from spectral_inr.optim.logged import LOGGED, LoggedState, logged
from spectral_inr.optim.schedules import cosine_mix_schedule
from spectral_inr.optim.switch import switch
from spectral_inr.optim.tuner_bounds import tuner_bounds

__all__ = ["frequency_aware_scaling", "harmonic_adam", "tuner_bounds",
           "switch", "logged", "LoggedState", "LOGGED", "cosine_mix_schedule"]
