"""TUNER's bounds as the last link of an optax chain (arXiv 2407.21121).

After every step the hidden weights satisfy ``|ω_G·W_ij| ≤ c_j``: a soft
band-limit, since by TUNER's Theorem 2 the amplitude of a generated frequency
``⟨k, ω⟩`` is at most ``∏_j (|W_ij|/2)^{|k_j|}/|k_j|!``.  Like optax's
``keep_params_nonnegative``, the link returns ``clip(p + u) − p`` so that
``optax.apply_updates`` lands on the projection — up to float32 rounding of
``p + (clip(p + u) − p)``, which is exact while ``|p|`` is near the bound (a
weight far outside it, e.g. ``p = 1000`` with bound 0.02, can overshoot by an ulp
of ``p``).

The official code builds its bounds with ``p/2*π`` where ``p/(2π)`` was meant
(so its frequency classes are off) and builds learned bounds without applying
them; we implement the paper's intent: classes from the integer ``k``
themselves, and learned bounds as a reparametrisation (``SineLayer.learned_bound``).
"""
from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp
import optax

from spectral_inr.optim._paths import check_spec, map_with_spec


def tuner_bounds(groups: Mapping, c_low=1.0, c_high=0.6, c_deep=1.0, omega_g=30.0) -> optax.GradientTransformation:
    """Project bounded kernels onto ``|W| ≤ c/ω_G`` after the update.

    Args:
      groups: ``{layer: {"kernel": g}}`` with ``g`` an int array broadcastable
        to the kernel: 0 → ``c_low``, 1 → ``c_high``, 2 → ``c_deep``
        (:func:`spectral_inr.models.tuner_bound_groups` builds it).
      c_low, c_high, c_deep, omega_g: numbers or traced arrays — the link works
        under ``jax.vmap`` (a sweep over bounds) and ``optax.inject_hyperparams``.
    """

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("tuner_bounds needs params: call update(updates, state, params)")
        c = jnp.stack([jnp.asarray(c_low), jnp.asarray(c_high), jnp.asarray(c_deep)]) / omega_g

        def project(g, u, p):
            if g is None:
                return u
            bound = c[jnp.asarray(g)].astype(p.dtype)
            return jnp.clip(p + u, -bound, bound) - p

        return map_with_spec(project, groups, updates, params), state

    def init_fn(params):
        check_spec(groups, params, "tuner_bounds")
        return optax.EmptyState()

    return optax.GradientTransformation(init_fn, update_fn)


LEARNED_BOUNDS_LAMBDA = 2e-5  # DianaPat/TUNER configs/config_init.yml: loss_weights {'bound': .00002}
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
