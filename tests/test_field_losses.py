"""Derivatives of fields and the derivative losses, against float64 finite differences."""
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest
from jax import enable_x64

from spectral_inr import models
from spectral_inr.ops import derivatives
from spectral_inr.train import Fitter, field_losses, fit, sweep

H = 1e-5   # central differences in float64: truncation ~ h² f''' ≈ 1e-10 · ω³, far below the tolerances


def _field64(dim=2, out=3, seed=0):
    """A tiny SIREN in float64 and ``apply`` as a pointwise field ``(N, dim) -> (N, out)``."""
    model = models.Siren(out_features=out, width=16, depth=2, omega0=4.0, first_omega0=6.0)
    x0 = jnp.zeros((1, dim), jnp.float64)
    params = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64), model.init(jax.random.PRNGKey(seed), x0))
    return lambda q: model.apply(params, q)


def _points(n, dim, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (n, dim))


def _fd_jacobian(f, x):
    cols = []
    for j in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, j] = H
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * H))
    return np.stack(cols, -1)


def _fd_laplacian(f, x, h=1e-4):
    total = 0
    for j in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, j] = h
        total = total + (np.asarray(f(x + e)) - 2 * np.asarray(f(x)) + np.asarray(f(x - e))) / h**2
    return total


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_jacobian_and_laplacian_match_finite_differences(dim):
    with enable_x64():
        f = _field64(dim)
        x = _points(40, dim)
        jac = np.asarray(derivatives.jacobian(f, jnp.asarray(x)))
        assert jac.shape == (40, 3, dim)
        np.testing.assert_allclose(jac, _fd_jacobian(f, x), rtol=1e-6, atol=1e-7)
        lap = np.asarray(derivatives.laplacian(f, jnp.asarray(x)))
        assert lap.shape == (40, 3)
        ref = _fd_laplacian(f, x)
        np.testing.assert_allclose(lap, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_gradient_is_the_one_channel_jacobian_and_refuses_several_channels():
    with enable_x64():
        f = _field64(3, out=1)
        x = jnp.asarray(_points(30, 3))
        np.testing.assert_allclose(np.asarray(derivatives.gradient(f, x)), _fd_jacobian(f, np.asarray(x))[:, 0],
                                   rtol=1e-6, atol=1e-7)
        with pytest.raises(ValueError, match="3 channels"):
            derivatives.gradient(_field64(3, out=3), x)


def test_gradient_and_laplacian_losses_equal_their_finite_difference_values():
    with enable_x64():
        f = _field64(2)
        x = _points(50, 2)
        rng = np.random.default_rng(3)
        y_grad, y_lap = rng.normal(size=(50, 3, 2)), rng.normal(size=(50, 3))
        ref_grad = np.mean(np.sum((_fd_jacobian(f, x) - y_grad) ** 2, -1))
        ref_lap = np.mean((_fd_laplacian(f, x) - y_lap) ** 2)
        np.testing.assert_allclose(float(field_losses.gradient_mse(f, jnp.asarray(x), jnp.asarray(y_grad))),
                                   ref_grad, rtol=1e-6)
        np.testing.assert_allclose(float(field_losses.laplacian_mse(f, jnp.asarray(x), jnp.asarray(y_lap))),
                                   ref_lap, rtol=1e-4)
        # a one-channel field takes (N, d) gradient targets (SIREN's layout)
        g = _field64(2, out=1)
        y1 = rng.normal(size=(50, 2))
        np.testing.assert_allclose(float(field_losses.gradient_mse(g, jnp.asarray(x), jnp.asarray(y1))),
                                   np.mean(np.sum((_fd_jacobian(g, x)[:, 0] - y1) ** 2, -1)), rtol=1e-6)


def test_sdf_loss_matches_a_numpy_reference_of_siren_terms():
    with enable_x64():
        f = _field64(3, out=1)
        x = _points(32, 3)
        n = np.random.default_rng(4).normal(size=(32, 3))
        n /= np.linalg.norm(n, axis=-1, keepdims=True)
        key = jax.random.PRNGKey(7)
        loss = float(field_losses.SdfLoss()(f, jnp.asarray(x), jnp.asarray(n), None, key))
        off = np.asarray(jax.random.uniform(key, x.shape, jnp.float64, -1.0, 1.0))
        pts = np.concatenate([x, off])
        val = np.asarray(f(pts))[:, 0]
        grad = _fd_jacobian(f, pts)[:, 0]
        norm = np.linalg.norm(grad, axis=-1)
        cos = np.sum(grad[:32] * n, -1) / (norm[:32] * 1.0)
        ref = (3e3 * np.sum(np.abs(val[:32])) / 64 + 1e2 * np.sum(np.exp(-100 * np.abs(val[32:]))) / 64
               + 1e2 * np.sum(1 - cos) / 64 + 5e1 * np.mean(np.abs(norm - 1)))
        np.testing.assert_allclose(loss, ref, rtol=1e-6)


def test_training_gradient_through_a_derivative_loss_matches_finite_differences():
    """d(loss)/d(one weight) by jax.grad through the Laplacian vs a float64 central difference."""
    with enable_x64():
        model = models.Siren(out_features=1, width=8, depth=1, omega0=3.0, first_omega0=4.0)
        x = jnp.asarray(_points(20, 2))
        y = jnp.asarray(np.random.default_rng(5).normal(size=(20, 1)))
        params = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64),
                                        model.init(jax.random.PRNGKey(0), x[:1]))
        loss = lambda p: field_losses.laplacian_mse(lambda q: model.apply(p, q), x, y)
        grads = jax.grad(loss)(params)
        flat, unravel = jax.flatten_util.ravel_pytree(params)
        g = jax.flatten_util.ravel_pytree(grads)[0]
        for i in (0, 7, flat.size - 1):
            e = jnp.zeros_like(flat).at[i].set(1e-6)
            fd = (loss(unravel(flat + e)) - loss(unravel(flat - e))) / 2e-6
            np.testing.assert_allclose(float(g[i]), float(fd), rtol=1e-5, atol=1e-8)


def _ramp_image(n=24):
    """A smooth 1-channel image on the [-1, 1]² grid and its exact coordinate gradient."""
    t = np.linspace(-1, 1, n)
    yy, xx = np.meshgrid(t, t, indexing="ij")
    img = 0.5 + 0.25 * np.sin(2 * xx) * np.cos(1.5 * yy)
    grad = np.stack([-0.25 * 1.5 * np.sin(2 * xx) * np.sin(1.5 * yy), 0.25 * 2 * np.cos(2 * xx) * np.cos(1.5 * yy)], -1)
    coords = np.stack([yy, xx], -1).reshape(-1, 2).astype(np.float32)
    return coords, img.reshape(-1, 1).astype(np.float32), grad.reshape(-1, 2).astype(np.float32)


def test_a_field_fitted_to_gradients_recovers_the_image_up_to_a_constant():
    coords, img, grad = _ramp_image()
    fitter = Fitter(lambda hp: models.Siren(out_features=1, width=32, depth=2, omega0=10.0, first_omega0=10.0),
                    field_loss=field_losses.gradient_mse)
    res = fit(fitter, coords, grad, {"lr": 1e-3}, steps=300, chunk=100, progress=False)
    assert res.history["loss"][0, -1] < 0.02 * res.history["loss"][0, 0]
    pred = np.asarray(fitter.predict(jax.tree_util.tree_map(lambda a: a[0], res.state.params), {}, {}, coords))
    offset = np.mean(img - pred)
    err = np.sqrt(np.mean((pred + offset - img) ** 2))
    assert err < 0.1 * img.std(), (err, img.std())


def test_a_sweep_of_derivative_fits_is_one_vmapped_program_equal_to_single_fits():
    coords, _, grad = _ramp_image(12)
    fitter = Fitter(lambda hp: models.Siren(out_features=1, width=16, depth=1, omega0=hp["omega0"], first_omega0=8.0),
                    field_loss=field_losses.gradient_mse)
    members = [{"seed": 0, "lr": 1e-3, "omega0": 8.0}, {"seed": 1, "lr": 3e-4, "omega0": 12.0}]
    both = sweep(fitter, coords, grad, members, steps=20, chunk=10, progress=False, mesh=None)
    for i, m in enumerate(members):
        one = sweep(fitter, coords, grad, [m], steps=20, chunk=10, progress=False, mesh=None)
        np.testing.assert_allclose(both.history["loss"][i], one.history["loss"][0], rtol=2e-5)


def test_field_loss_refuses_train_kwargs():
    with pytest.raises(ValueError, match="pointwise"):
        Fitter(lambda hp: None, field_loss=field_losses.gradient_mse, train_kwargs={"train": True})


def test_bce_with_logits_matches_numpy():
    z = np.linspace(-30, 30, 13).astype(np.float32)
    y = (np.arange(13) % 2).astype(np.float32)
    ref = np.mean(np.logaddexp(0, z.astype(np.float64)) - y * z)
    np.testing.assert_allclose(float(field_losses.bce_with_logits(jnp.asarray(z)[:, None], jnp.asarray(y)[:, None])),
                               ref, rtol=1e-6)
