"""spectral.spectra: 1-D spectra vs analytic peaks and scipy, 2-D radial profile, band energies."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import signal as sps

from spectral_inr import spectral as sp

FS = 128.0


def _mixture():
    t = np.arange(int(FS)) / FS  # 1 s
    return (np.sin(2 * np.pi * 5 * t) + 0.5 * np.sin(2 * np.pi * 15 * t + 0.3)).astype(np.float32)


def test_amplitude_spectrum_peaks():
    freqs, amp = sp.amplitude_spectrum(_mixture(), FS)
    freqs, amp = np.asarray(freqs), np.asarray(amp)
    assert freqs[5] == 5 and freqs[15] == 15
    np.testing.assert_allclose(amp[[5, 15]], [1.0, 0.5], atol=1e-5)
    others = np.delete(amp, [5, 15])
    assert others.max() < 1e-5
    # a constant shows its value at DC (not doubled)
    np.testing.assert_allclose(np.asarray(sp.amplitude_spectrum(np.full(64, 2.0), FS)[1])[0], 2.0, rtol=1e-6)


@pytest.mark.parametrize("n", [128, 97])
def test_periodogram_matches_scipy(n):
    x = np.random.default_rng(0).normal(size=n) + 0.3
    f_ref, p_ref = sps.periodogram(x, fs=FS)
    f, p = sp.periodogram(jnp.asarray(x, jnp.float32), FS)
    np.testing.assert_allclose(np.asarray(f), f_ref, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(p), p_ref, rtol=2e-4, atol=1e-7 * p_ref.max())


def test_radial_profile_of_cosine_peaks_at_radius():
    n, k = 64, (6, 8)  # radius 10 bins
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    img = np.cos(2 * np.pi * (k[0] * i + k[1] * j) / n)
    power = sp.power_spectrum(img, ndim=2)
    assert np.unravel_index(int(np.argmax(power)), power.shape) in {(n // 2 + 6, n // 2 + 8), (n // 2 - 6, n // 2 - 8)}
    np.testing.assert_allclose(float(power.sum()), n * n * np.sum(img ** 2), rtol=1e-4)  # Parseval
    radii, profile = sp.radial_profile(power)
    assert int(radii[np.argmax(np.asarray(profile))]) == 10


def test_band_energies_sum_to_one_and_locate_energy():
    n = 64
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    low = np.cos(2 * np.pi * 3 * i / n)            # r = 6/64·2 ≈ 0.09 of Nyquist
    high = 0.5 * np.cos(2 * np.pi * 28 * j / n)    # r = 0.875
    e = np.asarray(jax.jit(sp.band_energies)(np.stack([low + high, low], -1)))
    np.testing.assert_allclose(e.sum(), 1.0, rtol=1e-6)
    # mean-square energies: low 1/2 (in each channel), high 1/8 (channel 0 only)
    expect_high = 0.125 / (0.5 + 0.125 + 0.5)
    np.testing.assert_allclose(e, [1 - expect_high, 0.0, expect_high], atol=1e-5)
    e2 = np.asarray(sp.band_energies(low + high, edges=(0.5,)))
    np.testing.assert_allclose(e2, [0.8, 0.2], atol=1e-5)


def test_normalized_radius_and_bands():
    r = sp.normalized_radius((8,))
    np.testing.assert_allclose(r, [0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25])
    np.testing.assert_array_equal(sp.band_index((8,), (0.3, 0.6)), [0, 0, 1, 2, 2, 2, 1, 0])
