"""Figures and files a fit leaves behind: curves, spectra, reconstructions, metrics.json.

Every file is written atomically (temporary file + ``os.replace``).
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from spectral_inr.data import save_audio, save_image  # noqa: E402
from spectral_inr.data._atomic import atomic_path  # noqa: E402


def write_json(path, obj) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")
    return Path(path)


def save_figure(fig, path) -> Path:
    try:
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)
    return Path(path)


def plot_curves(history_loss: np.ndarray, labels, title: str = ""):
    """Training loss and PSNR (``−10·log10 loss``) per member over steps."""
    fig, (ax_l, ax_p) = plt.subplots(1, 2, figsize=(10, 3.5))
    steps = np.arange(1, history_loss.shape[1] + 1)
    for loss, label in zip(history_loss, labels):
        ax_l.semilogy(steps, loss, label=label, lw=1)
        ax_p.plot(steps, -10 * np.log10(np.maximum(loss, 1e-30)), label=label, lw=1)
    ax_l.set(xlabel="step", ylabel="training loss (MSE)", title=title)
    ax_p.set(xlabel="step", ylabel="training PSNR (dB)")
    if len(labels) <= 10:
        ax_p.legend(fontsize=7)
    return fig


def magnitude_profile(values: np.ndarray, kind: str):
    """``(frequency, magnitude)``: the one-sided amplitude spectrum of audio, or
    the radially averaged amplitude ``√power`` of an image (channels summed, DC removed)."""
    from spectral_inr import spectral

    if kind == "audio":
        f, a = spectral.amplitude_spectrum(values.reshape(-1))
        return np.asarray(f), np.asarray(a)
    r, p = spectral.radial_profile(spectral.power_spectrum(values - values.mean(axis=(0, 1)), ndim=2))
    return np.asarray(r), np.sqrt(np.asarray(p)) / values[..., 0].size


def plot_spectrum(target: np.ndarray, reconstruction: np.ndarray, kind: str):
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for values, label in ((target, "target"), (reconstruction, "reconstruction")):
        f, m = magnitude_profile(values, kind)
        ax.semilogy(f, np.maximum(m, 1e-12), label=label, lw=1)
    ax.set(xlabel="frequency (cycles/sample)" if kind == "audio" else "radial frequency (bins)",
           ylabel="|FFT|", title="spectrum: target vs reconstruction")
    ax.legend()
    return fig


def save_reconstruction(path, values: np.ndarray, kind: str, sample_rate=None) -> Path:
    if kind == "audio":
        return save_audio(path, values.reshape(-1), sample_rate)
    return save_image(path, values if values.shape[-1] != 1 else values[..., 0])
