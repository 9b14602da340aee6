"""Activations of the sinusoidal block, all of the form ``act(z, omega)``.

``z`` is the pre-activation ``Wx + b`` and ``omega`` a scalar or a per-neuron
vector broadcast over the last axis.  Every sine goes through
:func:`spectral_inr.ops.sin`, which picks a fast polynomial sine on CPU and
XLA's own elsewhere.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from spectral_inr import ops


def sine(z, omega):
    """SIREN: ``sin(ω·z)`` (Sitzmann et al. 2020)."""
    return ops.sin(omega * z)


def finer(z, omega):
    """FINER: ``sin(ω·(|z|+1)·z)`` with the scale ``|z|+1`` under stop-gradient.

    Liu et al., CVPR 2024; the reference implementation computes the scale
    under ``torch.no_grad()``, so only the inner ``z`` carries gradient.
    """
    scale = jax.lax.stop_gradient(jnp.abs(z) + 1.0)
    return ops.sin(omega * scale * z)


def finer_full_gradient(z, omega):
    """FINER with the gradient flowing through ``|z|+1`` as well."""
    return ops.sin(omega * (jnp.abs(z) + 1.0) * z)


HARMONIC_LINEAR_SLOPE = 0.1  # the Harmonic-MLP repo's residual linear term


def harmonic(z, omega):
    """Harmonic MLP: ``sin(ω_i·z_i) + 0.1·z_i`` with ``ω_i = 2π/f_i`` per neuron."""
    return ops.sin(omega * z) + HARMONIC_LINEAR_SLOPE * z


def relu(z, omega=None):
    """ReLU (for the Fourier-feature baseline and ablations); ``omega`` ignored."""
    del omega
    return jax.nn.relu(z)


ACTIVATIONS = {"sine": sine, "finer": finer, "harmonic": harmonic, "relu": relu}
