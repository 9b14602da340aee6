"""Bessel functions of the first kind, integer order, real argument (pure JAX).

``jax.scipy.special.bessel_jn`` exists in this JAX but returns NaN at
``z = 0`` and, in float32 with its default ``n_iter=50``, for every
``|z| ≲ 4`` — exactly TUNER's range ``|ω_G W| < 2``.  We combine

* for ``|z| ≤ 2`` the power series
  ``J_n(z) = Σ_{m≥0} (−1)^m (z/2)^{2m+n} / (m!(m+n)!)`` (``n ≥ 0``; 20 terms,
  all of one scale, so tiny values such as ``J_3(0.01)`` keep their relative
  accuracy — needed to check Theorem 2's bound term by term);
* otherwise Bessel's integral ``J_n(z) = (1/2π)∫_0^{2π} cos(nτ − z sin τ) dτ``
  by the ``M``-point trapezoid rule, exact up to aliasing (error of order
  ``J_{M−|n|}(z)``) for this periodic, entire integrand.

Negative orders and arguments use ``J_{−n}(z) = J_n(−z) = (−1)^n J_n(z)``.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["bessel_j"]

_SERIES_RADIUS = 2.0
_SERIES_TERMS = 20


def integer_power(base, n_abs, n_max):
    """``base ** n_abs`` by repeated products when ``max |n|`` is static
    (clean gradients at ``base = 0``), else ``jnp.power``."""
    if n_max is None:
        return jnp.power(base, n_abs)
    out = jnp.ones_like(base)
    for k in range(n_max):
        out = jnp.where(k < n_abs, out * base, out)
    return out


def _series(n_abs, z_abs, n_max):
    """``J_{|n|}(|z|)`` by the power series (``|z| ≤ 2``), Horner in ``(z/2)²``."""
    half = jnp.minimum(z_abs, _SERIES_RADIUS) / 2
    y = -half ** 2
    acc = jnp.zeros_like(half)
    for m in reversed(range(_SERIES_TERMS)):
        acc = acc * y + jnp.exp(-jax.lax.lgamma(m + 1.0) - jax.lax.lgamma(m + n_abs + 1))
    return integer_power(half, n_abs, n_max) * acc


def _trapezoid(n_abs, z_abs, num_points):
    tau = (2.0 * math.pi / num_points) * jnp.arange(num_points, dtype=z_abs.dtype)
    return jnp.mean(jnp.cos(n_abs[..., None] * tau - z_abs[..., None] * jnp.sin(tau)), axis=-1)


def bessel_j(n, z, num_points: int = 64):
    """``J_n(z)`` for integer ``n`` and real ``z`` (broadcast together).

    ``num_points`` trapezoid nodes for ``|z| > 2``; the default is accurate to
    float32 round-off for ``|n| + |z| ≲ 24`` (raise it for larger arguments).
    """
    z = jnp.asarray(z)
    z = z.astype(jnp.promote_types(z.dtype, jnp.float32))
    n = jnp.asarray(n)
    n, z = jnp.broadcast_arrays(n, z)
    n_abs = jnp.abs(n).astype(z.dtype)
    z_abs = jnp.abs(z)
    try:
        n_max = int(np.max(np.abs(np.asarray(n)), initial=0))
    except jax.errors.TracerArrayConversionError:
        n_max = None
    series = _series(n_abs, z_abs, n_max)
    value = jnp.where(z_abs <= _SERIES_RADIUS, series, _trapezoid(n_abs, z_abs, num_points))
    odd = (jnp.abs(n) % 2 == 1) & ((n < 0) != (z < 0))
    return jnp.where(odd, -value, value)
