"""Sweep members: a list of hyper-parameter dicts ↔ one stacked pytree."""
from __future__ import annotations

import itertools
from typing import Any, Mapping, Sequence, Union

import numpy as np


def grid(seeds: Union[int, Sequence[int]] = 1, **axes: Sequence[Any]) -> list[dict]:
    """The Cartesian product of ``axes`` × seeds, one dict per member.

    >>> grid(seeds=2, lr=[1e-4, 1e-3])
    [{'lr': 0.0001, 'seed': 0}, {'lr': 0.0001, 'seed': 1}, {'lr': 0.001, 'seed': 0}, ...]
    """
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    names = list(axes)
    return [dict(zip(names, values), seed=s)
            for values in itertools.product(*(axes[n] for n in names)) for s in seed_list]


def stack(members: Sequence[Mapping[str, Any]]) -> dict:
    """``[{k: v}, …] -> {k: array of len(members)}`` (float32 for floats)."""
    if not members:
        raise ValueError("a sweep needs at least one member")
    keys = set(members[0])
    for m in members:
        if set(m) != keys:
            raise ValueError(f"all members need the same hyper-parameters, got {sorted(m)} vs {sorted(keys)}")
    out = {}
    for k in sorted(keys):
        arr = np.asarray([m[k] for m in members])
        out[k] = arr.astype(np.float32) if arr.dtype.kind == "f" else arr
    return out
