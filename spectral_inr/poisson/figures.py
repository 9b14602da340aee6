"""The reconstruction figure of a Poisson fit: the image, what was recovered, their gradient
magnitudes and Laplacians, the error and its radial spectrum."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from spectral_inr.poisson.metrics import recovered
from spectral_inr.poisson.targets import gradient_targets, laplacian_targets


def _gray(a):
    a = np.asarray(a, np.float64)
    return a[..., 0] if a.shape[-1] == 1 else a @ np.array([0.299, 0.587, 0.114])


def _show_image(ax, a, title):
    a = np.clip(np.asarray(a, np.float64), 0, 1)
    ax.imshow(a[..., 0] if a.shape[-1] == 1 else a, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=8)


def _radial(a):
    """Mean DFT power of ``a`` (``(H, W)``) per integer radius (cycles across the shortest side)."""
    p = np.abs(np.fft.fftshift(np.fft.fft2(a))) ** 2
    h, w = a.shape
    ky, kx = np.meshgrid((np.arange(h) - h // 2) * min(h, w) / h, (np.arange(w) - w // 2) * min(h, w) / w,
                         indexing="ij")
    r = np.rint(np.hypot(ky, kx)).astype(int).ravel()
    n = min(h, w) // 2 + 1
    keep = r < n
    return np.bincount(r[keep], p.ravel()[keep], n) / np.maximum(np.bincount(r[keep], minlength=n), 1)


def plot_reconstruction(image, pred, jac, lap, title: str = "", edges: Optional[Sequence[float]] = None):
    """Two rows: the image, its gradient magnitude ``|∇f|`` (Sobel, coordinate units) and Laplacian
    (5-point), its radial spectrum; then what the fit recovered (``pred`` + best offset), the network's
    ``|∇f|`` (``jac``: ``(H, W, C, 2)``) and ``Δf`` (``lap``: ``(H, W, C)``), and the error map.  Gray
    (BT.601) for colour images; gradient and Laplacian panels share their colour scales per column.
    ``edges``: radial bands (fractions of Nyquist) marked on the spectrum."""
    import matplotlib.pyplot as plt

    image = np.asarray(image, np.float64)
    rec = recovered(pred, image)
    weights = np.array([1.0]) if image.shape[-1] == 1 else np.array([0.299, 0.587, 0.114])
    g_t = np.hypot(*np.moveaxis(np.einsum("hwcd,c->hwd", gradient_targets(image), weights), -1, 0))
    g_p = np.hypot(*np.moveaxis(np.einsum("hwcd,c->hwd", np.asarray(jac, np.float64), weights), -1, 0))
    l_t, l_p = laplacian_targets(image) @ weights, np.asarray(lap, np.float64) @ weights
    err = _gray(rec) - _gray(image)
    fig, axes = plt.subplots(2, 4, figsize=(13, 6.4))
    _show_image(axes[0, 0], image, "image")
    _show_image(axes[1, 0], rec, "recovered (+ best offset)")
    gmax = np.percentile(g_t, 99.5)
    for ax, g, name in ((axes[0, 1], g_t, "|∇f| (Sobel / 8h)"), (axes[1, 1], g_p, "|∇f| of the network")):
        ax.imshow(g, cmap="magma", vmin=0, vmax=gmax)
        ax.set_title(name, fontsize=8)
    lmax = np.percentile(np.abs(l_t), 99)
    for ax, lap_, name in ((axes[0, 2], l_t, "Δf (5-point / h²)"), (axes[1, 2], l_p, "Δf of the network")):
        ax.imshow(lap_, cmap="RdBu_r", vmin=-lmax, vmax=lmax)
        ax.set_title(name, fontsize=8)
    emax = max(np.percentile(np.abs(err), 99), 1e-6)
    axes[1, 3].imshow(err, cmap="RdBu_r", vmin=-emax, vmax=emax)
    axes[1, 3].set_title(f"error (recovered − image), ±{emax:.3f}", fontsize=8)
    ax = axes[0, 3]
    half = min(image.shape[:2]) / 2
    for a, name in ((_gray(image) - _gray(image).mean(), "image"), (err - err.mean(), "error")):
        prof = _radial(a)
        ax.semilogy(np.arange(1, len(prof)), prof[1:], label=name)
    for e in edges or ():
        ax.axvline(e * half, color="k", lw=0.6, ls="--")
    ax.set(xlabel="radius (cycles across the image)", ylabel="power", title="radial spectrum")
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7)
    for a in axes.ravel():
        if a is not ax:
            a.set_xticks([])
            a.set_yticks([])
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
