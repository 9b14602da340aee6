"""WAV loading/saving as mono float signals in [-1, 1] (scipy.io.wavfile)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from ._atomic import atomic_path
from ._checks import check_file, one_line
from .errors import DataError

__all__ = ["load_audio", "save_audio"]


def _to_float(x: np.ndarray, path: Path) -> np.ndarray:
    """Integer PCM -> float64 in [-1, 1): uint8 (x - 128) / 128, intN x / 2**(N-1).

    scipy returns 24-bit PCM as left-justified int32, so /2**31 is also right for it.
    """
    if x.dtype == np.uint8:
        return (x.astype(np.float64) - 128.0) / 128.0
    if np.issubdtype(x.dtype, np.signedinteger):
        return x.astype(np.float64) / float(2 ** (8 * x.dtype.itemsize - 1))
    if np.issubdtype(x.dtype, np.floating):
        return x.astype(np.float64)
    raise DataError(f"{path}: unsupported WAV sample type {x.dtype}")


def load_audio(
    path: str | os.PathLike, *, max_samples: int | None = None, normalize: bool = True
) -> tuple[np.ndarray, int]:
    """Load a WAV file as ``(samples, sample_rate)``; samples is mono float32, 1-D.

    Steps, in the SIREN² reference order: read at the native rate; scale PCM to
    [-1, 1] (uint8 centred at 128: ``(x-128)/128``; int16/24/32: ``x / 2**(bits-1)``;
    float kept as is); stereo/multi-channel -> mono by the mean over channels;
    if ``normalize``, divide by ``max |x|`` over the *whole* clip; then keep the
    first ``max_samples`` samples (SIREN² uses 150000). Note the reference code
    normalises *before* truncating, so the kept part may peak below 1.

    Raises ``DataError`` for a missing file, a non-WAV, an empty WAV, non-finite
    samples, or an all-zero signal when ``normalize`` is true.
    """
    p = check_file(path)
    if max_samples is not None and (
        isinstance(max_samples, bool) or not isinstance(max_samples, (int, np.integer)) or max_samples < 1
    ):
        raise DataError(f"{p}: max_samples must be a positive int or None, got {max_samples!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(p, mmap=False)
    except (ValueError, OSError, EOFError) as e:
        raise DataError(f"{p}: not a readable WAV file ({one_line(e)})") from e
    x = _to_float(np.asarray(data), p)
    if x.ndim == 2:
        if x.shape[1] > 1:
            warnings.warn(f"{p}: {x.shape[1]} channels averaged to mono", UserWarning, stacklevel=2)
        x = x.mean(axis=1) if x.shape[1] > 0 else np.zeros(0)
    if x.ndim != 1:
        raise DataError(f"{p}: unexpected WAV data shape {np.shape(data)}")
    if x.size == 0:
        raise DataError(f"{p}: WAV file has no samples")
    if not np.all(np.isfinite(x)):
        raise DataError(f"{p}: WAV file contains non-finite samples (NaN or inf)")
    if normalize:
        peak = np.max(np.abs(x))
        if peak == 0.0:
            raise DataError(f"{p}: WAV signal is all zeros, cannot peak-normalise")
        x = x / peak
    if max_samples is not None:
        x = x[: int(max_samples)]
    return np.ascontiguousarray(x, dtype=np.float32), int(rate)


def save_audio(path: str | os.PathLike, samples, sample_rate: int) -> Path:
    """Write ``samples`` (``(n,)`` or ``(n, channels)``) as a float32 WAV, atomically.

    Values are written as is (no clipping or scaling). Raises ``DataError`` for
    an empty or non-finite signal, a bad shape, or a non-positive sample rate.
    """
    p = Path(path)
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim not in (1, 2) or x.shape[0] == 0 or (x.ndim == 2 and x.shape[1] == 0):
        raise DataError(f"{p}: cannot save audio of shape {x.shape} (need (n,) or (n, channels), n >= 1)")
    if not np.all(np.isfinite(x)):
        raise DataError(f"{p}: cannot save audio with non-finite samples")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or sample_rate < 1:
        raise DataError(f"{p}: sample_rate must be a positive int, got {sample_rate!r}")
    with atomic_path(p, suffix=".wav") as tmp:
        wavfile.write(tmp, int(sample_rate), x)
    return p
