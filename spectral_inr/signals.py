"""A signal to fit: audio, an image, a video or a volume, with its coordinate grid.

=========  ================  ============  =====================================
kind       ``values``        range         grid axes (all ``linspace(−1, 1, n)``)
=========  ================  ============  =====================================
audio      ``(n, 1)``        [−1, 1]       time
image      ``(H, W, C)``     [0, 1]        (y, x)
video      ``(T, H, W, C)``  [0, 1]        (t, y, x): time first
volume     ``(D, H, W, C)``  [0, 1]        (z, y, x); a scalar volume has C = 1
=========  ================  ============  =====================================

Every kind lives on ``coordinate_grid(shape)`` ("ij" order, endpoints included,
as in SIREN, SIREN² and TUNER); audio is mono and peak-normalised, volumes are
min–max normalised.  ``Signal.spatial_ndim`` says how many trailing grid axes
are spatial (images, video frames: 2; volumes: 3; audio: 0).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from spectral_inr.data import (
    DataError,
    coordinate_grid,
    load_audio,
    load_image,
    load_video,
    load_volume,
)

AUDIO_SUFFIXES = {".wav", ".wave"}
VIDEO_SUFFIXES = {".mp4", ".gif", ".avi", ".mov", ".mkv", ".webm", ".m4v"}
VOLUME_SUFFIXES = {".npy", ".npz"}
KINDS = ("audio", "image", "video", "volume")
GRID_NDIM = {"audio": 1, "image": 2, "video": 3, "volume": 3}
SPATIAL_NDIM = {"audio": 0, "image": 2, "video": 2, "volume": 3}


def default_signal_path() -> Path:
    """The bundled 256×256 cameraman (CC0), the default of the CLI and demo."""
    return Path(str(resources.files("spectral_inr") / "assets" / "cameraman.png"))


@dataclasses.dataclass(frozen=True)
class Signal:
    kind: str                       # one of KINDS
    values: np.ndarray              # audio (n, 1); image (H, W, C); video (T, H, W, C); volume (D, H, W, C)
    path: str
    sample_rate: int | None = None   # audio: samples per second
    frame_rate: float | None = None  # video: frames per second (as read from the file, if it says)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"signal kind must be one of {KINDS}, got {self.kind!r}")
        want = GRID_NDIM[self.kind] + 1
        if self.values.ndim != want:
            raise DataError(f"{self.path}: a {self.kind} signal is {want}-D with a channel axis last, "
                            f"got shape {self.values.shape}")

    @property
    def shape(self) -> tuple:
        """The grid shape: ``(n,)``, ``(H, W)``, ``(T, H, W)`` or ``(D, H, W)``."""
        return self.values.shape[:-1]

    @property
    def ndim(self) -> int:
        """Grid dimensions = input features of the network."""
        return len(self.shape)

    @property
    def spatial_ndim(self) -> int:
        """How many trailing grid axes are spatial: 0 audio, 2 image and video, 3 volume."""
        return SPATIAL_NDIM[self.kind]

    @property
    def size(self) -> int:
        """Number of samples (grid points)."""
        return int(np.prod(self.shape))

    @property
    def channels(self) -> int:
        return self.values.shape[-1]

    def grid(self) -> np.ndarray:
        """Coordinates shaped like the signal: ``(*shape, ndim)``, e.g. ``(H, W, 2)``, ``(n, 1)``, ``(T, H, W, 3)``."""
        return coordinate_grid(self.shape)

    def coords(self) -> np.ndarray:
        """Flat coordinates ``(N, d)``."""
        return self.grid().reshape(-1, len(self.shape))

    def targets(self) -> np.ndarray:
        """Flat values ``(N, C)``."""
        return self.values.reshape(-1, self.channels).astype(np.float32)


def _kind_of(path: Path, kind: str | None) -> str:
    """The kind to load ``path`` as: its suffix's, or ``kind`` where that is a valid override."""
    if kind is not None and kind not in KINDS:
        raise DataError(f"{path}: kind must be one of {KINDS}, got {kind!r}")
    if path.is_dir():
        if kind not in ("video", "volume"):
            raise DataError(f"{path}: is a directory; a folder is a video (--kind video) "
                            "or a volume of slices (--kind volume)")
        return kind
    suffix = path.suffix.lower()
    found = ("audio" if suffix in AUDIO_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES
             else "volume" if suffix in VOLUME_SUFFIXES else "image")
    if kind is None or kind == found or (found == "volume" and kind == "video"):
        return kind or found
    raise DataError(f"{path}: a {suffix or 'suffix-less'} file is read as {found}, not {kind}"
                    + (" (only .npy/.npz arrays can be either video or volume)" if "volume" in (found, kind) else ""))


def _not_for(path: Path, kind: str, **given) -> None:
    """``DataError`` if a flag that does not apply to ``kind`` was given."""
    applies = {"frames": "video", "crop": "images", "max_samples": "audio"}
    for name, value in given.items():
        if value is not None:
            raise DataError(f"{path}: --{name.replace('_', '-')} applies to {applies[name]}, not {kind}")


def load_signal(path=None, *, resize: Sequence[int] | None = None, crop: Sequence[int] | None = None,
                max_samples: int | None = None, frames: Sequence[int | None] | None = None,
                kind: str | None = None) -> Signal:
    """Load a signal, its kind given by the suffix (or ``kind`` where ambiguous).

    ``.wav`` audio; ``VIDEO_SUFFIXES`` video (``load_video``, with ``frame_rate``);
    ``.npy``/``.npz`` a volume (``load_volume``; ``kind="video"`` reads a ``(T, H, W[, C])``
    array, min–max normalised); a folder needs ``kind="video"`` (frames) or ``"volume"``
    (slices); anything else an image (any Pillow format). Flags apply to: ``resize``
    images, video ``(H, W)`` and volumes ``(D, H, W)``; ``crop`` images; ``max_samples``
    audio; ``frames`` ``(start, stop, step)`` video. Others raise ``DataError``.
    """
    path = Path(path) if path is not None else default_signal_path()
    kind = _kind_of(path, kind)
    if kind == "audio":
        if resize is not None or crop is not None:
            raise DataError(f"{path}: --resize/--crop apply to images, not audio")
        _not_for(path, kind, frames=frames)
        samples, rate = load_audio(path, max_samples=max_samples)
        return Signal("audio", samples[:, None].astype(np.float32), str(path), int(rate))
    if kind == "video":
        _not_for(path, kind, crop=crop, max_samples=max_samples)
        values, rate = load_video(path, frames=frames, resize=tuple(resize) if resize else None)
        return Signal("video", values, str(path), frame_rate=rate)
    if kind == "volume":
        _not_for(path, kind, crop=crop, max_samples=max_samples, frames=frames)
        return Signal("volume", load_volume(path, resize=tuple(resize) if resize else None), str(path))
    if max_samples is not None:
        raise DataError(f"{path}: --max-samples applies to audio, not images")
    _not_for(path, "images", frames=frames)
    image = load_image(path, crop=tuple(crop) if crop else None, resize=tuple(resize) if resize else None)
    return Signal("image", image.astype(np.float32), str(path))
