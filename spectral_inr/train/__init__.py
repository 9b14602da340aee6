"""Training engine: one pure step, ``lax.scan`` chunks, vmapped sweeps, sharding, checkpoints."""
from spectral_inr.train.checkpoint import CheckpointError, SweepCheckpointer
from spectral_inr.train.fitter import Fitter, default_optimizer, mse_loss
from spectral_inr.train.members import grid, stack
from spectral_inr.train.state import TrainState
from spectral_inr.train.sweep import SweepResult, fit, sweep

__all__ = ["Fitter", "TrainState", "SweepResult", "fit", "sweep", "grid", "stack", "mse_loss",
           "default_optimizer", "SweepCheckpointer", "CheckpointError"]
