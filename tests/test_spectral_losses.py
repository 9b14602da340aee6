"""spectral.losses: analytic cases, gradients, jit, engine adapters."""
import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr import spectral as sp

N = 32
I, J = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
LOW = np.cos(2 * np.pi * (2 * I + J) / N).astype(np.float32)          # r ≈ 0.14
HIGH = (0.3 * np.cos(2 * np.pi * 13 * J / N)).astype(np.float32)      # r ≈ 0.81


def test_high_frequency_penalty_analytic():
    assert float(sp.high_frequency_penalty(LOW, 0.5)) < 1e-6
    assert float(sp.high_frequency_penalty(LOW + 3.0, 0.5)) < 1e-6   # DC is low
    expect = 0.045 / (0.5 + 0.045)                                    # mean squares 1/2 and 0.3²/2
    np.testing.assert_allclose(float(sp.high_frequency_penalty(LOW + HIGH, 0.5)), expect, rtol=1e-4)
    np.testing.assert_allclose(float(sp.high_frequency_penalty(HIGH, 0.5)), 1.0, rtol=1e-5)
    assert float(sp.high_frequency_penalty(jnp.zeros((N, N)), 0.5)) == 0.0
    stacked = np.stack([LOW, LOW + HIGH], -1)                          # channels summed
    np.testing.assert_allclose(float(sp.high_frequency_penalty(stacked, 0.5)), 0.045 / 1.045, rtol=1e-4)


def test_bandlimited_mse_ignores_high_frequency_noise():
    white = np.random.default_rng(0).normal(size=(N, N))
    high_noise = white - np.asarray(sp.lowpass(white, 0.6))   # only r > 0.6 left
    assert float(sp.bandlimited_mse(LOW + high_noise, LOW, 0.5)) < 1e-10
    np.testing.assert_allclose(float(sp.bandlimited_mse(LOW + 0.1, LOW, 0.5)), 0.01, rtol=1e-5)
    # reference: explicit low-pass of both, then MSE (numpy)
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(N, N, 3)), rng.normal(size=(N, N, 3))
    r = np.sqrt((2 * np.fft.fftfreq(N))[:, None] ** 2 + (2 * np.fft.fftfreq(N))[None] ** 2)
    lp = lambda x: np.real(np.fft.ifftn(np.fft.fftn(x, axes=(0, 1)) * (r <= 0.4)[..., None], axes=(0, 1)))
    np.testing.assert_allclose(float(sp.bandlimited_mse(a, b, 0.4)), np.mean((lp(a) - lp(b)) ** 2), rtol=1e-4)
    np.testing.assert_allclose(np.asarray(sp.lowpass(a, 0.4)), lp(a), atol=1e-5)


def test_gradients_finite_and_jit():
    def total(x):
        return sp.high_frequency_penalty(x, 0.5) + sp.bandlimited_mse(x, LOW, 0.3)

    for x in (jnp.asarray(LOW + HIGH), jnp.zeros((N, N))):
        g = jax.jit(jax.grad(total))(x)
        assert bool(jnp.all(jnp.isfinite(g)))
    # a gradient step on the penalty removes high-frequency energy
    x = jnp.asarray(LOW + HIGH)
    g = jax.grad(lambda x: sp.high_frequency_penalty(x, 0.5))(x)
    assert float(sp.high_frequency_penalty(x - 10.0 * g, 0.5)) < float(sp.high_frequency_penalty(x, 0.5))


def test_engine_adapters():
    shape = (N, N)
    pred, target = (LOW + HIGH).reshape(-1, 1), LOW.reshape(-1, 1)
    loss = jax.jit(sp.bandlimited_mse_loss(shape, 0.5))
    assert float(loss(pred, target)) < 1e-10
    pen = sp.spectral_penalty_loss(shape, 0.5, weight=2.0)(pred, target)
    np.testing.assert_allclose(float(pen), np.mean(HIGH ** 2) + 2.0 * 0.045 / 0.545, rtol=1e-4)

    class Const:  # a "model" returning a fixed image: apply(variables, x)
        def apply(self, variables, x):
            return variables["params"]["img"].reshape(-1, 1)

    reg = sp.high_frequency_regularizer(lambda hp: Const(), jnp.zeros((N * N, 2)), shape, 0.5, weight=3.0)
    np.testing.assert_allclose(float(reg({"img": jnp.asarray(HIGH)}, {})), 3.0, rtol=1e-5)
