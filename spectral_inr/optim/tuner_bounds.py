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

import jax.numpy as jnp
import optax

from spectral_inr.optim._paths import check_spec, map_with_spec
from spectral_inr.protocols.tuner import C_DEEP, C_HIGH, C_LOW, OMEGA_G


def tuner_bounds(groups: Mapping, c_low=C_LOW, c_high=C_HIGH, c_deep=C_DEEP,
                 omega_g=OMEGA_G) -> optax.GradientTransformation:
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
