"""Coordinate grids in [-1, 1] for N-d signals."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["coordinate_grid"]

_KINDS = ("linspace", "centers")


def _axis(n: int, kind: str) -> np.ndarray:
    if kind == "linspace":
        return np.linspace(-1.0, 1.0, n)
    return -1.0 + (2.0 * np.arange(n) + 1.0) / n


def coordinate_grid(shape: int | Sequence[int], *, kind: str = "linspace", dtype=np.float32) -> np.ndarray:
    """Coordinates of every sample of a signal of ``shape``, in [-1, 1].

    Returns an array of shape ``(*shape, len(shape))``: ``grid[i0, i1, ...] =
    (c0[i0], c1[i1], ...)`` ("ij" indexing). For an image ``(H, W)`` the last
    axis is ``(y, x)`` = (row coordinate, column coordinate), *not* (x, y).
    An int ``n`` is treated as ``(n,)`` and gives shape ``(n, 1)``.

    Per axis of length ``n``:
      * ``kind="linspace"``: ``c[i] = -1 + 2 i / (n - 1)`` (``np.linspace(-1, 1, n)``,
        both endpoints included; used by SIREN, SIREN² and TUNER code). ``n = 1`` gives ``[-1]``.
      * ``kind="centers"``: pixel centres ``c[i] = -1 + (2 i + 1) / n``.

    Values are computed in float64 and cast to ``dtype`` (float32 numpy by default);
    flatten with ``grid.reshape(-1, grid.shape[-1])``.
    """
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    shape = tuple(shape)
    if not shape:
        raise ValueError("coordinate_grid: shape must have at least one axis")
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"coordinate_grid: every axis length must be a positive int, got shape {shape!r}")
    if kind not in _KINDS:
        raise ValueError(f"coordinate_grid: kind must be one of {_KINDS}, got {kind!r}")
    axes = [_axis(int(n), kind) for n in shape]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack(mesh, axis=-1).astype(dtype)
