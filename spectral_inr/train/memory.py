"""How much memory a full-batch step will want, from the shapes alone (nothing compiled).

A step keeps every layer's activations for the backward pass; measured on this CPU
(SIREN 3×256, float32), XLA's peak is close to ``3 × 4 bytes`` per activation value:
1024² pixels → 8.9 GB measured, ``1,048,576 × 771 × 12 B = 9.7 GB`` estimated.

The memory it is compared with (:func:`available`) is the device's on a GPU/TPU and, on a CPU,
the host's ``MemAvailable`` or a smaller cgroup allowance (containers).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
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


MEMINFO = "/proc/meminfo"
CGROUP_ROOT = "/sys/fs/cgroup"
CGROUP_UNLIMITED = 2**62   # cgroup v1 writes "no limit" as ~2^63 (9223372036854771712)


@dataclasses.dataclass(frozen=True)
class Available:
    """Bytes a step may use and where that figure came from (for messages)."""

    nbytes: Optional[int]   # None: unknown
    source: str             # "cuda:0" (the device's allocator), "cgroup limit", "host" or "unknown"

    def describe(self) -> str:
        """``"on cuda:0"``, ``"under the cgroup limit"``, ``"on this host"``, as a message's tail."""
        return {"cgroup limit": "under the cgroup limit", "host": "on this host",
                "unknown": "(unknown)"}.get(self.source, f"on {self.source}")


def device_bytes(device) -> Optional[int]:
    """An accelerator's free memory: ``bytes_limit - bytes_in_use`` from ``device.memory_stats()``
    (XLA's allocator: its limit is the preallocated pool, not the card's size); ``None`` when the
    device keeps no statistics (CPU) or they cannot be read."""
    try:
        stats = device.memory_stats()
    except Exception:   # noqa: BLE001 — backends raise their own types (e.g. XlaRuntimeError: UNIMPLEMENTED)
        return None
    if not stats or "bytes_limit" not in stats:
        return None
    return max(0, int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0)))


def _read_int(path: Path) -> Optional[int]:
    try:
        text = path.read_text().strip()
    except (OSError, ValueError):
        return None
    if text == "max":
        return CGROUP_UNLIMITED
    try:
        return int(text)
    except ValueError:
        return None


def _stat(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def cgroup_bytes(root=CGROUP_ROOT) -> Optional[int]:
    """What this process's memory cgroup still allows: its limit minus its usage (reclaimable page
    cache, ``inactive_file``, not counted as used); ``None`` without a limit.

    cgroup v2: ``root/memory.max`` (``"max"``: no limit) and ``memory.current``; v1:
    ``root/memory/memory.limit_in_bytes`` (~2^63: no limit) and ``memory.usage_in_bytes``.  Read
    at the mount point, which in a container (Docker, Kubernetes) is the container's own cgroup."""
    root = Path(root)
    for folder, limit, usage, stat, inactive in (
            (root, "memory.max", "memory.current", "memory.stat", "inactive_file"),
            (root / "memory", "memory.limit_in_bytes", "memory.usage_in_bytes", "memory.stat",
             "total_inactive_file")):
        cap = _read_int(folder / limit)
        if cap is None:
            continue
        if cap >= CGROUP_UNLIMITED:
            return None
        used = _read_int(folder / usage) or 0
        used = max(0, used - _stat(folder / stat, inactive))
        return max(0, cap - used)
    return None


def host_bytes(meminfo=MEMINFO) -> Optional[int]:
    """``MemAvailable`` (Linux), else physical memory; ``None`` if unknown."""
    try:
        with open(meminfo) as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def available(device=None, *, cgroup_root=CGROUP_ROOT, meminfo=MEMINFO) -> Available:
    """The memory a step can use on ``device`` (default: ``jax.devices()[0]``, the first device
    a sweep shards over) and its source.

    * GPU/TPU: the device's allocator (:func:`device_bytes`), named as the device (``cuda:0``);
      without statistics, unknown (host memory says nothing about the card's);
    * CPU: ``MemAvailable`` (:func:`host_bytes`), or the cgroup's remaining allowance
      (:func:`cgroup_bytes`) when one is set and smaller.
    """
    if device is None:
        device = jax.devices()[0]
    if getattr(device, "platform", "cpu") != "cpu":
        free = device_bytes(device)
        return Available(free, str(device)) if free is not None else Available(None, "unknown")
    host, cgroup = host_bytes(meminfo), cgroup_bytes(cgroup_root)
    if cgroup is not None and (host is None or cgroup < host):
        return Available(cgroup, "cgroup limit")
    return Available(host, "host" if host is not None else "unknown")


def available_bytes(device=None, *, cgroup_root=CGROUP_ROOT, meminfo=MEMINFO) -> Optional[int]:
    """Bytes a step may use on ``device`` (see :func:`available`); ``None`` if unknown."""
    return available(device, cgroup_root=cgroup_root, meminfo=meminfo).nbytes


def largest_batch(per_sample_bytes: float, budget: float, samples: int) -> int:
    """The largest power of two ≤ ``samples`` whose step fits in ``budget`` bytes (at least 1)."""
    b = 1
    while b * 2 <= samples and (b * 2) * per_sample_bytes <= budget:
        b *= 2
    return b
