"""TUNER's learned bounds: the loss term and the values of the reparametrisation
``W = c_j·tanh(ω·V)/ω``, ``c_j = softplus(ρ_j)`` (:class:`~spectral_inr.models.SineLayer`'s
``learned_bound``; every ``ρ`` is a parameter named ``bound``).

The penalty is a loss term, not an optax link: pass it as a
:class:`~spectral_inr.train.Fitter`'s ``regularizer``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from spectral_inr.protocols.tuner import LEARNED_LAMBDA

LEARNED_BOUNDS_LAMBDA = LEARNED_LAMBDA   # DianaPat/TUNER configs/config_init.yml: loss_weights {'bound': .00002}
PENALTY_REDUCTIONS = ("sum", "mean")


def learned_bounds_penalty(params, lam: float = LEARNED_BOUNDS_LAMBDA, reduction: str = "sum"):
    """TUNER's bound regulariser over every learned bound ``c = softplus(ρ)`` in ``params``.

    ``reduction="sum"`` (default): ``λ·Σ_j c_j``, the paper's ``L_reg = Σ_j |c_j|``
    (``c > 0`` here).  ``"mean"``: ``λ·mean_j c_j``, the form of the official
    ``ablations/train_tanh.py`` (``‖b‖₁/len(b)``, computed there after the
    optimizer step, so it never reaches the gradients).
    """
    if reduction not in PENALTY_REDUCTIONS:
        raise ValueError(f"reduction must be one of {PENALTY_REDUCTIONS}, got {reduction!r}")
    leaves = [leaf for path, leaf in jax.tree_util.tree_leaves_with_path(params)
              if getattr(path[-1], "key", None) == "bound"]
    if not leaves:
        return jnp.zeros(())
    c = jnp.concatenate([jax.nn.softplus(x).reshape(-1) for x in leaves])
    return lam * (jnp.sum(c) if reduction == "sum" else jnp.mean(c))


def learned_bounds(params) -> dict:
    """The learned bound values ``c = softplus(ρ)`` by layer (for logging)."""
    return {".".join(str(getattr(k, "key", k)) for k in path[:-1]): jax.nn.softplus(leaf)
            for path, leaf in jax.tree_util.tree_leaves_with_path(params) if getattr(path[-1], "key", None) == "bound"}
