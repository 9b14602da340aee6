"""Choose one of several optax transforms by a (traced) index, so optimizer *types* can be sweep members."""
from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import optax


def switch(transforms: Sequence[optax.GradientTransformation], index) -> optax.GradientTransformation:
    """Run every transform on the same gradients and keep the updates of ``transforms[index]``.

    ``index`` may be a traced integer (a vmapped member hyper-parameter): every
    transform keeps its own state and is updated at every step, and the output is
    selected with ``jnp.where``, so the members of one vmapped sweep can use
    different optimizer families.  The cost is that of running all of them.
    """

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(grads, state, params=None):
        outs = [t.update(grads, s, params) for t, s in zip(transforms, state)]
        updates = outs[0][0]
        for k, (u, _) in enumerate(outs[1:], start=1):
            updates = jax.tree_util.tree_map(lambda a, b, k=k: jnp.where(index == k, b, a), updates, u)
        return updates, tuple(o[1] for o in outs)

    return optax.GradientTransformation(init, update)
