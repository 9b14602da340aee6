"""An optax wrapper that records an optimizer's internals (gradient, step, preconditioner, sharpness) in its state."""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import optax

LOGGED = ("grad_norm", "step_norm", "rms_sqrt_v", "frac_eps", "sharpness", "lr")


class LoggedState(NamedTuple):
    inner: Any
    count: jax.Array
    probe: Any          # power-iteration vector (a params-shaped tree), warm-started between steps
    logs: dict          # name -> (length,) float32, NaN where not written


def _tree_dot(a, b):
    return sum(jnp.vdot(x, y) for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))


def logged(inner: optax.GradientTransformation, *, every: int, length: int,
           lr_fn: Callable, precondition: Callable, eps, hvp: Optional[Callable] = None
           ) -> optax.GradientTransformation:
    """Wrap ``inner`` and record the statistics :data:`LOGGED` every ``every`` steps (``length`` records).

    ``precondition(inner_state)`` returns the params-shaped tree of per-coordinate
    denominators ``d`` (``√v̂ + ε`` for Adam, 1 for GD), so the step is
    ``lr_t·m̂/d``; ``lr_fn(count)`` is the learning rate ``lr_t``.  Recorded:
    ``‖g‖``, ``‖Δθ‖``, the RMS over coordinates of ``d − ε`` (``√v̂`` for Adam),
    the fraction of coordinates with ``d − ε < ε``, ``lr_t``, and — when
    ``hvp(tree)``, the exact Hessian-vector product of the loss, is given — the
    preconditioned sharpness ``λmax(D H D)`` with ``D = sqrt(lr_t/d)``, estimated
    by one warm-started power-iteration step per optimizer step (NaN otherwise).
    The updates are ``inner``'s, unchanged.
    """

    def init(params):
        probe = jax.tree_util.tree_map(lambda p: jnp.ones_like(p) / math.sqrt(max(1, p.size)), params)
        logs = {k: jnp.full((length,), jnp.nan, jnp.float32) for k in LOGGED}
        return LoggedState(inner.init(params), jnp.zeros((), jnp.int32), probe, logs)

    def update(grads, state, params=None):
        updates, inner_state = inner.update(grads, state.inner, params)
        lr = lr_fn(state.count)
        denom = precondition(inner_state)
        leaves = jax.tree_util.tree_leaves(denom)
        size = sum(x.size for x in leaves)
        stats = {
            "grad_norm": optax.global_norm(grads),
            "step_norm": optax.global_norm(updates),
            "rms_sqrt_v": jnp.sqrt(sum(jnp.sum(jnp.square(x - eps)) for x in leaves) / size),
            "frac_eps": sum(jnp.sum(x - eps < eps) for x in leaves) / size,
            "lr": jnp.asarray(lr, jnp.float32),
        }
        probe = state.probe
        if hvp is not None:
            # one warm-started power-iteration step per optimizer step (D H D changes slowly)
            scale = jax.tree_util.tree_map(lambda d: jnp.sqrt(lr / d), denom)
            w = jax.tree_util.tree_map(jnp.multiply, scale, hvp(jax.tree_util.tree_map(jnp.multiply, scale, probe)))
            stats["sharpness"] = _tree_dot(probe, w)          # Rayleigh quotient (probe has unit norm)
            norm = jnp.sqrt(_tree_dot(w, w))
            probe = jax.tree_util.tree_map(lambda x: x / jnp.maximum(norm, 1e-30), w)
        else:
            stats["sharpness"] = jnp.nan
        i = state.count // every
        write = (state.count % every == 0) & (i < length)
        j = jnp.minimum(i, length - 1)
        logs = {k: jnp.where(write, v.at[j].set(jnp.asarray(stats[k], jnp.float32)), v) for k, v in state.logs.items()}
        return updates, LoggedState(inner_state, state.count + 1, probe, logs)

    return optax.GradientTransformation(init, update)
