"""SIREN²'s noise scales from a target's spectral centroid (arXiv 2509.09719).

:func:`spectral_centroid` is the authors' ``modules/networks.py``
``spectral_centroid``: the centroid of the rFFT magnitude with
``rfftfreq(d=1)`` (cycles per sample, in ``[0, ½]``) along the last signal axis
(per row for an ``(H, W, C)`` array, then averaged over rows), for each
channel, averaged over channels, doubled to lie in ``[0, 1]`` and divided by
the channel count: ``SC = 2 · mean_c(centroid_c) / n_ch``.

:func:`noise_scales` feeds it what the official scripts feed it and uses
``SC/n_ch`` as their ``SIREN_square.set_noise_scales`` does:

    audio:  S0 = 3500·(1 − exp(−7·SC/n_ch)),  S1 = 3·SC/n_ch
    images: S0 = 50·(1 − exp(−5·SC/n_ch)),    S1 = 0.4·SC/n_ch

* audio (``learn_audios.py``): the peak-normalised waveform, ``(n, 1)``;
* images (``learn_images.py``): the *flattened* ``(H·W, C)`` pixels scaled to
  ``[−1, 1]`` (torchvision ``Normalize(0.5, 0.5)``), so the rFFT runs over the
  row-major pixel sequence, not per row.

* video and volumes (no rule in the authors' code — our extension): the image
  rule on every sample, flattened row-major over ``(T|D, H, W)``, image constants.

(The repository's first commit divided by ``√n_ch``; commit c3c9f0d replaced
it with ``n_ch``.  For mono audio the two agree.)
"""
from __future__ import annotations

import numpy as np

AUDIO_CONSTANTS = (3500.0, 7.0, 3.0)   # S0 amplitude, S0 rate, S1 slope
IMAGE_CONSTANTS = (50.0, 5.0, 0.4)


def spectral_centroid(signal) -> float:
    """SIREN²'s normalised spectral centroid ``SC`` of a signal with its channel axis last.

    ``signal``: audio ``(n,)`` (mono) or ``(n, C)``; image ``(H, W, C)``.  A 2-D
    array is always read as ``(n, C)`` audio — give a grey image a channel
    axis (``img[..., None]``) or use :func:`noise_scales` with ``kind="image"``.
    """
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n_ch = x.shape[-1]
    centroids = []
    for c in range(n_ch):
        data = x[..., c]
        spectrum = np.abs(np.fft.rfft(data, axis=-1))
        freqs = np.fft.rfftfreq(data.shape[-1], d=1)
        weight = spectrum.sum(axis=-1)
        total = (spectrum * freqs).sum(axis=-1)
        per_line = np.divide(total, weight, out=np.zeros_like(total), where=weight != 0)
        centroids.append(float(np.mean(per_line)))
    return 2.0 * float(np.mean(centroids)) / n_ch


def noise_scales(signal, kind: str) -> tuple[float, float]:
    """``(S0, S1)`` for ``kind`` in ``{"audio", "image", "video", "volume"}`` from the target signal.

    Audio is ``(n,)`` or ``(n, C)`` (as fitted); images are ``(H, W, C)`` or
    ``(H, W)`` with values in ``[0, 1]`` (mapped to ``[−1, 1]`` and flattened,
    as the official image script does); video ``(T, H, W, C)`` and volumes
    ``(D, H, W, C)`` follow the image rule (module docstring).
    """
    x = np.asarray(signal, dtype=np.float64)
    if kind == "audio":
        a, rate, slope = AUDIO_CONSTANTS
        x = x[:, None] if x.ndim == 1 else x
    elif kind in ("image", "video", "volume"):
        a, rate, slope = IMAGE_CONSTANTS
        x = x[..., None] if x.ndim == (2 if kind == "image" else 3) else x
        x = (2.0 * x - 1.0).reshape(-1, x.shape[-1])
    else:
        raise ValueError(f"kind must be 'audio', 'image', 'video' or 'volume', got {kind!r}")
    n_ch = x.shape[-1]
    r = spectral_centroid(x) / n_ch
    return float(a * (1.0 - np.exp(-rate * r))), float(slope * r)
