"""spectral.tuner_expansion and bessel: Jacobi–Anger expansion of a one-hidden-layer TUNER."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special

from spectral_inr import spectral as sp
from spectral_inr.models import Tuner


def test_bessel_matches_scipy():
    n = np.arange(-5, 6)[:, None]
    z = np.concatenate([np.linspace(-15, 15, 301), [0.0, 1e-3, -0.02]]).astype(np.float32)
    ref = scipy.special.jv(n, z.astype(np.float64))
    got = np.asarray(jax.jit(sp.bessel_j)(n, z))
    np.testing.assert_allclose(got, ref, atol=2e-6)
    small = np.abs(z) <= 2                       # series branch: relative accuracy for tiny values
    nz = np.abs(ref[:, small]) > 1e-30
    np.testing.assert_allclose(got[:, small][nz], ref[:, small][nz], rtol=1e-5)
    g = jax.jit(jax.vmap(jax.grad(lambda z: sp.bessel_j(1, z))))(jnp.asarray([0.0, 1.0, 3.0]))
    np.testing.assert_allclose(np.asarray(g), scipy.special.jvp(1, [0.0, 1.0, 3.0]), atol=1e-5)


def test_multi_indices_enumerate_l1_ball():
    m, K = 4, 2
    index, order = sp.multi_indices(m, K)
    dense = np.zeros((len(index), m), int)
    for t in range(len(index)):
        for j, o in zip(index[t], order[t]):
            dense[t, j] += o
    brute = {k for k in itertools.product(range(-K, K + 1), repeat=m) if sum(map(abs, k)) <= K}
    assert len(index) == len(brute) == 41
    assert {tuple(r) for r in dense} == brute


@pytest.fixture(scope="module")
def tuner_1d():
    model = Tuner(out_features=1, frequencies=((1,), (2,), (5,)), low_limit=2, width=6, depth=1)
    variables = jax.jit(model.init)(jax.random.PRNGKey(0), jnp.zeros((1, 1)))
    return model, variables


def test_expansion_reproduces_small_network(tuner_1d):
    model, variables = tuner_1d
    params = jax.tree_util.tree_map(lambda a: a, variables["params"])
    params["layers_1"]["kernel"] = 0.5 * params["layers_1"]["kernel"]      # |ω_G W| ≲ 0.4
    variables = {"params": params}
    errors = {}
    for K in (1, 3):
        r = sp.tuner_spectrum_check(model, variables, n=64, max_order=K)
        errors[K] = r["relative_error"]
        assert r["bound_holds"]
    x = jnp.asarray(sp.periodic_grid(64, 3.0, 1).reshape(-1, 1))
    f = jax.jit(model.apply)(variables, x)
    f_hat = sp.evaluate_expansion(sp.tuner_expansion_from_model(model, variables, 3), x)
    direct = float(jnp.linalg.norm(f_hat - f) / jnp.linalg.norm(f))
    assert errors[3] < 1e-3 and direct < 1e-3
    np.testing.assert_allclose(direct, errors[3], rtol=0.05)      # Parseval: same number
    assert errors[1] > 10 * errors[3]
    assert r["energy_fraction"] > 0.99
    # every generated frequency is an integer combination of the inputs
    assert set(np.abs(r["expansion"].frequency[:, 0])) <= set(range(16))


def test_bound_holds_for_large_weights_and_2d_learned_bounds():
    freqs = ((1, 0), (0, 1), (1, 1), (2, -1))
    model = Tuner(out_features=2, frequencies=freqs, low_limit=1, width=5, depth=1, learned_bounds=True)
    variables = jax.jit(model.init)(jax.random.PRNGKey(1), jnp.zeros((1, 2)))
    r = sp.tuner_spectrum_check(model, variables, n=16, max_order=3, channel=1)
    assert r["bound_holds"] and r["max_bound_ratio"] <= 1.0
    assert r["relative_error"] < 5e-3 and r["energy_fraction"] > 0.99
    big = jax.tree_util.tree_map(lambda a: a, variables)
    big["params"]["layers_1"]["bound"] = big["params"]["layers_1"]["bound"] + 3.0    # |ω_G W| up to ~3
    r_big = sp.tuner_spectrum_check(model, big, n=16, max_order=3, channel=1)
    assert r_big["bound_holds"]
    assert r_big["relative_error"] > r["relative_error"]
