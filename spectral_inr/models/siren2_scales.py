"""SIREN²'s noise scales from a target's spectral centroid (arXiv 2509.09719).

Following the authors' code (``modules/networks.py``): the centroid of the
rFFT magnitude with ``rfftfreq(d=1)`` (cycles per sample, in ``[0, ½]``) is
taken along the last signal axis — for images per row, then averaged over
rows — for each channel, averaged over channels, doubled to lie in ``[0, 1]``
and divided by the channel count ``n_ch``:

    SC = 2 · mean_c(centroid_c) / n_ch.

The scales then use ``SC/√n_ch``:

    audio:  S0 = 3500·(1 − exp(−7·SC/√n_ch)),  S1 = 3·SC/√n_ch
    images: S0 = 50·(1 − exp(−5·SC/√n_ch)),    S1 = 0.4·SC/√n_ch

For mono audio (``n_ch = 1``, the paper's audio runs) this is exactly the
published formula.  Note that a summary of the paper writes ``SC/n_ch``; the
code's ``/n_ch`` inside the centroid and ``/√n_ch`` in the scales is what
produced the published numbers, so that is what we implement.
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
    """``(S0, S1)`` for ``kind`` in ``{"audio", "image"}`` from the target signal.

    Audio is ``(n,)`` or ``(n, C)``; images are ``(H, W, C)`` (or ``(H, W)``).
    """
    x = np.asarray(signal)
    if kind == "audio":
        a, rate, slope = AUDIO_CONSTANTS
        x = x[:, None] if x.ndim == 1 else x
    elif kind == "image":
        a, rate, slope = IMAGE_CONSTANTS
        x = x[..., None] if x.ndim == 2 else x
    else:
        raise ValueError(f"kind must be 'audio' or 'image', got {kind!r}")
    sc = spectral_centroid(x)
    n_ch = x.shape[-1]
    r = sc / np.sqrt(n_ch)
    return float(a * (1.0 - np.exp(-rate * r))), float(slope * r)
