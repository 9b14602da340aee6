"""Harmonic MLP (the Harmonic-MLP repo): per-neuron harmonic frequencies.

A harmonic layer is ``y_i = sin(2π·z_i/f_i) + 0.1·z_i`` with ``z = xW + b`` and
constant frequencies ``f_i = min(base·(i+1), max_freq)`` — a :class:`SineLayer`
with ``ω_i = 2π/f_i`` and the :func:`~spectral_inr.models.activations.harmonic`
activation.  ``W, b ~ U(±1/√fan_in)``, output column ``i`` times
``s_i = f_i^{-1/2}/mean_j f_j^{-1/2}``.

MNIST model: 784 → H(512, max 5) → BatchNorm → Dropout(0.2) → H(256, max 3)
→ BatchNorm → Dropout(0.2) → Dense(10, U(±1/√fan_in)).  Inputs are flat
``(..., 784)`` vectors.  BatchNorm uses PyTorch's defaults (momentum 0.1 ↔
Flax ``momentum=0.9``, ``ε = 1e-5``); call with ``train=True`` and
``mutable=["batch_stats"]`` plus a ``dropout`` rng while training.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import flax.linen as nn

from spectral_inr.models import activations as act
from spectral_inr.models import initializers as inits
from spectral_inr.models.layers import SineLayer


def harmonic_frequencies(features: int, max_freq: float, base: float = 1.0) -> tuple[float, ...]:
    """``f_i = min(base·(i+1), max_freq)`` for ``i < features``."""
    return tuple(min(base * (i + 1), max_freq) for i in range(features))


class HarmonicMLP(nn.Module):
    """Harmonic-layer classifier; ``activation=relu`` gives the ReLU ablation."""

    hidden: Sequence[int] = (512, 256)
    max_freqs: Sequence[float] = (5.0, 3.0)
    base_freq: float = 1.0
    num_classes: int = 10
    dropout_rate: float = 0.2
    activation: Callable = act.harmonic

    def neuron_frequencies(self) -> dict:
        """``{"harmonic_i": f}`` — the input of :func:`spectral_inr.optim.frequency_aware_scaling`."""
        if len(self.hidden) != len(self.max_freqs):
            raise ValueError(f"hidden {self.hidden} and max_freqs {self.max_freqs} differ in length")
        return {f"harmonic_{i}": harmonic_frequencies(n, m, self.base_freq)
                for i, (n, m) in enumerate(zip(self.hidden, self.max_freqs))}

    @nn.compact
    def __call__(self, x, train: bool = False):
        for i, (name, f) in enumerate(self.neuron_frequencies().items()):
            omega = tuple(2.0 * math.pi / v for v in f)
            x = SineLayer(len(f), omega, self.activation, inits.harmonic_uniform(f), inits.harmonic_bias(f),
                          name=name)(x)
            x = nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5, name=f"bn_{i}")(x)
            x = nn.Dropout(self.dropout_rate, deterministic=not train)(x)
        return SineLayer(self.num_classes, None, kernel_init=inits.torch_default_kernel(), name="head")(x)
