"""Initializers for the sinusoidal block.

Kernels follow Flax's layout ``(fan_in, fan_out)`` (the transpose of PyTorch's
``weight``), so a PyTorch "row i" (output neuron i) is a Flax *column* i and a
PyTorch "column j" (input j) is a Flax *row* j.

Kernel initializers have Flax's signature ``init(key, shape, dtype)``.  Bias
initializers here also receive the layer's fan-in, ``init(key, shape, fan_in,
dtype)``, because PyTorch's default bias ``U(±1/√fan_in)`` — on which the
official SIREN and SIREN² numbers depend — needs it.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import jax
import jax.numpy as jnp

Initializer = Callable[..., jax.Array]


def _uniform(key, shape, dtype, bound):
    return jax.random.uniform(key, shape, dtype, -bound, bound)


# --- kernels ---------------------------------------------------------------
def siren_first_uniform() -> Initializer:
    """First SIREN layer: ``W ~ U(−1/fan_in, 1/fan_in)``."""

    def init(key, shape, dtype=jnp.float32):
        return _uniform(key, shape, dtype, 1.0 / shape[0])

    return init


def siren_hidden_uniform(omega: float) -> Initializer:
    """Hidden/last SIREN layer: ``W ~ U(±√(6/fan_in)/ω)`` so ``ω·Wx`` has unit variance."""

    def init(key, shape, dtype=jnp.float32):
        return _uniform(key, shape, dtype, math.sqrt(6.0 / shape[0]) / omega)

    return init


def torch_default_kernel() -> Initializer:
    """PyTorch ``nn.Linear`` default: ``W ~ U(±1/√fan_in)``."""

    def init(key, shape, dtype=jnp.float32):
        return _uniform(key, shape, dtype, 1.0 / math.sqrt(shape[0]))

    return init


def uniform_kernel(bound: float) -> Initializer:
    """``W ~ U(−bound, bound)`` with a fixed bound (not tied to the kernel's own fan-in),
    e.g. SIREN-RFF's first sine layer, ``U(±1/d)`` with ``d`` the *coordinate* dimension."""

    def init(key, shape, dtype=jnp.float32):
        return _uniform(key, shape, dtype, bound)

    return init


def normal(std: float) -> Initializer:
    """``W ~ N(0, std²)``."""

    def init(key, shape, dtype=jnp.float32):
        return std * jax.random.normal(key, shape, dtype)

    return init


def with_gaussian_noise(base: Initializer, std: float) -> Initializer:
    """SIREN²: ``W = W_base + ε``, ``ε ~ N(0, std²)`` (std = S/ω0, arXiv 2509.09719)."""

    def init(key, shape, dtype=jnp.float32):
        k_base, k_noise = jax.random.split(key)
        return base(k_base, shape, dtype) + std * jax.random.normal(k_noise, shape, dtype)

    return init


TUNER_INIT_STD_FACTOR = 0.3  # TUNER code: W ~ N(0, (0.3·c_j/ω_G)²)


def tuner_hidden_normal(row_bounds: Sequence[float], omega: float) -> Initializer:
    """TUNER first hidden matrix: row j (input neuron j) ``~ N(0, (0.3·c_j/ω)²)``."""
    bounds = tuple(float(c) for c in row_bounds)

    def init(key, shape, dtype=jnp.float32):
        c = jnp.asarray(bounds, dtype)[:, None]
        return TUNER_INIT_STD_FACTOR * c / omega * jax.random.normal(key, shape, dtype)

    return init


def harmonic_uniform(frequencies: Sequence[float]) -> Initializer:
    """Harmonic MLP: ``W ~ U(±1/√fan_in)``, output column i times ``s_i``.

    ``s_i = f_i^{-1/2} / mean_j f_j^{-1/2}`` damps high-frequency neurons.
    """
    scale = harmonic_scales(frequencies)

    def init(key, shape, dtype=jnp.float32):
        return _uniform(key, shape, dtype, 1.0 / math.sqrt(shape[0])) * jnp.asarray(scale, dtype)

    return init


def harmonic_scales(frequencies: Sequence[float]) -> tuple[float, ...]:
    s = [f ** -0.5 for f in frequencies]
    mean = sum(s) / len(s)
    return tuple(v / mean for v in s)


# --- biases (receive fan_in) ------------------------------------------------
def torch_default_bias(key, shape, fan_in, dtype=jnp.float32):
    """PyTorch ``nn.Linear`` default bias: ``b ~ U(±1/√fan_in)``."""
    return _uniform(key, shape, dtype, 1.0 / math.sqrt(fan_in))


def uniform_bias(bound: float) -> Initializer:
    """``b ~ U(−bound, bound)`` (FINER's first-layer bias, TUNER's phases ±π/2)."""

    def init(key, shape, fan_in=None, dtype=jnp.float32):
        del fan_in
        return _uniform(key, shape, dtype, bound)

    return init


def zeros_bias(key, shape, fan_in=None, dtype=jnp.float32):
    """Flax's default (zeros), for comparison."""
    del key, fan_in
    return jnp.zeros(shape, dtype)


def harmonic_bias(frequencies: Sequence[float]) -> Initializer:
    """Harmonic MLP bias: ``U(±1/√fan_in)`` times ``s_i`` (as the kernel)."""
    scale = harmonic_scales(frequencies)

    def init(key, shape, fan_in, dtype=jnp.float32):
        return torch_default_bias(key, shape, fan_in, dtype) * jnp.asarray(scale, dtype)

    return init
