"""Matplotlib figures for the spectral toolkit.

Figures are built with :class:`matplotlib.figure.Figure` directly (no
``pyplot``, so no GUI backend, no global state, nothing shown); save them with
``fig.savefig(path)`` (Agg).  Every helper returns the Figure.
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

from spectral_inr.spectral import distributions as dist
from spectral_inr.spectral.diagnostics import neuron_spectrum_profile

__all__ = ["plot_amplitude_spectrum", "plot_activation_histograms", "plot_layer_spectra", "plot_spectral_bias",
           "plot_tuner_spectrum", "plot_ntk_spectra"]


def plot_amplitude_spectrum(freqs, amplitude, title: str = "amplitude spectrum") -> Figure:
    """Stem plot of a one-sided spectrum (e.g. :func:`amplitude_spectrum`)."""
    fig = Figure(figsize=(6, 3), layout="constrained")
    ax = fig.subplots()
    ax.stem(np.asarray(freqs), np.asarray(amplitude), markerfmt=" ", basefmt=" ")
    ax.set(xlabel="frequency", ylabel="amplitude", title=title)
    return fig


def plot_activation_histograms(acts: Mapping[str, Mapping], bins: int = 80,
                               layers: Optional[Sequence[str]] = None) -> Figure:
    """Per layer: histogram of pre-activations with ``N(0, σ²)`` (σ = RMS) and
    of post-activations with the arcsine density (the references are meaningless
    for the linear output layer: leave it out with ``layers``)."""
    names = list(acts) if layers is None else list(layers)
    fig = Figure(figsize=(8, 2.2 * len(names)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(names), 2, squeeze=False))
    for row, name in zip(axes, names):
        pre, post = acts[name]["pre"], np.asarray(acts[name]["post"]).ravel()
        if pre is not None:
            pre = np.asarray(pre).ravel()
            sigma = float(np.sqrt(np.mean(pre ** 2))) or 1.0
            row[0].hist(pre, bins=bins, density=True, alpha=0.6)
            z = np.linspace(-4 * sigma, 4 * sigma, 400)
            row[0].plot(z, np.asarray(dist.normal_pdf(z, sigma)), "k", lw=1, label=f"N(0, {sigma:.2f}²)")
            row[0].legend(fontsize=7)
        row[0].set_title(f"{name} pre-activation", fontsize=9)
        row[1].hist(post, bins=bins, density=True, alpha=0.6)
        y = np.linspace(-0.995, 0.995, 400)
        row[1].plot(y, np.asarray(dist.arcsine_pdf(y)), "k", lw=1, label="arcsine")
        row[1].legend(fontsize=7)
        row[1].set_title(f"{name} post-activation", fontsize=9)
    return fig


def plot_layer_spectra(acts: Mapping[str, Mapping], signal_shape: Sequence[int], which: str = "post") -> Figure:
    """Radial profile of the neuron-averaged power spectrum of every layer (log y)."""
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    for name, a in acts.items():
        if a[which] is None:
            continue
        r, p = neuron_spectrum_profile(a[which], signal_shape)
        ax.semilogy(np.asarray(r), np.asarray(p) + 1e-30, label=name)
    ax.set(xlabel="radial frequency (bins)", ylabel="mean power per neuron", title=f"{which}-activation spectra")
    ax.legend(fontsize=7)
    return fig


def plot_spectral_bias(steps, errors, labels: Optional[Sequence[str]] = None) -> Figure:
    """Relative error per band against training step (log y)."""
    errors = np.asarray(errors)
    labels = labels or [f"band {b}" for b in range(errors.shape[1])]
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    for b, label in enumerate(labels):
        ax.semilogy(np.asarray(steps), errors[:, b] + 1e-12, marker="o", ms=3, label=label)
    ax.set(xlabel="step", ylabel="relative band error", title="spectral bias")
    ax.legend(fontsize=7)
    return fig


def plot_tuner_spectrum(check: Mapping) -> Figure:
    """Output of :func:`tuner_spectrum_check`: measured vs predicted ``|F|``
    (1-D: along the fftshifted frequency; 2-D: the two log-spectra) and every
    term's ``|α_ki|`` against Theorem 2's bound."""
    measured, predicted = np.asarray(check["measured"]), np.asarray(check["predicted"])
    exp = check["expansion"]
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    if measured.ndim == 1:
        ax_spec, ax_bound = fig.subplots(1, 2)
        n = measured.shape[0]
        k = np.fft.fftshift(np.fft.fftfreq(n, 1.0 / n))
        ax_spec.semilogy(k, np.fft.fftshift(np.abs(measured)) + 1e-12, "o", ms=4, label="measured")
        ax_spec.semilogy(k, np.fft.fftshift(np.abs(predicted)) + 1e-12, "x", ms=4, label="predicted")
        ax_spec.set(xlabel="integer frequency", ylabel="|FFT|")
        ax_spec.legend(fontsize=7)
    else:
        ax_m, ax_p, ax_bound = fig.subplots(1, 3)
        for ax, spec, title in ((ax_m, measured, "measured"), (ax_p, predicted, "predicted")):
            ax.imshow(np.log10(np.fft.fftshift(np.abs(spec)) + 1e-12), cmap="magma")
            ax.set_title(f"log10 |FFT| {title}", fontsize=9)
    alpha, bound = np.abs(np.asarray(exp.alpha)).ravel(), np.asarray(exp.bound).ravel()
    keep = bound > 0
    ax_bound.loglog(bound[keep], alpha[keep] + 1e-30, ".", ms=3)
    lo, hi = bound[keep].min(), bound[keep].max()
    ax_bound.plot([lo, hi], [lo, hi], "k--", lw=1, label="|α| = bound")
    ax_bound.set(xlabel="bound ∏(|ω_G W|/2)^|k|/|k|!", ylabel="|α|",
                 title=f"energy explained {check['energy_fraction']:.4f}")
    ax_bound.legend(fontsize=7)
    return fig


def plot_ntk_spectra(spectra: Mapping[str, np.ndarray]) -> Figure:
    """Descending NTK eigenvalues of several models (log y)."""
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    for name, lam in spectra.items():
        lam = np.asarray(lam)
        ax.semilogy(np.arange(1, len(lam) + 1), np.maximum(lam, 1e-12 * lam[0]), label=name)
    ax.set(xlabel="index", ylabel="eigenvalue", title="empirical NTK spectrum")
    ax.legend(fontsize=7)
    return fig
