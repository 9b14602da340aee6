"""optax gradient transformations for sinusoidal networks, and general links the experiments use."""
from spectral_inr.optim.frequency_scaling import frequency_aware_scaling, harmonic_adam
from spectral_inr.optim.logged import LOGGED, LoggedState, logged
from spectral_inr.optim.schedules import cosine_mix_schedule
from spectral_inr.optim.switch import switch
from spectral_inr.optim.tuner_bounds import learned_bounds, learned_bounds_penalty, tuner_bounds

__all__ = ["frequency_aware_scaling", "harmonic_adam", "tuner_bounds", "learned_bounds_penalty", "learned_bounds",
           "switch", "logged", "LoggedState", "LOGGED", "cosine_mix_schedule"]
