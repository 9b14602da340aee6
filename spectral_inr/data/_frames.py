"""Decoded 2-D frames (video frames, volume slices) -> ``(H, W, C)`` arrays."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import DataError

FRAME_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def frame_files(folder: Path, suffixes=FRAME_SUFFIXES) -> list[Path]:
    """Files of ``folder`` whose suffix is in ``suffixes``, sorted by name (hidden files skipped)."""
    return sorted(
        (f for f in folder.iterdir() if f.suffix.lower() in suffixes and not f.name.startswith(".") and f.is_file()),
        key=lambda f: f.name,
    )


def channels_last(a: np.ndarray, where: str | os.PathLike) -> tuple[np.ndarray, bool]:
    """``(H, W)`` -> ``(H, W, 1)``; gray+alpha and RGBA lose the alpha channel.

    Returns ``(array, dropped_alpha)``; other shapes raise ``DataError``.
    """
    if a.ndim == 2:
        return a[..., None], False
    if a.ndim == 3 and a.shape[-1] in (1, 3):
        return a, False
    if a.ndim == 3 and a.shape[-1] in (2, 4):
        return a[..., : a.shape[-1] - 1], True
    raise DataError(f"{where}: unsupported frame shape {a.shape} (need (H, W) or (H, W, 1|2|3|4))")


def to_unit(a: np.ndarray, where: str | os.PathLike) -> np.ndarray:
    """Samples -> float32 in [0, 1]: uint8 / 255, uint16 / 65535, bool as 0/1, floats kept if in [0, 1]."""
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if a.dtype == np.uint8:
        return a.astype(np.float32) / np.float32(255)
    if a.dtype == np.uint16:
        return a.astype(np.float32) / np.float32(65535)
    if np.issubdtype(a.dtype, np.floating):
        if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
            raise DataError(f"{where}: float frame values must be finite and in [0, 1]")
        return a.astype(np.float32)
    raise DataError(f"{where}: unsupported sample type {a.dtype} (need uint8, uint16 or float in [0, 1])")
