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
from importlib import resources
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from spectral_inr.data import DataError, coordinate_grid, load_audio, load_image

AUDIO_SUFFIXES = {".wav", ".wave"}
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
    sample_rate: Optional[int] = None   # audio: samples per second
    frame_rate: Optional[float] = None  # video: frames per second (as read from the file, if it says)

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


def load_signal(path=None, *, resize: Optional[Sequence[int]] = None, crop: Optional[Sequence[int]] = None,
                max_samples: Optional[int] = None) -> Signal:
    """Load an image (any Pillow format) or a WAV file by its suffix."""
    path = Path(path) if path is not None else default_signal_path()
    if path.suffix.lower() in AUDIO_SUFFIXES:
        if resize is not None or crop is not None:
            raise DataError(f"{path}: --resize/--crop apply to images, not audio")
        samples, rate = load_audio(path, max_samples=max_samples)
        return Signal("audio", samples[:, None].astype(np.float32), str(path), int(rate))
    if max_samples is not None:
        raise DataError(f"{path}: --max-samples applies to audio, not images")
    image = load_image(path, crop=tuple(crop) if crop else None, resize=tuple(resize) if resize else None)
    return Signal("image", image.astype(np.float32), str(path))
