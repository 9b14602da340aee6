"""Video as float32 ``(T, H, W, C)`` in [0, 1], with its frame rate.

Sources: a video file ffmpeg reads (MP4, AVI, MOV, MKV, WebM, ...; ``imageio``'s
``FFMPEG`` plugin, whose ``imageio-ffmpeg`` wheel ships the binary), a GIF (Pillow),
a folder of frames (PNG/JPG/TIFF sorted by file name: zero-pad the numbers), or a
``.npy``/``.npz`` array ``(T, H, W[, C])`` min–max normalised like a volume.
"""

from __future__ import annotations

import itertools
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ._checks import check_file
from ._frames import FRAME_SUFFIXES, channels_last, frame_files, to_unit
from .errors import DataError
from .images import _RESAMPLE, _check_hw, _resize
from .volume import ARRAY_SUFFIXES, as_4d, normalise, read_array

__all__ = ["load_video"]


def _check_frames(frames, p: Path) -> slice:
    if frames is None:
        return slice(None)
    if isinstance(frames, slice):
        parts = (frames.start, frames.stop, frames.step)
    elif isinstance(frames, (tuple, list)) and len(frames) == 3:
        parts = tuple(frames)
    else:
        parts = None
    if parts is None or any(v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)))
                            for v in parts):
        raise DataError(f"{p}: frames must be (start, stop, step), each an int or None (Python slice), "
                        f"got {frames!r}")
    if parts[2] == 0:
        raise DataError(f"{p}: frames step must not be 0, got {frames!r}")
    return slice(*(None if v is None else int(v) for v in parts))


def _select(items: Iterable, sel: slice) -> list:
    """``list(items)[sel]``, stopping early when the slice allows it (non-negative bounds, step > 0)."""
    start, stop, step = sel.start, sel.stop, sel.step
    if (start is None or start >= 0) and (stop is None or stop >= 0) and (step is None or step > 0):
        return list(itertools.islice(items, start, stop, step))
    return list(items)[sel]


def _short(e: BaseException) -> str:
    """First line of an exception (ffmpeg errors carry its whole stderr), at most 200 characters."""
    first = (str(e).strip().splitlines() or [""])[0]
    return f"{type(e).__name__}: {first[:200]}"


def _frame_rate(meta: dict, gif: bool) -> float | None:
    try:
        rate = 1000.0 / float(meta["duration"]) if gif else float(meta["fps"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return rate if math.isfinite(rate) and rate > 0 else None


def _read_file(p: Path, sel: slice) -> tuple[list[np.ndarray], float | None]:
    import imageio.v3 as iio

    check_file(p)
    gif = p.suffix.lower() == ".gif"
    try:
        with iio.imopen(p, "r", plugin="pillow" if gif else "FFMPEG") as f:
            rate = _frame_rate(f.metadata(), gif)
            raw = _select(f.iter(), sel)
    except MemoryError:
        raise
    except Exception as e:  # imageio/ffmpeg/Pillow raise OSError, RuntimeError, ValueError, ...
        raise DataError(f"{p}: not a readable video file ({_short(e)})") from e
    return raw, rate


def _read_folder(p: Path, sel: slice) -> tuple[list[np.ndarray], list[str]]:
    import imageio.v3 as iio

    files = frame_files(p, FRAME_SUFFIXES)
    if not files:
        raise DataError(f"{p}: no frames (PNG/JPG/TIFF files) in this folder")
    raw = []
    for f in files[sel]:
        try:
            raw.append(np.asarray(iio.imread(f, plugin="pillow")))
        except Exception as e:
            raise DataError(f"{f}: not a readable frame image ({_short(e)})") from e
    return raw, [f.name for f in files[sel]]


def load_video(
    path: str | os.PathLike,
    *,
    frames: Sequence[int | None] | slice | None = None,
    resize: Sequence[int] | None = None,
    resample: str = "bilinear",
) -> tuple[np.ndarray, float | None]:
    """Load a video as ``(values, frame_rate)``: float32 ``(T, H, W, C)`` in [0, 1], fps or None.

    ``frames``: ``(start, stop, step)`` with Python slice semantics (any may be
    None), e.g. ``(0, 8, 1)``; with non-negative bounds and a positive step only
    the frames up to ``stop`` are decoded. ``resize``: ``(H, W)`` per frame, the
    same filter as ``load_image`` (Pillow ``resample``, default bilinear, on float32
    channels, clipped to [0, 1]). Files: uint8 / 255 (ffmpeg decodes to RGB, C = 3;
    GIF palettes become RGB); folder frames: 8-bit / 255, 16-bit / 65535, float kept
    if in [0, 1], gray C = 1; alpha is dropped with a ``UserWarning``. Arrays
    (``.npy``/``.npz``) are min–max normalised over the whole array, then sliced.
    ``frame_rate``: the container's fps (GIF: 1000 / first frame's duration in
    ms); None for folders and arrays or when the file does not say.

    Raises ``DataError`` (one line naming the file) for a missing, unreadable or
    corrupt file, an empty folder, frames of different sizes, a bad ``frames``
    or ``resize``, or fewer than 2 frames after selection.
    """
    p = Path(path)
    sel = _check_frames(frames, p)
    size = None if resize is None else _check_hw(resize, "resize", p)
    if resample not in _RESAMPLE:
        raise DataError(f"{p}: resample must be one of {sorted(_RESAMPLE)}, got {resample!r}")
    rate, names, scaled = None, None, False
    if p.is_dir():
        raw, names = _read_folder(p, sel)
    elif p.suffix.lower() in ARRAY_SUFFIXES:
        raw, scaled = list(normalise(as_4d(read_array(p), p, "video"), p, "video")[sel]), True
    else:
        raw, rate = _read_file(p, sel)
    if len(raw) < 2:
        raise DataError(f"{p}: a video needs at least 2 frames, got {len(raw)} (frames={frames!r})")

    out, dropped = None, False
    for i, frame in enumerate(raw):
        where = p / names[i] if names else f"{p} (frame {i})"
        frame, alpha = channels_last(frame, where)
        dropped |= alpha
        if out is None:
            if min(frame.shape[:2]) < 2:
                raise DataError(f"{where}: frame is {frame.shape[0]}x{frame.shape[1]} (HxW), smaller than 2x2")
            out = np.empty((len(raw), *(size or frame.shape[:2]), frame.shape[-1]), np.float32)
            first = frame.shape
        elif frame.shape != first:
            raise DataError(f"{where}: frame is {frame.shape} (H, W, C), the first selected one {first}")
        frame = frame if scaled else to_unit(frame, where)
        out[i] = frame if size is None or size == frame.shape[:2] else _resize(frame, size, resample)
        raw[i] = None  # free the decoded frame
    if dropped:
        warnings.warn(f"{p}: alpha channel dropped (not composited)", UserWarning, stacklevel=2)
    return out, rate
