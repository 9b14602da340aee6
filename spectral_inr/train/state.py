"""The training state of one fit: a pytree, so a sweep is the same pytree with
a leading member axis (``jax.vmap`` of init) and a checkpoint is one save."""
from __future__ import annotations

from typing import Any, NamedTuple

import jax


class TrainState(NamedTuple):
    params: Any            # trainable ``params`` collection
    model_state: Any       # other collections (``batch_stats``, ``constants``), {} if none
    opt_state: Any
    step: jax.Array        # int32, number of optimizer steps taken
    key: jax.Array         # raw uint32 key data; per-step randomness (dropout) is ``fold_in(key, step)``
    data_key: jax.Array    # raw key data for the minibatch order
    best_params: Any       # params with the lowest training loss seen so far
    best_loss: jax.Array   # float32
    best_step: jax.Array   # int32
    diverged: jax.Array    # bool: loss became NaN/inf; the member is frozen from then on
    diverged_step: jax.Array  # int32, -1 while finite
