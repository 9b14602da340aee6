"""Figures and files a fit leaves behind: curves, spectra, reconstructions, metrics.json.

Video and volumes (an MP4 or ``.npy`` reconstruction, frame and mid-plane comparisons, spectra
along each axis) are drawn by :mod:`spectral_inr.report_nd`; the functions here dispatch on ``kind``.

Every file is written atomically (temporary file + ``os.replace``).
"""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from spectral_inr import report_nd
from spectral_inr.data import save_audio, save_image  # noqa: E402
from spectral_inr.data._atomic import atomic_path  # noqa: E402
from spectral_inr.metrics import psnr_from_mse  # noqa: E402


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


def plot_curves(history_loss: np.ndarray, members, title: str = ""):
    """Training loss and PSNR (``−10·log10 loss``) over steps: one line per hyper-parameter setting
    (the mean over its seeds; the band spans their min–max), with a legend.

    ``members``: the sweep's member dicts (``seed`` is pooled), or plain labels (one line each)."""
    groups: dict = {}
    for i, m in enumerate(members):
        label = (", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in sorted(m.items()) if k != "seed") or "fit") if isinstance(m, dict) else str(m)
        groups.setdefault(label, []).append(i)
    fig, (ax_l, ax_p) = plt.subplots(1, 2, figsize=(10, 3.5))
    steps = np.arange(1, history_loss.shape[1] + 1)
    for j, (label, idx) in enumerate(groups.items()):
        loss = np.maximum(np.asarray(history_loss)[idx], 1e-30)
        n = f" ({len(idx)} seeds)" if len(idx) > 1 else ""
        for ax, y in ((ax_l, loss), (ax_p, psnr_from_mse(loss, floor=0))):
            with np.errstate(all="ignore"):
                lo, mid, hi = np.nanmin(y, 0), np.nanmean(y, 0), np.nanmax(y, 0)
            ax.plot(steps, mid, color=f"C{j % 10}", lw=1, label=label + n)
            if len(idx) > 1:
                ax.fill_between(steps, lo, hi, color=f"C{j % 10}", alpha=0.2, lw=0)
    ax_l.set(xlabel="step", ylabel="training loss (MSE)", title=title, yscale="log")
    ax_p.set(xlabel="step", ylabel="training PSNR (dB)")
    if len(groups) <= 12:
        ax_p.legend(fontsize=7)
    return fig


def magnitude_profile(values: np.ndarray, kind: str):
    """``(frequency, magnitude)``: the one-sided amplitude spectrum of audio (cycles/sample), or
    the radially averaged amplitude ``√power`` of an image (channels summed, DC removed; rings in
    bins of the shorter side, up to its Nyquist ring)."""
    from spectral_inr import spectral

    if kind == "audio":
        f, a = spectral.amplitude_spectrum(values.reshape(-1))
        return np.asarray(f), np.asarray(a)
    r, p = spectral.radial_profile(spectral.power_spectrum(values - values.mean(axis=(0, 1)), ndim=2))
    return np.asarray(r), np.sqrt(np.asarray(p)) / values[..., 0].size


def plot_spectrum(target: np.ndarray, reconstruction: np.ndarray, kind: str, sample_rate=None):
    """Target vs reconstruction spectra without the DC bin: audio in Hz (cycles/sample without a
    sample rate), images against the fraction of the Nyquist frequency; video and volumes one panel
    per grid axis (:func:`spectral_inr.report_nd.plot_axis_spectra`)."""
    if kind in report_nd.AXIS_LABELS:
        return report_nd.plot_axis_spectra(target, reconstruction, kind)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for values, label in ((target, "target"), (reconstruction, "reconstruction")):
        f, m = magnitude_profile(values, kind)
        f, m = f[1:], m[1:]
        if kind == "audio":
            f = f * sample_rate if sample_rate else f
        else:
            f = f / (min(values.shape[:2]) // 2)
        ax.semilogy(f, np.maximum(m, 1e-12), label=label, lw=1)
    if kind == "audio":
        xlabel = "frequency (Hz)" if sample_rate else "frequency (cycles/sample)"
    else:
        xlabel = "radial frequency (fraction of Nyquist)"
    ax.set(xlabel=xlabel, ylabel="|FFT|", title="spectrum: target vs reconstruction (no DC)")
    ax.legend()
    return fig


def plot_comparison(target: np.ndarray, reconstruction: np.ndarray, title: str = "", kind: str = "image"):
    """Image: target | reconstruction (clipped to [0, 1]) | absolute error (mean over channels).

    ``kind="video"``: the same for the first, middle and last frames
    (:func:`spectral_inr.report_nd.plot_video_comparison`); ``"volume"``: the three orthogonal
    mid-planes (:func:`spectral_inr.report_nd.plot_volume_slices`)."""
    if kind == "video":
        return report_nd.plot_video_comparison(target, reconstruction, title=title)
    if kind == "volume":
        return report_nd.plot_volume_slices(target, reconstruction, title=title)
    pred = np.clip(reconstruction, 0.0, 1.0)
    err = np.abs(pred - target).mean(-1) if target.ndim == 3 else np.abs(pred - target)
    gray = lambda a: a[..., 0] if a.ndim == 3 and a.shape[-1] == 1 else a
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
    axes[0].imshow(gray(target), cmap="gray", vmin=0, vmax=1)
    axes[1].imshow(gray(pred), cmap="gray", vmin=0, vmax=1)
    im = axes[2].imshow(err, cmap="magma")
    fig.colorbar(im, ax=axes[2], fraction=0.046)
    psnr = float(psnr_from_mse(np.mean((pred - target) ** 2)))
    for ax, name in zip(axes, ("target", f"reconstruction ({psnr:.2f} dB)", "|error|")):
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def save_reconstruction(path, values: np.ndarray, kind: str, sample_rate=None, frame_rate=None) -> Path:
    """Audio → WAV at ``sample_rate``; image → PNG; video → MP4 (GIF for a ``.gif`` path) at ``frame_rate``
    frames per second (default :data:`spectral_inr.report_nd.DEFAULT_FPS`); volume → float32 ``.npy``."""
    if kind == "video":
        return report_nd.save_video(path, values, fps=frame_rate)
    if kind == "volume":
        return report_nd.save_volume(path, values)
    if kind == "audio":
        return save_audio(path, values.reshape(-1), sample_rate)
    return save_image(path, values if values.shape[-1] != 1 else values[..., 0])
