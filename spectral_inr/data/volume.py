"""Volumes as float32 ``(D, H, W, C)`` arrays, min–max normalised to [0, 1].

Sources: ``.npy``, ``.npz`` (its only array, or ``key``) or a folder of 2-D
slices (PNG/TIFF, 8- or 16-bit, sorted by file name: zero-pad the numbers).
"""

from __future__ import annotations

import os
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._checks import check_file, one_line
from ._frames import channels_last, frame_files
from .errors import DataError
from .images import MAX_SIDE

__all__ = ["ARRAY_SUFFIXES", "SLICE_SUFFIXES", "load_volume"]

ARRAY_SUFFIXES = {".npy", ".npz"}
SLICE_SUFFIXES = {".png", ".tif", ".tiff"}
_AXES = {"volume": "(D, H, W)", "video": "(T, H, W)"}


def read_array(p: Path, key: str | None = None) -> np.ndarray:
    """The raw array of a ``.npy`` or ``.npz`` file (``key``: which array of an ``.npz``)."""
    check_file(p)
    try:
        data = np.load(p, allow_pickle=False)
        if isinstance(data, np.lib.npyio.NpzFile):
            with data:
                names = list(data.files)
                if key is None:
                    if len(names) != 1:
                        raise DataError(f"{p}: holds {len(names)} arrays {names}; pass key= to pick one")
                    key = names[0]
                elif key not in names:
                    raise DataError(f"{p}: no array {key!r} (it holds {names})")
                a = data[key]
        else:
            if key is not None:
                raise DataError(f"{p}: key= applies to .npz files, not .npy")
            a = data
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"{p}: not a readable NumPy array file ({one_line(e)})") from e
    a = np.asarray(a)
    if not (a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise DataError(f"{p}: unsupported array type {a.dtype} (need bool, integer or float)")
    return a


def as_4d(a: np.ndarray, p: Path, what: str = "volume") -> np.ndarray:
    """3-D -> add C = 1; 4-D kept if C <= 4; anything else raises ``DataError``."""
    axes = _AXES[what]
    if a.ndim == 3:
        a = a[..., None]
    elif a.ndim == 4:
        if not 1 <= a.shape[-1] <= 4:
            moved = (*a.shape[1:], a.shape[0])
            raise DataError(f"{p}: a {what} is {axes[:-1]}, C) with C <= 4 channels last; got shape {a.shape} "
                            f"(channels first? np.moveaxis(a, 0, -1) gives {moved})")
    else:
        raise DataError(f"{p}: a {what} is 3-D {axes} or 4-D {axes[:-1]}, C); got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise DataError(f"{p}: {what} contains non-finite values (NaN or inf)")
    return a


def normalise(a: np.ndarray, p: Path, what: str = "volume") -> np.ndarray:
    """Min–max over all samples and channels -> float32 in [0, 1]; a constant array raises ``DataError``."""
    a = np.asarray(a, np.float64)
    lo, hi = float(a.min()), float(a.max())
    if not hi > lo:
        raise DataError(f"{p}: {what} is constant ({lo:g}), cannot min–max normalise")
    return np.clip((a - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def _read_slices(folder: Path) -> np.ndarray:
    import imageio.v3 as iio

    files = frame_files(folder, SLICE_SUFFIXES)
    if not files:
        raise DataError(f"{folder}: no slices (PNG/TIFF files) in this folder")
    slices, dropped = [], False
    for f in files:
        try:
            s = np.asarray(iio.imread(f, plugin="pillow"))
        except (OSError, ValueError, SyntaxError, EOFError) as e:
            raise DataError(f"{f}: not a readable slice image ({one_line(e)})") from e
        s, alpha = channels_last(s, f)
        dropped |= alpha
        if slices and s.shape != slices[0].shape:
            raise DataError(f"{f}: slice is {s.shape} (H, W, C), but {files[0].name} is {slices[0].shape}")
        slices.append(s)
    if dropped:
        warnings.warn(f"{folder}: alpha channel of the slices dropped", UserWarning, stacklevel=3)
    return np.stack(slices)


def _check_dhw(value, p: Path) -> tuple[int, int, int]:
    if (not isinstance(value, (tuple, list)) or len(value) != 3
            or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 2 <= v <= MAX_SIDE
                   for v in value)):
        raise DataError(f"{p}: volume resize must be (D, H, W) ints in [2, {MAX_SIDE}], got {value!r}")
    return tuple(int(v) for v in value)


def load_volume(
    path: str | os.PathLike, *, key: str | None = None, resize: Sequence[int] | None = None
) -> np.ndarray:
    """Load a volume as float32 ``(D, H, W, C)``, min–max normalised to [0, 1].

    ``path``: ``.npy``, ``.npz`` (its only array, or the one named ``key``) or a
    folder of 2-D slices (PNG/TIFF, 8/16-bit or float, sorted by file name; gray
    gives C = 1, alpha is dropped). A 3-D array ``(D, H, W)`` gets C = 1; a 4-D one
    is ``(D, H, W, C)`` with C <= 4. Normalisation: ``(v - min) / (max - min)`` over
    all samples and channels, so a constant volume raises ``DataError``.
    ``resize``: ``(D, H, W)`` by ``scipy.ndimage.zoom`` (order 1, corners aligned
    as the ``linspace`` grid; no anti-aliasing), applied before normalising.

    Raises ``DataError`` (one line naming the file) for a missing or unreadable
    file, a bad shape, fewer than 2 samples along an axis, non-finite values,
    slices of different sizes, or a constant volume.
    """
    p = Path(path)
    size = None if resize is None else _check_dhw(resize, p)
    if p.is_dir():
        a = _read_slices(p)
    elif p.suffix.lower() in ARRAY_SUFFIXES:
        a = read_array(p, key)
    else:
        check_file(p)
        raise DataError(f"{p}: a volume is a .npy/.npz file or a folder of slices, not {p.suffix or 'this file'}")
    a = as_4d(a, p)
    if min(a.shape[:3]) < 2:
        raise DataError(f"{p}: a volume needs at least 2 samples along D, H and W; got shape {a.shape}")
    if size is not None and size != a.shape[:3]:
        from scipy import ndimage

        factors = [t / s for t, s in zip(size, a.shape[:3])] + [1.0]
        a = ndimage.zoom(np.asarray(a, np.float64), factors, order=1, grid_mode=False)
        if a.shape[:3] != size:  # scipy rounds the output shape; never expected to differ
            raise DataError(f"{p}: resize to {size} gave shape {a.shape[:3]}")
    return normalise(a, p)
