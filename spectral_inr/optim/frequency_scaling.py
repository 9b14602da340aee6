"""The Harmonic MLP's frequency-aware optimizer as optax links."""
from __future__ import annotations

from typing import Mapping, Sequence

import jax.numpy as jnp
import optax

from spectral_inr.optim._paths import check_spec, map_with_spec

FREQUENCY_FACTOR = 0.1  # Harmonic-MLP repo: gradient row i × 1/(1 + 0.1·f_i)


def frequency_aware_scaling(frequencies: Mapping[str, Sequence[float]],
                            factor: float = FREQUENCY_FACTOR) -> optax.GradientTransformation:
    """Scale the gradient of neuron ``i`` of each harmonic layer by ``1/(1 + factor·f_i)``.

    ``frequencies`` maps a layer name (e.g. ``"harmonic_0"``, see
    :meth:`HarmonicMLP.neuron_frequencies`) to its per-neuron ``f_i``; the factor
    multiplies the layer's kernel column ``i`` (PyTorch weight row ``i``) and
    bias ``i`` — the last axis of both.  Other leaves pass unchanged;
    a layer name that matches no parameter is an error (at ``init``).
    """
    frozen = {name: tuple(float(v) for v in f) for name, f in frequencies.items()}

    def scale(f, u):
        if f is None:
            return u
        return u / (1.0 + factor * jnp.asarray(f, u.dtype))

    def update_fn(updates, state, params=None):
        del params
        return map_with_spec(scale, frozen, updates), state

    def init_fn(params):
        check_spec(frozen, params, "frequency_aware_scaling")
        return optax.EmptyState()

    return optax.GradientTransformation(init_fn, update_fn)


def harmonic_adam(frequencies: Mapping[str, Sequence[float]], learning_rate=1e-3, weight_decay: float = 1e-5,
                  factor: float = FREQUENCY_FACTOR, b1: float = 0.9, b2: float = 0.999,
                  eps: float = 1e-8) -> optax.GradientTransformation:
    """The Harmonic MLP optimizer in one call.

    ``chain(frequency_aware_scaling, add_decayed_weights(wd), scale_by_adam(),
    scale_by_learning_rate(lr))`` — PyTorch ``Adam(weight_decay=wd)`` (coupled
    decay) applied after the frequency scaling, as in the original.
    Works with ``optax.inject_hyperparams`` (``learning_rate``, ``weight_decay``).
    """
    return optax.chain(
        frequency_aware_scaling(frequencies, factor),
        optax.add_decayed_weights(weight_decay),
        optax.scale_by_adam(b1=b1, b2=b2, eps=eps),
        optax.scale_by_learning_rate(learning_rate),
    )
