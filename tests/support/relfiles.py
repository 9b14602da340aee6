"""Writers of good and bad input files for the reliability tests (all tiny).

Every writer takes the target path and returns it, so a test can write its
inputs inside ``tmp_path``.  Nothing here imports JAX.
"""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 16          # images are SIZE×SIZE
N_AUDIO = 256      # samples per WAV


def pattern(size: int = SIZE, channels: int = 3) -> np.ndarray:
    """A smooth deterministic pattern in [0, 1], ``(size, size, channels)``."""
    y, x = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    chans = [0.5 + 0.5 * np.sin(2 * np.pi * (x + c * 0.3)) * np.cos(np.pi * (y - c * 0.2)) for c in range(channels)]
    return np.stack(chans, axis=-1)


def png_rgb(path, size: int = SIZE) -> Path:
    Image.fromarray(np.round(pattern(size) * 255).astype(np.uint8), "RGB").save(path, format="PNG")
    return Path(path)


def png_rgba(path, size: int = SIZE) -> Path:
    a = np.round(pattern(size, 4) * 255).astype(np.uint8)
    Image.fromarray(a, "RGBA").save(path, format="PNG")
    return Path(path)


def png_palette(path, size: int = SIZE) -> Path:
    img = Image.fromarray(np.round(pattern(size) * 255).astype(np.uint8), "RGB").quantize(colors=16)
    assert img.mode == "P"
    img.save(path, format="PNG")
    return Path(path)


def png_gray(path, size: int = SIZE) -> Path:
    Image.fromarray(np.round(pattern(size, 1)[..., 0] * 255).astype(np.uint8), "L").save(path, format="PNG")
    return Path(path)


def png_16bit(path, size: int = SIZE) -> Path:
    a = np.round(pattern(size, 1)[..., 0] * 65535).astype(np.uint16)
    Image.fromarray(a).save(path, format="PNG")   # mode I;16
    with Image.open(path) as img:
        assert img.mode.startswith("I"), img.mode
    return Path(path)


def png_1x1(path) -> Path:
    Image.new("RGB", (1, 1), (10, 20, 30)).save(path, format="PNG")
    return Path(path)


def text_named_png(path) -> Path:
    Path(path).write_text("this is not an image\n")
    return Path(path)


def truncated_png(path, size: int = 64) -> Path:
    """A valid (noisy, so poorly compressible) PNG cut to 60 % of its bytes."""
    a = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    Image.fromarray(a, "RGB").save(path, format="PNG")
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * 0.6)])
    return Path(path)


def tone(n: int = N_AUDIO) -> np.ndarray:
    t = np.arange(n) / n
    return 0.8 * np.sin(2 * np.pi * 5 * t) + 0.1 * np.sin(2 * np.pi * 23 * t)


def wav_pcm(path, bits: int, n: int = N_AUDIO, rate: int = 8000) -> Path:
    """Integer PCM via the stdlib ``wave`` (8-bit unsigned; 16/24/32-bit signed little-endian)."""
    x = tone(n)
    width = bits // 8
    if bits == 8:
        raw = np.round(x * 127 + 128).astype(np.uint8).tobytes()
    else:
        ints = np.round(x * (2 ** (bits - 1) - 1)).astype(np.int64)
        raw = b"".join(int(v).to_bytes(width, "little", signed=True) for v in ints)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(raw)
    return Path(path)


def wav_float(path, n: int = N_AUDIO, rate: int = 8000, dtype=np.float32, values=None) -> Path:
    from scipy.io import wavfile

    x = tone(n) if values is None else np.asarray(values)
    wavfile.write(path, rate, x.astype(dtype))
    return Path(path)


def wav_empty(path) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"")
    return Path(path)


def wav_nan(path, n: int = N_AUDIO) -> Path:
    return wav_float(path, n, values=np.full(n, np.nan))
