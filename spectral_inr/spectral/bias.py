"""Spectral bias: how fast each radial frequency band is learned.

Band ``b``'s relative error of a prediction ``f`` of a target ``g`` is

    e_b = Σ_{k ∈ b} |F(f)_k − F(g)_k|² / Σ_{k ∈ b} |F(g)_k|²

(FFT over the signal's sampling axes, bands by radial frequency as in
:func:`spectral_inr.spectral.spectra.band_index`; NaN where the target has no
energy).  :func:`spectral_bias_curve` trains with the engine and records
``e_b`` between chunks of steps; a network with spectral bias sees the
low-band error fall first (Rahaman et al. 2019).
"""
from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr.spectral.spectra import band_index, spectral_power

__all__ = ["band_errors", "spectral_bias_curve"]


def band_errors(pred, target, signal_shape: Sequence[int], edges: Sequence[float] = (1 / 3, 2 / 3)):
    """``e_b`` per radial band (``len(edges) + 1`` of them) for flattened
    ``(N, C)`` (or ``signal_shape``-shaped) ``pred``/``target``; channels summed."""
    shape = tuple(signal_shape)
    axes = tuple(range(len(shape)))
    fp = jnp.fft.fftn(jnp.reshape(pred, shape + (-1,)), axes=axes)
    ft = jnp.fft.fftn(jnp.reshape(target, shape + (-1,)), axes=axes)
    band = band_index(shape, edges).ravel()
    n_bands = len(tuple(edges)) + 1
    err = spectral_power(fp - ft).reshape(len(band), -1).sum(-1)
    ref = spectral_power(ft).reshape(len(band), -1).sum(-1)
    num = jnp.zeros(n_bands, err.dtype).at[band].add(err)
    den = jnp.zeros(n_bands, err.dtype).at[band].add(ref)
    return jnp.where(den > 0, num / jnp.where(den > 0, den, 1.0), jnp.nan)


def spectral_bias_curve(fitter, hp, inputs, targets, signal_shape: Sequence[int], steps: int, every: int,
                        bands: Sequence[float] = (1 / 3, 2 / 3), key=None):
    """Train one member and record :func:`band_errors` every ``every`` steps.

    Uses ``fitter.init(key, hp, inputs)`` and ``fitter.run`` (one jitted
    ``lax.scan`` of ``every`` steps, reused for every chunk), predicting with
    the current params.  ``bands`` are the interior radial edges (fractions of
    Nyquist).  Returns ``(steps_recorded, errors)``: ``(R,)`` step numbers
    ``0, every, …, steps`` (the first record is the initialisation) and
    ``(R, n_bands)`` errors, as numpy arrays.
    """
    if every <= 0 or steps % every:
        raise ValueError(f"steps ({steps}) must be a positive multiple of every ({every})")
    key = jax.random.PRNGKey(0) if key is None else key
    inputs, targets = jnp.asarray(inputs), jnp.asarray(targets)
    shape = tuple(signal_shape)

    @jax.jit
    def chunk(state, hp):
        state, _ = fitter.run(state, hp, inputs, targets, every)
        return state, measure(state, hp)

    @jax.jit
    def measure(state, hp):
        pred = fitter.predict(state.params, state.model_state, hp, inputs)
        return band_errors(pred, targets, shape, bands)

    state = jax.jit(fitter.init)(key, hp, inputs)
    records = [measure(state, hp)]
    for _ in range(steps // every):
        state, errors = chunk(state, hp)
        records.append(errors)
    return np.arange(0, steps + 1, every), np.asarray(jnp.stack(records))
