"""How much memory a full-batch step will want, from the shapes alone (nothing compiled).

A step keeps every layer's activations for the backward pass; measured on this CPU
(SIREN 3×256, float32), XLA's peak is close to ``3 × 4 bytes`` per activation value:
1024² pixels → 8.9 GB measured, ``1,048,576 × 771 × 12 B = 9.7 GB`` estimated.
"""
from __future__ import annotations

import os
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np

BYTES_PER_ACTIVATION = 12   # float32 value, its gradient and one temporary
PEAK_FRACTION = 0.8         # refuse above this share of the available memory
WARN_FRACTION = 0.25        # warn above this share


def activation_width(model, in_features: int, variables=None) -> int:
    """Sum of every submodule's output width for one sample (``capture_intermediates``)."""
    x = jnp.zeros((1, in_features), jnp.float32)
    if variables is None:
        variables = jax.eval_shape(model.init, jax.random.PRNGKey(0), x)

    def apply(v, x):
        return model.apply(v, x, capture_intermediates=True, mutable=["intermediates"])

    _, state = jax.eval_shape(apply, variables, x)
    leaves = jax.tree_util.tree_leaves(state["intermediates"])
    return int(in_features + sum(int(np.prod(leaf.shape[1:])) for leaf in leaves if leaf.ndim >= 1))


def step_bytes(model, samples: int, in_features: int, members: int = 1) -> int:
    """Estimated peak bytes of one training step on ``samples`` samples for ``members`` vmapped members."""
    return int(members) * int(samples) * activation_width(model, in_features) * BYTES_PER_ACTIVATION


def available_bytes() -> Optional[int]:
    """``MemAvailable`` (Linux), else physical memory; ``None`` if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def largest_batch(per_sample_bytes: float, budget: float, samples: int) -> int:
    """The largest power of two ≤ ``samples`` whose step fits in ``budget`` bytes (at least 1)."""
    b = 1
    while b * 2 <= samples and (b * 2) * per_sample_bytes <= budget:
        b *= 2
    return b
