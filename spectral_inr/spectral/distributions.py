"""Reference distributions of SIREN's activations and Kolmogorov–Smirnov distances.

SIREN (Sitzmann et al. 2020, Lemma 1 / Thm 1.8): with the principled init,
pre-activations ``ω·(xW + b)`` of layers ≥ 1 are ≈ ``N(0, σ²)`` and
post-activations ``sin(·)`` ≈ arcsine on ``(−1, 1)``.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["arcsine_pdf", "arcsine_cdf", "normal_pdf", "normal_cdf", "ks_statistic", "ks_test",
           "siren_preactivation_std"]


def arcsine_pdf(y):
    """``p(y) = 1 / (π√(1 − y²))`` on ``(−1, 1)``, 0 outside."""
    y = jnp.asarray(y, jnp.promote_types(jnp.asarray(y).dtype, jnp.float32))
    inside = jnp.abs(y) < 1
    safe = jnp.where(inside, y, 0.0)
    return jnp.where(inside, 1.0 / (math.pi * jnp.sqrt(1.0 - safe ** 2)), 0.0)


def arcsine_cdf(y):
    """``F(y) = ½ + arcsin(y)/π``, clipped to ``[0, 1]``."""
    y = jnp.asarray(y, jnp.promote_types(jnp.asarray(y).dtype, jnp.float32))
    return 0.5 + jnp.arcsin(jnp.clip(y, -1.0, 1.0)) / math.pi


def normal_pdf(z, sigma=1.0):
    """``N(0, σ²)`` density."""
    return jnp.exp(-0.5 * (z / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def normal_cdf(z, sigma=1.0):
    """``Φ(z/σ)``."""
    return jax.scipy.stats.norm.cdf(z, scale=sigma)


@functools.partial(jax.jit, static_argnums=1)
def ks_statistic(samples, cdf):
    """One-sample KS distance ``D = sup_y |F_n(y) − F(y)|`` (pure JAX).

    With the sorted samples ``y_(1) ≤ … ≤ y_(n)``:
    ``D = max_i max(i/n − F(y_(i)), F(y_(i)) − (i−1)/n)``.  ``cdf`` is static
    (jit recompiles per function object).
    """
    y = jnp.sort(jnp.ravel(samples))
    n = y.shape[0]
    f = cdf(y)
    i = jnp.arange(1, n + 1, dtype=f.dtype)
    return jnp.maximum(jnp.max(i / n - f), jnp.max(f - (i - 1) / n))


def ks_test(samples, reference: str = "arcsine", sigma=None):
    """``scipy.stats.kstest`` of ``samples`` against ``"arcsine"`` or ``"normal"``.

    For ``"normal"``, ``sigma=None`` uses the samples' standard deviation
    (mean fixed at 0).  Not jittable.  Returns ``(statistic, p-value)``; the
    p-value assumes independent samples, which activations on a grid are not
    — read the statistic as a distance.
    """
    from scipy import stats

    y = np.asarray(samples, np.float64).ravel()
    if reference == "arcsine":
        res = stats.kstest(y, stats.arcsine(loc=-1.0, scale=2.0).cdf)
    elif reference == "normal":
        s = float(np.sqrt(np.mean(y ** 2))) if sigma is None else float(sigma)
        res = stats.kstest(y, stats.norm(scale=s).cdf)
    else:
        raise ValueError(f"reference must be 'arcsine' or 'normal', got {reference!r}")
    return float(res.statistic), float(res.pvalue)


def siren_preactivation_std(fan_in: int, omega: float, bias_bound=None) -> float:
    """Std of ``ω·(xW + b)`` for a SIREN hidden layer at init.

    ``W ~ U(±√(6/n)/ω)``, inputs arcsine (``E x² = ½``) and
    ``b ~ U(±β)`` (PyTorch default ``β = 1/√n``) give
    ``σ² = ω²·n·Var(W)·E x² + ω²β²/3 = 1 + ω²β²/3`` — with PyTorch's bias,
    ``1 + ω²/(3n)``, not the paper's 1.
    """
    beta = 1.0 / math.sqrt(fan_in) if bias_bound is None else float(bias_bound)
    return math.sqrt(1.0 + (omega * beta) ** 2 / 3.0)
