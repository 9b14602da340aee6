"""Frequency-domain losses (pure JAX, differentiable, jittable).

Signals put their sampling axes first (``ndim`` of them, 2 for images) and
channels after; cut-offs are radial frequencies as fractions of Nyquist (see
:func:`spectral_inr.spectral.spectra.normalized_radius`).  The factories at the
bottom adapt them to the engine: :class:`~spectral_inr.train.Fitter` calls
``loss_fn(pred, target)`` on flattened ``(N, C)`` arrays and
``regularizer(params, hp)``.
"""
from __future__ import annotations

import functools
from typing import Callable, Sequence

import jax
import jax.numpy as jnp

from spectral_inr.ops.dtypes import as_float
from spectral_inr.spectral.spectra import normalized_radius, spectral_power

__all__ = ["high_frequency_penalty", "bandlimited_mse", "lowpass", "bandlimited_mse_loss", "spectral_penalty_loss",
           "high_frequency_regularizer"]



def _passband(shape, cutoff, ndim):
    """``r ≤ cutoff`` for every FFT bin, shaped to broadcast over channels."""
    keep = normalized_radius(shape[:ndim]) <= cutoff
    return jnp.asarray(keep.reshape(keep.shape + (1,) * (len(shape) - ndim)))


@functools.partial(jax.jit, static_argnames=("cutoff", "ndim"))
def high_frequency_penalty(pred, cutoff: float, ndim: int = 2):
    """``Σ_{r > cutoff} |FFT(pred)|² / Σ_r |FFT(pred)|²`` ∈ [0, 1].

    The share of the prediction's energy above the radial ``cutoff``; 0 for a
    band-limited signal (an all-zero signal gives 0).
    """
    pred = as_float(pred)
    power = spectral_power(jnp.fft.fftn(pred, axes=tuple(range(ndim))))
    high = jnp.sum(jnp.where(_passband(pred.shape, cutoff, ndim), 0.0, power))
    total = jnp.sum(power)
    return jnp.where(total > 0, high / jnp.where(total > 0, total, 1.0), 0.0)


@functools.partial(jax.jit, static_argnames=("cutoff", "ndim"))
def lowpass(x, cutoff: float, ndim: int = 2):
    """Ideal low-pass: ``Re IFFT(1[r ≤ cutoff]·FFT(x))`` (the mask is ±k symmetric,
    so the result of a real ``x`` is real)."""
    x = as_float(x)
    axes = tuple(range(ndim))
    spec = jnp.where(_passband(x.shape, cutoff, ndim), jnp.fft.fftn(x, axes=axes), 0.0)
    return jnp.real(jnp.fft.ifftn(spec, axes=axes))


@functools.partial(jax.jit, static_argnames=("cutoff", "ndim"))
def bandlimited_mse(pred, target, cutoff: float, ndim: int = 2):
    """``mean((LP(pred) − LP(target))²)``, ``LP`` = :func:`lowpass`.

    By Parseval this is ``Σ_{r≤cutoff} |FFT(pred − target)|² / (N·size)``
    with ``N`` the number of samples, which is how it is computed.
    """
    diff = as_float(pred) - as_float(target)
    n = 1
    for s in diff.shape[:ndim]:
        n *= s
    power = spectral_power(jnp.fft.fftn(diff, axes=tuple(range(ndim))))
    return jnp.sum(jnp.where(_passband(diff.shape, cutoff, ndim), power, 0.0)) / (n * diff.size)


def bandlimited_mse_loss(signal_shape: Sequence[int], cutoff: float) -> Callable:
    """``loss_fn(pred, target)`` for the engine: reshapes ``(N, C)`` to
    ``signal_shape + (C,)`` and applies :func:`bandlimited_mse` (full batch only)."""
    shape = tuple(signal_shape)

    def loss_fn(pred, target):
        return bandlimited_mse(pred.reshape(shape + (-1,)), target.reshape(shape + (-1,)), cutoff, len(shape))

    return loss_fn


def spectral_penalty_loss(signal_shape: Sequence[int], cutoff: float, weight: float) -> Callable:
    """``loss_fn(pred, target) = MSE + weight·high_frequency_penalty(pred)`` for the engine."""
    shape = tuple(signal_shape)

    def loss_fn(pred, target):
        penalty = high_frequency_penalty(pred.reshape(shape + (-1,)), cutoff, len(shape))
        return jnp.mean(jnp.square(pred - target)) + weight * penalty

    return loss_fn


def high_frequency_regularizer(model_fn: Callable, inputs, signal_shape: Sequence[int], cutoff: float,
                               weight: float = 1.0) -> Callable:
    """``regularizer(params, hp) = weight·high_frequency_penalty(f_θ(grid))``.

    ``model_fn(hp)`` builds the module (as ``Fitter.model_fn``); ``inputs`` are
    the grid coordinates ``(N, d)`` of ``signal_shape`` (any grid, not only the
    training batch).  Models with non-``params`` collections are not supported.
    """
    shape = tuple(signal_shape)

    def regularizer(params, hp):
        pred = model_fn(hp).apply({"params": params}, inputs)
        return weight * high_frequency_penalty(pred.reshape(shape + (-1,)), cutoff, len(shape))

    return regularizer
