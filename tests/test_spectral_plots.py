"""spectral.plots: every helper returns a Figure that saves to PNG (Agg, no pyplot)."""
from types import SimpleNamespace

import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from spectral_inr import spectral as sp


def _save(fig, tmp_path, name):
    assert isinstance(fig, Figure)
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"


def test_signal_activation_bias_ntk_plots(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(128) / 128
    freqs, amp = sp.amplitude_spectrum(np.sin(2 * np.pi * 5 * t), 128.0)
    _save(sp.plot_amplitude_spectrum(freqs, amp), tmp_path, "amp")
    pre = jnp.asarray(rng.normal(size=(64, 8)), jnp.float32)
    acts = {"layers_0": {"pre": pre, "post": jnp.sin(pre)}, "layers_1": {"pre": None, "post": jnp.cos(pre)}}
    _save(sp.plot_activation_histograms(acts), tmp_path, "hist")
    _save(sp.plot_layer_spectra(acts, (64,)), tmp_path, "layer_spectra")
    _save(sp.plot_spectral_bias(np.arange(4) * 10, rng.uniform(0.01, 1, (4, 3)), ["low", "mid", "high"]),
          tmp_path, "bias")
    _save(sp.plot_ntk_spectra({"a": np.geomspace(1, 1e-4, 20), "b": np.geomspace(1, 1e-2, 20)}), tmp_path, "ntk")


def test_tuner_spectrum_plots(tmp_path):
    rng = np.random.default_rng(1)
    bound = rng.uniform(1e-6, 1.0, (20, 3))
    expansion = SimpleNamespace(alpha=bound * rng.uniform(0, 1, bound.shape), bound=bound)
    for shape in ((16,), (8, 8)):
        measured = np.fft.fftn(rng.normal(size=shape))
        check = {"measured": measured, "predicted": 0.9 * measured, "expansion": expansion, "energy_fraction": 0.99}
        _save(sp.plot_tuner_spectrum(check), tmp_path, f"tuner_{len(shape)}d")
