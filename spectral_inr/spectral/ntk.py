"""Empirical neural tangent kernel on a small grid.

``Θ = J Jᵀ`` with ``J_{np} = ∂f(x_n)/∂θ_p`` the Jacobian of one output
channel on ``N`` points w.r.t. all ``P`` parameters (``Θ`` is ``N × N``,
symmetric PSD).  Its eigenvalues govern gradient-descent speed along its
eigenvectors (Jacot et al. 2018), so their decay is a measure of spectral bias.
"""
from __future__ import annotations

import functools
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["jacobian_matrix", "empirical_ntk", "ntk_eigenvalues", "tail_fraction", "compare_ntk_spectra"]


def jacobian_matrix(apply_fn, params, inputs, channel: int = 0):
    """``J`` ``(N, P)``: ``jax.jacrev`` of ``apply_fn(params, inputs)[:, channel]``,
    leaves flattened in ``tree_leaves`` order and concatenated."""
    jac = jax.jacrev(lambda p: apply_fn(p, inputs)[:, channel])(params)
    n = inputs.shape[0]
    return jnp.concatenate([j.reshape(n, -1) for j in jax.tree_util.tree_leaves(jac)], axis=1)


def empirical_ntk(apply_fn, params, inputs, channel: int = 0):
    """``Θ = J Jᵀ`` ``(N, N)`` with ``J`` from :func:`jacobian_matrix`.

    ``apply_fn(params, x)``, e.g. ``lambda p, x: model.apply({"params": p}, x)``."""
    j = jacobian_matrix(apply_fn, params, inputs, channel)
    return j @ j.T


def ntk_eigenvalues(ntk):
    """Eigenvalues of a symmetric kernel matrix, sorted descending."""
    return jnp.linalg.eigvalsh(0.5 * (ntk + ntk.T))[::-1]


def tail_fraction(eigenvalues, top: int = 10):
    """``Σ_{i>top} λ_i / Σ_i λ_i``: share of the trace beyond the ``top`` largest."""
    lam = jnp.asarray(eigenvalues)
    return jnp.sum(lam[top:]) / jnp.sum(lam)


@functools.partial(jax.jit, static_argnums=(0, 3))
def _eigenvalues_at_init(model, key, x, channel: int):
    """Init ``model`` with ``key`` and return its NTK eigenvalues — one compiled program per
    (model, grid shape, channel), reused across seeds."""
    variables = model.init(key, x[:1])
    rest = {k: v for k, v in variables.items() if k != "params"}
    apply = lambda p, xx: model.apply({"params": p, **rest}, xx)
    return ntk_eigenvalues(empirical_ntk(apply, variables["params"], x, channel))


def compare_ntk_spectra(models: Mapping[str, object], inputs, key=None, channel: int = 0,
                        normalize: bool = True) -> dict:
    """Eigen-spectra of the empirical NTK at init for several models.

    ``models``: ``{name: flax module}``; each is initialised with ``key``
    (default ``PRNGKey(0)``) on ``inputs`` ``(N, d)``.  Returns
    ``{name: eigenvalues}`` (numpy, descending), divided by the largest one
    when ``normalize`` (decay shapes are then comparable across models).
    Calling again with the same model objects (another seed) reuses the compiled code.
    """
    key = jax.random.PRNGKey(0) if key is None else key
    x = jnp.asarray(inputs)
    out = {}
    for name, model in models.items():
        lam = np.asarray(_eigenvalues_at_init(model, key, x, channel))
        out[name] = lam / lam[0] if normalize else lam
    return out
