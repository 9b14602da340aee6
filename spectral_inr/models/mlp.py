"""``SinusoidalMLP``: a stack of layers, each a ``SineLayer`` or an encoding.

Every model of the library is an instance of this module built by a preset
(:mod:`spectral_inr.models.presets`).  Parameters are a plain pytree
``{"params": {"layers_0": {...}, "layers_1": {...}, ...}}``, so optax masks,
TUNER bounds and ``jax.vmap`` stacking address layers by index.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn


class SinusoidalMLP(nn.Module):
    """``f(x) = L_{n−1} ∘ … ∘ L_0 (x)`` over the given layer list."""

    layers: Sequence[nn.Module]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
