"""Put the sweep's member axis on a device mesh.

The same code runs on one CPU, many GPUs, or many hosts (after
``jax.distributed.initialize()``): every process builds the same host arrays
(members, seeds, data are deterministic), and
``jax.make_array_from_callback`` hands each device its slice of the member
axis.  Data is replicated.  The member count is padded to a multiple of the
device count by repeating the last member; padded members are dropped from
the results.
"""
from __future__ import annotations

from typing import Optional

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

AXIS = "sweep"


def default_mesh() -> Optional[Mesh]:
    """A 1-D mesh over all (global) devices, or ``None`` on a single device."""
    devices = jax.devices()
    return None if len(devices) == 1 else Mesh(np.asarray(devices), (AXIS,))


def pad_members(tree, k_padded: int):
    """Repeat the last member along axis 0 up to ``k_padded``."""

    def pad(x):
        x = np.asarray(x)
        extra = k_padded - x.shape[0]
        return x if extra == 0 else np.concatenate([x, np.repeat(x[-1:], extra, axis=0)])

    return jax.tree_util.tree_map(pad, tree)


def _place(x, sharding):
    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, sharding, lambda idx: x[idx])


def shard_members(tree, mesh: Optional[Mesh]):
    """Host arrays with a leading member axis → arrays sharded along it."""
    if mesh is None:
        return jax.tree_util.tree_map(jax.numpy.asarray, tree)
    sharding = NamedSharding(mesh, P(AXIS))
    return jax.tree_util.tree_map(lambda x: _place(x, sharding), tree)


def place_like(host_tree, like):
    """Host arrays with the members unpadded → arrays shaped and placed like ``like`` (the same
    pytree with the padded member axis, on its devices): each leaf's member axis is padded by
    repeating the last member (:func:`pad_members`) and put on ``like``'s leaf's sharding."""

    def place(x, ref):
        x = np.asarray(pad_members(x, ref.shape[0]) if np.ndim(x) else x)
        return jax.make_array_from_callback(x.shape, ref.sharding, lambda idx: x[idx])

    return jax.tree_util.tree_map(place, host_tree, like)


def replicate(tree, mesh: Optional[Mesh]):
    if mesh is None:
        return jax.tree_util.tree_map(jax.numpy.asarray, tree)
    sharding = NamedSharding(mesh, P())
    return jax.tree_util.tree_map(lambda x: _place(x, sharding), tree)


def to_host(tree):
    """Fetch (possibly multi-host sharded) arrays as numpy on every process."""
    if jax.process_count() > 1:
        return multihost_utils.process_allgather(tree, tiled=True)
    return jax.device_get(tree)
