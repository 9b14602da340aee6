"""spectral.plots: every helper returns a Figure that saves to PNG (Agg, no pyplot), and what it
draws is the data it was given: the lines', bars' and images' values are read back from the
artists and compared with the inputs (a plot of the wrong array, axis or scale fails)."""
from types import SimpleNamespace

import jax.numpy as jnp
import numpy as np
import pytest
from matplotlib.figure import Figure

from spectral_inr import spectral as sp
from spectral_inr.spectral import distributions as dist
from spectral_inr.spectral.diagnostics import neuron_spectrum_profile


def _save(fig, tmp_path, name):
    assert isinstance(fig, Figure)
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"


def _lines(ax):
    return {line.get_label(): np.asarray(line.get_xydata()) for line in ax.get_lines()}


def test_amplitude_spectrum_plot_draws_the_spectrum(tmp_path):
    t = np.arange(128) / 128
    freqs, amp = sp.amplitude_spectrum(0.7 * np.sin(2 * np.pi * 5 * t) + 0.2, 128.0)
    fig = sp.plot_amplitude_spectrum(freqs, amp, title="tone")
    _save(fig, tmp_path, "amp")
    (ax,) = fig.axes
    stem = ax.containers[0]
    x, y = (np.asarray(v) for v in stem.markerline.get_data())
    np.testing.assert_allclose(x, freqs)
    np.testing.assert_allclose(y, amp, atol=1e-6)
    assert x[np.argmax(y)] == 5 and y.max() == pytest.approx(0.7, abs=1e-5)     # the tone, at its amplitude
    assert y[0] == pytest.approx(0.2, abs=1e-5)                                 # DC: the offset
    assert len(stem.stemlines.get_segments()) == len(freqs) and ax.get_title() == "tone"


def test_activation_histograms_draw_densities_and_references(tmp_path):
    rng = np.random.default_rng(0)
    pre = jnp.asarray(1.5 * rng.normal(size=(64, 8)), jnp.float32)
    acts = {"layers_0": {"pre": pre, "post": jnp.sin(pre)}, "layers_1": {"pre": None, "post": jnp.cos(pre)}}
    fig = sp.plot_activation_histograms(acts, bins=40)
    _save(fig, tmp_path, "hist")
    assert len(fig.axes) == 4                                   # (pre, post) per layer
    pre_ax, post_ax, none_ax, _ = fig.axes
    bars = pre_ax.patches
    assert len(bars) == 40
    assert sum(b.get_height() * b.get_width() for b in bars) == pytest.approx(1.0, rel=1e-6)   # a density
    sigma = float(np.sqrt(np.mean(np.asarray(pre) ** 2)))
    (label, ref), = _lines(pre_ax).items()
    assert label == f"N(0, {sigma:.2f}²)"
    np.testing.assert_allclose(ref[:, 1], np.asarray(dist.normal_pdf(ref[:, 0], sigma)), rtol=1e-5)
    assert ref[0, 0] == pytest.approx(-4 * sigma, rel=1e-5)
    arc = _lines(post_ax)["arcsine"]
    np.testing.assert_allclose(arc[:, 1], np.asarray(dist.arcsine_pdf(arc[:, 0])), rtol=1e-5)
    post_heights = np.array([b.get_height() for b in post_ax.patches])
    counts, _ = np.histogram(np.sin(np.asarray(pre)).ravel(), bins=40, density=True)
    np.testing.assert_allclose(post_heights, counts, rtol=1e-5)
    assert len(none_ax.patches) == 0 and len(none_ax.get_lines()) == 0   # no pre-activations: an empty panel


def test_layer_spectra_plot_one_profile_per_layer(tmp_path):
    rng = np.random.default_rng(2)
    post = jnp.asarray(rng.normal(size=(64, 8)), jnp.float32)
    acts = {"a": {"post": post}, "b": {"post": None}, "c": {"post": 2 * post}}
    fig = sp.plot_layer_spectra(acts, (64,))
    _save(fig, tmp_path, "layer_spectra")
    (ax,) = fig.axes
    lines = _lines(ax)
    assert set(lines) == {"a", "c"} and ax.get_yscale() == "log"
    r, p = (np.asarray(v) for v in neuron_spectrum_profile(post, (64,)))
    np.testing.assert_allclose(lines["a"][:, 0], r)
    np.testing.assert_allclose(lines["a"][:, 1], p + 1e-30, rtol=1e-5)
    np.testing.assert_allclose(lines["c"][:, 1], 4 * p + 1e-30, rtol=1e-4)    # twice the signal: 4× the power


def test_spectral_bias_plot_one_line_per_band(tmp_path):
    errors = np.random.default_rng(3).uniform(0.01, 1, (4, 3))
    fig = sp.plot_spectral_bias(np.arange(4) * 10, errors, ["low", "mid", "high"])
    _save(fig, tmp_path, "bias")
    (ax,) = fig.axes
    lines = _lines(ax)
    assert list(lines) == ["low", "mid", "high"] and ax.get_yscale() == "log"
    for b, name in enumerate(lines):
        np.testing.assert_allclose(lines[name][:, 0], [0, 10, 20, 30])
        np.testing.assert_allclose(lines[name][:, 1], errors[:, b] + 1e-12)
    assert list(_lines(sp.plot_spectral_bias([0, 1], errors[:2]).axes[0]).keys()) == ["band 0", "band 1", "band 2"]


def test_ntk_plot_draws_the_eigenvalues_floored(tmp_path):
    lam = np.geomspace(1, 1e-4, 20)
    lam_b = np.concatenate([np.geomspace(1, 1e-2, 19), [0.0]])        # a zero eigenvalue: floored, not -inf
    fig = sp.plot_ntk_spectra({"a": lam, "b": lam_b})
    _save(fig, tmp_path, "ntk")
    (ax,) = fig.axes
    lines = _lines(ax)
    np.testing.assert_allclose(lines["a"][:, 0], np.arange(1, 21))
    np.testing.assert_allclose(lines["a"][:, 1], lam)
    assert lines["b"][-1, 1] == pytest.approx(1e-12) and np.all(lines["b"][:-1, 1] == lam_b[:-1])


def test_tuner_spectrum_plots(tmp_path):
    rng = np.random.default_rng(1)
    bound = rng.uniform(1e-6, 1.0, (20, 3))
    bound[0, 0] = 0.0                                                    # a zero bound: left out of the log plot
    alpha = bound * rng.uniform(0, 1, bound.shape)
    expansion = SimpleNamespace(alpha=alpha, bound=bound)
    for shape in ((16,), (8, 8)):
        measured = np.fft.fftn(rng.normal(size=shape))
        check = {"measured": measured, "predicted": 0.9 * measured, "expansion": expansion, "energy_fraction": 0.99}
        fig = sp.plot_tuner_spectrum(check)
        _save(fig, tmp_path, f"tuner_{len(shape)}d")
        bound_ax = fig.axes[-1]
        points = _lines(bound_ax)
        keep = bound.ravel() > 0
        (xy,) = [v for k, v in points.items() if k != "|α| = bound"]
        np.testing.assert_allclose(xy[:, 0], bound.ravel()[keep])
        np.testing.assert_allclose(xy[:, 1], alpha.ravel()[keep] + 1e-30)
        assert np.all(xy[:, 1] <= xy[:, 0])                             # below the diagonal, as constructed
        np.testing.assert_allclose(points["|α| = bound"][:, 0], [bound[keep.reshape(bound.shape)].min(), bound.max()])
        assert bound_ax.get_title() == "energy explained 0.9900"
        if len(shape) == 1:
            lines = _lines(fig.axes[0])
            np.testing.assert_allclose(lines["measured"][:, 0], np.arange(-8, 8))
            np.testing.assert_allclose(lines["measured"][:, 1], np.fft.fftshift(np.abs(measured)) + 1e-12)
            np.testing.assert_allclose(lines["predicted"][:, 1], 0.9 * np.fft.fftshift(np.abs(measured)) + 1e-12)
        else:
            m_img, p_img = (ax.get_images()[0].get_array() for ax in fig.axes[:2])
            np.testing.assert_allclose(m_img, np.log10(np.fft.fftshift(np.abs(measured)) + 1e-12))
            np.testing.assert_allclose(p_img - m_img, np.log10(0.9), atol=1e-9)
            assert m_img[4, 4] == pytest.approx(np.log10(abs(measured[0, 0]) + 1e-12))   # DC in the centre
