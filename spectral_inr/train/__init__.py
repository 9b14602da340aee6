"""Training engine: one pure step, ``lax.scan`` chunks, vmapped sweeps, sharding, checkpoints, progress."""
from spectral_inr.train import field_losses
from spectral_inr.train.checkpoint import CheckpointError, SweepCheckpointer, stored_meta
from spectral_inr.train.fitter import Fitter, default_optimizer, mse_loss
from spectral_inr.train.members import grid, stack
from spectral_inr.train.progress import Progress
from spectral_inr.train.state import TrainState
from spectral_inr.train.sweep import SweepResult, fit, sweep
from spectral_inr.train.writers import MetricWriter, TensorBoardWriter, WandbWriter

__all__ = ["Fitter", "TrainState", "SweepResult", "fit", "sweep", "grid", "stack", "mse_loss",
           "default_optimizer", "field_losses", "SweepCheckpointer", "CheckpointError", "stored_meta", "Progress", "MetricWriter",
           "TensorBoardWriter", "WandbWriter"]
