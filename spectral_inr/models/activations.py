"""Activations of the sinusoidal block, all of the form ``act(z, omega)``.

``z`` is the pre-activation ``Wx + b`` and ``omega`` a scalar or a per-neuron
vector broadcast over the last axis.  Every sine goes through
:func:`spectral_inr.ops.sin`, which picks a fast polynomial sine on CPU and
XLA's own elsewhere.
"""
from __future__ import annotations

import math

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


def gauss(z, omega):
    """Gaussian: ``exp(−(ω·z)²)``, ``ω`` being the scale ``s0``.

    Ramasinghe & Lucey, ECCV 2022 ("Beyond periodicity"), as the baselines of WIRE
    (vishwa91/wire ``modules/gauss.py`` ``GaussLayer.forward``), FINER
    (liuzhen0212/FINER ``models.py`` ``GaussLayer``) and SIREN² (hemanthgrylls/SIREN-square
    ``modules/networks.py`` ``gaussian_core``) write it: ``torch.exp(-(scale*x)**2)``.
    """
    return jnp.exp(-jnp.square(omega * z))


HOSC_BETA = 8.0
"""HOSC's sharpness ``β`` (our choice: we found neither the authors' code nor the value their
experiments use; 8 is the default of the one re-implementation we found, Fre-Ar/BSP-AF-S5
``src/nirs/nns/nn_hosc.py``; at β = 8 the activation is close to a square wave)."""


def hosc(z, omega, beta=HOSC_BETA):
    """HOSC: ``tanh(β·sin(ω·z))`` (Serrano et al., arXiv 2401.10967; with ``ω0`` as in
    Wlodarczyk et al., arXiv 2601.07870, whose Lipschitz bound is ``β·ω``).

    ``β → 0`` gives a (scaled) sine, ``β → ∞`` the square wave ``sign(sin ω z)``.
    ``beta`` may be a traced value (vmapped sweeps).
    """
    return jnp.tanh(beta * ops.sin(omega * z))


SINC_TAYLOR_BOUND = 0.1
"""Below ``|π ω z| < 0.1`` :func:`sinc` uses ``1 − u²/6 + u⁴/120`` (error ``< u⁶/5040 ≈ 2e-10``)."""


def sinc(z, omega):
    """Normalised sinc: ``sinc(ω·z) = sin(π ω z)/(π ω z)``, ``sinc(0) = 1``.

    Saratchandran et al., ICML 2024 (arXiv 2402.05427).  We take the normalised sinc of
    sampling theory (``jnp.sinc``/``np.sinc``): its integer translates are the Riesz
    basis with partition of unity on which the paper's optimality argument rests.  (We
    could not check the paper's own formula or code; the unnormalised ``sin(a z)/(a z)``
    is this activation with ``ω = a/π``, so the choice only rescales ``ω``.)

    At ``z = 0`` the value is exactly 1 and every derivative is finite: near 0 a Taylor
    polynomial is used (exact to float32 there) and the division only sees a safe
    denominator, so ``grad`` is 0 and the second derivative ``−(πω)²/3`` at ``z = 0``.
    The sine goes through :func:`spectral_inr.ops.sin` like the other activations.
    """
    u = math.pi * omega * z
    small = jnp.abs(u) < SINC_TAYLOR_BOUND
    safe = jnp.where(small, jnp.ones_like(u), u)
    u2 = u * u
    taylor = 1.0 - u2 / 6.0 * (1.0 - u2 / 20.0)
    return jnp.where(small, taylor, ops.sin(safe) / safe)


ACTIVATIONS = {"sine": sine, "finer": finer, "harmonic": harmonic, "relu": relu, "gauss": gauss, "hosc": hosc,
               "sinc": sinc}
