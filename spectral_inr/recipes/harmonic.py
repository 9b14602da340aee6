"""The Harmonic MLP on MNIST (:class:`~spectral_inr.protocols.HarmonicMnist`) → Fitter.

Frequency-aware Adam (``hp["lr"]`` and the scaling ``hp["factor"]`` traced, so a
sweep over both is one program) with the protocol's coupled weight decay,
optionally followed by reduce-on-plateau over one epoch of steps: optax reduces
after ``patience`` bad epochs, PyTorch after ``patience + 1``, so the seed's
PyTorch ``patience=2`` is optax ``patience=3``.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import jax.numpy as jnp
import optax

from spectral_inr.models import activations
from spectral_inr.models.harmonic import HarmonicMLP
from spectral_inr.optim import harmonic_adam
from spectral_inr.train.fitter import Fitter

ACTIVATIONS = {"harmonic": activations.harmonic, "relu": activations.relu}


def cross_entropy(logits, labels):
    """Mean softmax cross-entropy with integer labels."""
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))


def model(hidden: Sequence[int], max_freqs: Sequence[float], activation: Callable = activations.harmonic):
    return HarmonicMLP(hidden=tuple(hidden), max_freqs=tuple(max_freqs), activation=activation)


def optimizer_fn(p, frequencies: dict, plateau_steps: Optional[int]) -> Callable:
    """``hp -> optax`` under protocol ``p``; ``plateau_steps``: steps per epoch (``None``: constant LR)."""

    def make(hp):
        tx = harmonic_adam(frequencies, learning_rate=hp["lr"], weight_decay=p.weight_decay, factor=hp["factor"])
        if plateau_steps is None:
            return tx
        return optax.chain(tx, optax.contrib.reduce_on_plateau(
            factor=p.plateau_factor, patience=p.plateau_patience_torch + 1, accumulation_size=plateau_steps))

    return make


def fitter(p, hidden: Sequence[int], batch_size: int, activation: Callable = activations.harmonic,
           plateau_steps: Optional[int] = None) -> Fitter:
    """The engine's Fitter (``shuffle="epoch"``, train mode for BatchNorm/Dropout)."""
    net = model(hidden, p.max_freqs, activation)
    return Fitter(lambda hp: net, optimizer_fn(p, net.neuron_frequencies(), plateau_steps), cross_entropy,
                  batch_size=batch_size, shuffle="epoch", train_kwargs={"train": True})
