"""Learning-rate schedules whose shape is itself a (traced) hyper-parameter."""
from __future__ import annotations

from typing import Callable

import jax.numpy as jnp


def cosine_mix_schedule(lr, decay, steps: int) -> Callable:
    """``count -> lr·(1 − decay·(1 − ½(1 + cos(π·min(count/steps, 1)))))``.

    ``decay = 0`` is the constant ``lr``; ``decay = 1`` is the cosine decay from
    ``lr`` to 0 over ``steps`` (optax's ``cosine_decay_schedule`` with ``alpha = 0``);
    values between mix the two.  ``lr`` and ``decay`` may be traced, so constant and
    decayed members share one vmapped sweep.
    """

    def lr_fn(count):
        frac = jnp.minimum(count / steps, 1.0)
        return lr * (1.0 - decay * (1.0 - 0.5 * (1.0 + jnp.cos(jnp.pi * frac))))

    return lr_fn
