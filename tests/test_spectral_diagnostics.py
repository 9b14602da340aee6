"""spectral.diagnostics / distributions: SIREN's activation statistics, per-neuron spectra."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from spectral_inr import spectral as sp
from spectral_inr.data.grids import coordinate_grid
from spectral_inr.models import Siren, Siren2, Tuner

N, WIDTH = 512, 64
X = jnp.asarray(coordinate_grid(N))


@pytest.fixture(scope="module")
def siren_acts():
    model = Siren(out_features=1, width=WIDTH, depth=3)
    variables = jax.jit(model.init)(jax.random.PRNGKey(0), X[:1])
    acts = sp.layer_activations(model, variables, X)
    return model, variables, acts


def test_layer_activations_recompute_the_model(siren_acts):
    model, variables, acts = siren_acts
    assert list(acts) == ["layers_0", "layers_1", "layers_2", "layers_3"]
    np.testing.assert_allclose(acts["layers_3"]["post"], jax.jit(model.apply)(variables, X), atol=1e-6)
    for name in ("layers_0", "layers_1", "layers_2"):
        np.testing.assert_allclose(acts[name]["post"], jnp.sin(acts[name]["pre"]), atol=1e-5)
    p = variables["params"]["layers_1"]
    np.testing.assert_allclose(acts["layers_1"]["pre"], 30.0 * (acts["layers_0"]["post"] @ p["kernel"] + p["bias"]),
                               rtol=1e-4, atol=1e-4)


def test_siren_init_distributions(siren_acts):
    _, _, acts = siren_acts
    ks = sp.activation_ks(acts)
    for name in ("layers_1", "layers_2"):
        assert ks[name]["pre_normal"] < 0.1, ks
        assert ks[name]["post_arcsine"] < 0.1, ks
    assert ks["layers_0"]["post_arcsine"] < 0.05
    # the pre-activation std is √(1 + ω²/(3n)) (PyTorch bias times ω0), not 1
    sigma = sp.siren_preactivation_std(WIDTH, 30.0)
    np.testing.assert_allclose(float(jnp.std(acts["layers_2"]["pre"])), sigma, rtol=0.1)
    d_theory = sp.ks_test(acts["layers_2"]["pre"], "normal", sigma)[0]
    d_unit = sp.ks_test(acts["layers_2"]["pre"], "normal", 1.0)[0]
    assert d_theory < 0.1 < d_unit


def test_ks_statistic_and_arcsine_match_scipy():
    y = np.random.default_rng(0).uniform(-1, 1, 500)
    ref = stats.kstest(y, stats.arcsine(loc=-1, scale=2).cdf).statistic
    np.testing.assert_allclose(float(sp.ks_statistic(y, sp.arcsine_cdf)), ref, rtol=1e-5)
    np.testing.assert_allclose(sp.ks_test(y, "arcsine")[0], ref, rtol=1e-9)
    z = np.random.default_rng(1).normal(size=300)
    np.testing.assert_allclose(float(sp.ks_statistic(z, sp.normal_cdf)), stats.kstest(z, "norm").statistic, rtol=1e-4)
    g = np.linspace(-0.99, 0.99, 7)
    np.testing.assert_allclose(np.asarray(sp.arcsine_pdf(g)), stats.arcsine(loc=-1, scale=2).pdf(g), rtol=1e-5)


def test_average_of_spectra_is_not_spectrum_of_sum():
    t = np.arange(64) / 64
    s = np.sin(2 * np.pi * 3 * t)
    act = jnp.asarray(np.stack([s, -s, np.cos(2 * np.pi * 7 * t)], -1), jnp.float32)
    avg = np.asarray(sp.neuron_power_spectrum(act, (64,)))
    ref = np.mean([np.fft.fftshift(np.abs(np.fft.fft(act[:, i])) ** 2) for i in range(3)], axis=0)
    np.testing.assert_allclose(avg, ref, rtol=1e-4, atol=1e-3)
    total = np.asarray(sp.sum_power_spectrum(act, (64,)))
    assert avg[32 + 3] > 300 and total[32 + 3] < 1e-6        # the ±sin pair cancels in the sum
    np.testing.assert_allclose(avg[32 + 7], total[32 + 7], rtol=1e-4)


def test_siren2_noise_broadens_first_layer_spectrum(siren_acts):
    _, _, acts = siren_acts
    model2 = Siren2(out_features=1, width=WIDTH, depth=3, noise_scales=(50.0, 0.0))
    acts2 = sp.layer_activations(model2, jax.jit(model2.init)(jax.random.PRNGKey(0), X[:1]), X)
    c1 = float(sp.profile_centroid(sp.neuron_spectrum_profile(acts["layers_0"]["post"], (N,))[1]))
    c2 = float(sp.profile_centroid(sp.neuron_spectrum_profile(acts2["layers_0"]["post"], (N,))[1]))
    assert c2 > 1.5 * c1, (c1, c2)


def test_tuner_layers_with_learned_bounds():
    model = Tuner(out_features=1, frequencies=((1,), (3,)), low_limit=1, width=4, depth=1, learned_bounds=True)
    x = X[::16]
    v = jax.jit(model.init)(jax.random.PRNGKey(0), x[:1])
    acts = sp.layer_activations(model, v, x)
    np.testing.assert_allclose(acts["layers_0"]["post"], jnp.sin(acts["layers_0"]["pre"]), atol=1e-5)
    np.testing.assert_allclose(acts["layers_1"]["post"], jnp.sin(acts["layers_1"]["pre"]), atol=1e-5)
    np.testing.assert_allclose(acts["layers_2"]["post"], jax.jit(model.apply)(v, x), atol=1e-6)
    w = jax.jit(sp.effective_kernel, static_argnums=0)(model.layers[1], {"params": v["params"]["layers_1"]})
    c = jax.nn.softplus(v["params"]["layers_1"]["bound"])
    assert bool(jnp.all(jnp.abs(30.0 * w) <= c[:, None] + 1e-6))
