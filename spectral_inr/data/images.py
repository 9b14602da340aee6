"""Image loading/saving as float arrays in [0, 1] (Pillow)."""

from __future__ import annotations

import os
import struct
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

from ._atomic import atomic_path
from ._checks import check_file, one_line
from .errors import DataError

__all__ = ["load_image", "save_image", "MAX_SIDE"]

MAX_SIDE = 32768  # largest accepted crop/resize side, in pixels
_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
_MODES = ("rgb", "gray", None)
_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as Pillow's RGB -> L
_TO_RGB = ("CMYK", "YCbCr", "LAB", "HSV")


def _check_hw(value, what: str, path: Path) -> tuple[int, int]:
    try:
        h, w = value
    except (TypeError, ValueError):
        raise DataError(f"{path}: {what} must be a pair (H, W), got {value!r}") from None
    for v in (h, w):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 2 <= v <= MAX_SIDE:
            raise DataError(f"{path}: {what} sides must be ints in [2, {MAX_SIDE}], got {value!r}")
    return int(h), int(w)


def _to_array(img: Image.Image, path: Path) -> tuple[np.ndarray, bool, bool]:
    """Decoded image -> (float64 (H, W, C) in [0, 1], is_gray, dropped_alpha)."""
    mode = img.mode
    if mode == "1":
        return np.asarray(img.convert("L"), np.float64)[..., None] / 255.0, True, False
    if mode == "L":
        return np.asarray(img, np.float64)[..., None] / 255.0, True, False
    if mode in ("LA", "La"):
        return np.asarray(img.convert("LA"), np.float64)[..., :1] / 255.0, True, True
    if mode.startswith("I;16"):
        return np.asarray(img).astype(np.float64)[..., None] / 65535.0, True, False
    if mode == "I":
        a = np.asarray(img).astype(np.float64)
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise DataError(f"{path}: 32-bit integer image with values outside [0, 65535] is not supported")
        return a[..., None] / 65535.0, True, False
    if mode == "RGB":
        return np.asarray(img, np.float64) / 255.0, False, False
    if mode in ("RGBA", "RGBa", "PA") or (mode == "P" and "transparency" in img.info):
        return np.asarray(img.convert("RGBA"), np.float64)[..., :3] / 255.0, False, True
    if mode == "P" or mode in _TO_RGB:
        return np.asarray(img.convert("RGB"), np.float64) / 255.0, False, False
    raise DataError(f"{path}: unsupported image mode {mode!r}")


def _decode(path: Path) -> tuple[np.ndarray, bool, bool]:
    try:
        with Image.open(path) as img:
            img.load()  # force a full decode so truncated files fail here
            return _to_array(img, path)
    except DataError:
        raise
    except UnidentifiedImageError:
        raise DataError(f"{path}: not a recognised image file") from None
    except Image.DecompressionBombError as e:
        raise DataError(f"{path}: image too large to decode safely ({one_line(e)})") from e
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as e:
        raise DataError(f"{path}: corrupt or truncated image ({one_line(e)})") from e


def _resize(a: np.ndarray, hw: tuple[int, int], resample: str) -> np.ndarray:
    """Per-channel float32 ('F' mode) resize, so 16-bit precision survives."""
    chans = []
    for c in range(a.shape[-1]):
        channel = Image.fromarray(np.ascontiguousarray(a[..., c], np.float32))  # mode "F"
        chans.append(np.asarray(channel.resize((hw[1], hw[0]), _RESAMPLE[resample])))
    return np.clip(np.stack(chans, axis=-1).astype(np.float64), 0.0, 1.0)


def load_image(
    path: str | os.PathLike,
    *,
    mode: str | None = None,
    crop: Sequence[int] | None = None,
    resize: Sequence[int] | None = None,
    resample: str = "bilinear",
    dtype=np.float32,
) -> np.ndarray:
    """Load an image as an ``(H, W, C)`` float array in [0, 1].

    Pipeline: full decode -> scale to [0, 1] (8-bit: /255; 16-bit ``I;16``/``I``: /65535)
    -> channel conversion -> centre ``crop`` -> ``resize`` -> cast to ``dtype``.
    The crop is taken *before* the resize (TUNER uses 512x512 crops of Kodak).

    ``mode``: ``"rgb"`` (C=3; gray is replicated), ``"gray"`` (C=1; colour becomes
    BT.601 luma ``0.299 R + 0.587 G + 0.114 B``, computed in float) or ``None`` (auto:
    C=1 for grayscale files, else 3). Alpha (RGBA, LA, transparent palette) is
    dropped, not composited, with a ``UserWarning``. Palette images become RGB.
    Note: Pillow decodes 16-bit *colour* PNGs as 8-bit RGB.

    ``crop``: ``(H, W)`` centre crop, offset ``((H0 - H) // 2, (W0 - W) // 2)``.
    ``resize``: ``(H, W)`` target size (Pillow ``resample`` filter on float32 channels,
    result clipped to [0, 1]). Sides must be in [2, 32768]; images below 2x2 are rejected.

    Raises ``DataError`` (one line naming the file) for a missing file, a
    directory, a non-image, a truncated/corrupt file, a too-small image, or bad sizes.
    """
    p = check_file(path)
    if mode not in _MODES:
        raise DataError(f"{p}: mode must be 'rgb', 'gray' or None, got {mode!r}")
    if resample not in _RESAMPLE:
        raise DataError(f"{p}: resample must be one of {sorted(_RESAMPLE)}, got {resample!r}")
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise DataError(f"{p}: dtype must be a floating dtype, got {dtype}")
    crop_hw = None if crop is None else _check_hw(crop, "crop", p)
    size_hw = None if resize is None else _check_hw(resize, "resize", p)

    a, is_gray, dropped_alpha = _decode(p)
    h, w = a.shape[:2]
    if h < 2 or w < 2:
        raise DataError(f"{p}: image is {h}x{w} (HxW), smaller than 2x2")
    if dropped_alpha:
        warnings.warn(f"{p}: alpha channel dropped (not composited)", UserWarning, stacklevel=2)

    if mode == "rgb" and is_gray:
        a = np.repeat(a, 3, axis=-1)
    elif mode == "gray" and not is_gray:
        a = (a @ _LUMA)[..., None]

    if crop_hw is not None:
        ch, cw = crop_hw
        if ch > h or cw > w:
            raise DataError(f"{p}: crop {ch}x{cw} is larger than the {h}x{w} image")
        top, left = (h - ch) // 2, (w - cw) // 2
        a = a[top : top + ch, left : left + cw]
    if size_hw is not None and size_hw != a.shape[:2]:
        try:
            a = _resize(a, size_hw, resample)
        except MemoryError:
            gib = size_hw[0] * size_hw[1] * a.shape[-1] * 8 / 2**30
            raise DataError(f"{p}: resizing to {size_hw[0]}x{size_hw[1]} needs ~{gib:.0f} GiB, more memory "
                            "than is available") from None
    return np.ascontiguousarray(a, dtype=dtype)


def save_image(path: str | os.PathLike, array) -> Path:
    """Write ``array`` as an 8-bit PNG, atomically (temp file + ``os.replace``).

    ``array``: ``(H, W)`` or ``(H, W, C)`` with C in {1, 3, 4} (numpy or JAX).
    Float values are clipped to [0, 1] and mapped to ``round(255 x)``; uint8
    arrays are written unchanged. The format is PNG whatever the suffix.
    Raises ``DataError`` for a bad shape or non-finite values. Returns the path.
    """
    p = Path(path)
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] in (3, 4))) or min(a.shape[:2]) < 1:
        raise DataError(f"{p}: cannot save array of shape {np.shape(array)} as an image (need (H, W) or (H, W, 1|3|4))")
    if a.dtype != np.uint8:
        a = a.astype(np.float64)
        if not np.all(np.isfinite(a)):
            raise DataError(f"{p}: cannot save image with non-finite values")
        a = np.round(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)
    with atomic_path(p, suffix=".png") as tmp:
        Image.fromarray(a).save(tmp, format="PNG")
    return p
