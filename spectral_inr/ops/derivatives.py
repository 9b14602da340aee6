"""Derivatives of a neural field with respect to its coordinates.

A *field* here is a pointwise function ``f: (N, d) -> (N, C)``: row ``i`` of the output
depends only on row ``i`` of the input (every coordinate MLP of this library; not a model
with BatchNorm in training mode).  Then the derivatives of all ``N`` points come from a
few whole-batch passes, not ``N`` per-point ones:

* :func:`jacobian` — ``J[i, c, j] = ∂f_c/∂x_j (x_i)``, ``(N, C, d)``: ``d`` forward-mode
  passes (``jax.jvp`` with the tangent ``e_j`` on every row), the machinery of
  :func:`spectral_inr.metrics.network_gradient`;
* :func:`gradient` — ``∇f(x_i)`` of a one-channel field, ``(N, d)``: one reverse-mode pass
  (``∇_x Σ_i f(x_i)``, the sum separates because the field is pointwise), cheaper than
  ``d`` JVPs when ``d > 1``; SIREN's ``diff_operators.gradient`` does the same;
* :func:`laplacian` — ``Δf_c(x_i) = Σ_j ∂²f_c/∂x_j²``, ``(N, C)``: ``d`` nested JVPs (a
  second directional derivative per axis), never the full ``d × d`` Hessian.

All three compose with ``jax.grad`` (training through them), ``jax.vmap`` (sweeps) and
``jit``; the library's sine has exact derivatives of every order (``ops.fast_sine``).
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

Field = Callable[[jax.Array], jax.Array]


def _axis_tangent(x, j: int):
    """``e_j`` on every row of ``x``."""
    return jnp.zeros_like(x).at[:, j].set(1)


def directional(f: Field, x, j: int):
    """``∂f/∂x_j`` at every point, ``(N, C)`` (one JVP)."""
    return jax.jvp(f, (x,), (_axis_tangent(x, j),))[1]


def jacobian(f: Field, x):
    """``J[i, c, j] = ∂f_c/∂x_j (x_i)`` of a pointwise field: ``(N, C, d)``."""
    return jnp.stack([directional(f, x, j) for j in range(x.shape[-1])], axis=-1)


def gradient(f: Field, x):
    """``∇f(x_i)`` of a one-channel pointwise field (``(N,)`` or ``(N, 1)`` output): ``(N, d)``.

    One backward pass: ``∂/∂x_i Σ_k f(x_k) = ∇f(x_i)`` because ``f(x_k)`` does not depend on ``x_i``
    for ``k ≠ i``."""
    def total(q):
        out = f(q)
        if out.ndim == 2 and out.shape[-1] != 1:
            raise ValueError(f"gradient: the field has {out.shape[-1]} channels; use jacobian")
        return jnp.sum(out)

    return jax.grad(total)(x)


def laplacian(f: Field, x):
    """``Δf_c(x_i) = Σ_j ∂²f_c/∂x_j² (x_i)``: ``(N, C)`` (two nested JVPs per axis)."""
    def second(j):
        return jax.jvp(lambda q: directional(f, q, j), (x,), (_axis_tangent(x, j),))[1]

    return sum(second(j) for j in range(x.shape[-1]))
