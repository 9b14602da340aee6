"""A signal to fit: an image or an audio clip, with its coordinate grid.

Images are ``(H, W, C)`` in [0, 1] on the grid ``coordinate_grid((H, W))``;
audio is ``(n, 1)`` in [−1, 1] (mono, peak-normalised) on ``linspace(−1, 1, n)``,
as in SIREN, SIREN² and TUNER.
"""
from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from spectral_inr.data import DataError, coordinate_grid, load_audio, load_image

AUDIO_SUFFIXES = {".wav", ".wave"}


def default_signal_path() -> Path:
    """The bundled 256×256 cameraman (CC0), the default of the CLI and demo."""
    return Path(str(resources.files("spectral_inr") / "assets" / "cameraman.png"))


@dataclasses.dataclass(frozen=True)
class Signal:
    kind: str                       # "image" or "audio"
    values: np.ndarray              # image (H, W, C); audio (n, 1)
    path: str
    sample_rate: Optional[int] = None

    @property
    def shape(self) -> tuple:
        """The grid shape: ``(H, W)`` or ``(n,)``."""
        return self.values.shape[:-1]

    @property
    def channels(self) -> int:
        return self.values.shape[-1]

    def grid(self) -> np.ndarray:
        """Coordinates shaped like the signal: ``(H, W, 2)`` or ``(n, 1)``."""
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
