"""Spectra of sampled signals (pure JAX, jit/vmap friendly).

Conventions: the first ``ndim`` axes of an array are its sampling axes, any
further axes are channels (their spectra are summed).  Radial frequencies are
measured in units of the Nyquist frequency: a bin with frequencies
``f_a ∈ [−½, ½)`` cycles/sample on each axis has radius ``r = √Σ_a (2 f_a)²``,
so ``r = 1`` is Nyquist along one axis and the corners of a 2-D spectrum reach
``√2``.
"""
from __future__ import annotations

import functools
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr.ops.dtypes import as_float

__all__ = ["spectral_power", "amplitude_spectrum", "periodogram", "power_spectrum", "radial_profile", "normalized_radius",
           "band_index", "band_energies"]


def spectral_power(f):
    """``|f|²`` as ``Re² + Im²`` (finite gradient at ``f = 0``, unlike ``abs``)."""
    return jnp.real(f) ** 2 + jnp.imag(f) ** 2



def _one_sided_weights(n: int, dtype):
    """``1`` for DC (and Nyquist when ``n`` is even), ``2`` for the other rFFT bins."""
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return jnp.asarray(w, dtype)


@jax.jit
def amplitude_spectrum(x, sample_rate: float = 1.0):
    """One-sided amplitude spectrum of a 1-D signal ``x`` of length ``N``.

    ``A_k = w_k·|rFFT(x)_k| / N`` with ``w_k = 2`` except at DC (and Nyquist),
    so ``A·sin(2πf t + φ)`` with ``f`` on a bin shows a peak of height ``A``
    at ``f`` and a constant ``c`` shows ``|c|`` at 0.  Returns
    ``(freqs, A)`` with ``freqs = rfftfreq(N, 1/sample_rate)`` in Hz.
    """
    x = as_float(x)
    n = x.shape[0]
    amp = jnp.abs(jnp.fft.rfft(x, axis=0)) / n
    w = _one_sided_weights(n, amp.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    return jnp.fft.rfftfreq(n, 1.0 / sample_rate).astype(amp.dtype), amp * w


@functools.partial(jax.jit, static_argnames=("detrend",))
def periodogram(x, sample_rate: float = 1.0, detrend: bool = True):
    """One-sided power spectral density, as ``scipy.signal.periodogram`` (boxcar).

    ``P_k = w_k·|rFFT(x − x̄)_k|² / (f_s·N)`` (``w_k`` as in
    :func:`amplitude_spectrum`), so ``Σ_k P_k·f_s/N = mean(x − x̄)²`` (Parseval).
    ``detrend=False`` keeps the mean.  Returns ``(freqs, P)``.
    """
    x = as_float(x)
    if detrend:
        x = x - jnp.mean(x, axis=0, keepdims=True)
    n = x.shape[0]
    power = spectral_power(jnp.fft.rfft(x, axis=0)) / (sample_rate * n)
    w = _one_sided_weights(n, power.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    return jnp.fft.rfftfreq(n, 1.0 / sample_rate).astype(power.dtype), power * w


@functools.partial(jax.jit, static_argnames=("ndim",))
def power_spectrum(x, ndim: int = 2):
    """``fftshift(|FFT(x)|²)`` over the first ``ndim`` axes (channels summed).

    DC sits at index ``n_a // 2`` of each axis.  By Parseval the total equals
    ``N·Σ x²`` with ``N`` the number of samples.
    """
    x = as_float(x)
    axes = tuple(range(ndim))
    p = spectral_power(jnp.fft.fftn(x, axes=axes))
    p = p.reshape(p.shape[:ndim] + (-1,)).sum(-1)
    return jnp.fft.fftshift(p, axes=axes)


def _bin_radius(shape: Sequence[int]) -> np.ndarray:
    """Radius of every *fftshifted* bin in bins of the shortest axis."""
    m = min(shape)
    ks = [(np.arange(n) - n // 2) * (m / n) for n in shape]
    mesh = np.meshgrid(*ks, indexing="ij")
    return np.sqrt(sum(k ** 2 for k in mesh))


@jax.jit
def radial_profile(power):
    """Mean of an fftshifted spectrum over rings ``r = round(|k|)``.

    ``|k|`` is the distance to DC in bins (axes rescaled to the shortest one);
    returns ``(radii, profile)`` for ``r = 0 … ⌊min(shape)/2⌋`` (rings
    beyond, i.e. the corners, are dropped).  A 1-D spectrum is folded
    (``±k`` averaged).
    """
    power = as_float(power)
    shape = power.shape
    r = np.rint(_bin_radius(shape)).astype(np.int32).ravel()
    n_rings = min(shape) // 2 + 1
    seg = np.where(r < n_rings, r, n_rings)  # out-of-range rings go to a discarded segment
    counts = np.bincount(seg, minlength=n_rings + 1)[:n_rings]
    sums = jnp.zeros(n_rings + 1, power.dtype).at[seg].add(power.ravel())[:n_rings]
    return jnp.arange(n_rings), sums / jnp.asarray(counts, power.dtype)


def normalized_radius(shape: Sequence[int]) -> np.ndarray:
    """``r = √Σ_a (2·fftfreq(n_a))²`` for every (unshifted) FFT bin; 1 = Nyquist."""
    mesh = np.meshgrid(*[2.0 * np.fft.fftfreq(n) for n in shape], indexing="ij")
    return np.sqrt(sum(k ** 2 for k in mesh))


def band_index(shape: Sequence[int], edges: Sequence[float] = (1 / 3, 2 / 3)) -> np.ndarray:
    """Band of every (unshifted) FFT bin: band ``b`` holds ``e_{b} ≤ r < e_{b+1}``
    with ``e_0 = 0``, the given interior ``edges`` (fractions of Nyquist) and
    ``e_B = ∞``; so there are ``len(edges) + 1`` bands."""
    return np.searchsorted(np.asarray(edges, np.float64), normalized_radius(shape), side="right").astype(np.int32)


def band_energies(x, edges: Sequence[float] = (1 / 3, 2 / 3), ndim: int = 2):
    """Fraction of ``Σ|FFT(x)|²`` in each radial band (see :func:`band_index`).

    Sums to 1 (an all-zero signal gives zeros).  ``x``: first ``ndim`` axes
    sampled, the rest channels.
    """
    return _band_energies(x, tuple(float(e) for e in edges), int(ndim))


@functools.partial(jax.jit, static_argnums=(1, 2))
def _band_energies(x, edges, ndim):
    x = as_float(x)
    shape = x.shape[:ndim]
    p = spectral_power(jnp.fft.fftn(x, axes=tuple(range(ndim))))
    p = p.reshape(shape + (-1,)).sum(-1).ravel()
    n_bands = len(edges) + 1
    e = jnp.zeros(n_bands, p.dtype).at[band_index(shape, edges).ravel()].add(p)
    total = e.sum()
    return jnp.where(total > 0, e / jnp.where(total > 0, total, 1.0), 0.0)
