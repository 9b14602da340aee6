"""The general optax links in ``spectral_inr.optim``: ``switch``, ``logged``, ``cosine_mix_schedule``,
checked against plain optax and hand-computed values."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from spectral_inr.optim import LOGGED, cosine_mix_schedule, logged, switch


def test_switch_selects_transform():
    params = {"w": jnp.arange(4.0)}
    grads = {"w": jnp.array([0.3, -1.0, 2.0, 0.0])}
    a, b = optax.adam(1e-2), optax.sgd(0.5)
    for index, ref in ((0, a), (1, b)):
        sw = switch([a, b], jnp.asarray(index))
        s_sw, s_ref = sw.init(params), ref.init(params)
        for _ in range(3):
            u_sw, s_sw = sw.update(grads, s_sw, params)
            u_ref, s_ref = ref.update(grads, s_ref, params)
            np.testing.assert_allclose(u_sw["w"], u_ref["w"], rtol=1e-6, atol=0)


def test_switch_index_can_be_vmapped():
    """Members of one vmap pick different transforms: SGD's update is −lr·g exactly, Adam's first is −lr·sign(g)."""
    params = {"w": jnp.zeros(3)}
    grads = {"w": jnp.array([0.5, -2.0, 4.0])}

    def first_update(index):
        sw = switch([optax.adam(0.1), optax.sgd(0.01)], index)
        return sw.update(grads, sw.init(params), params)[0]["w"]

    out = np.asarray(jax.vmap(first_update)(jnp.array([0, 1])))
    np.testing.assert_allclose(out[0], -0.1 * np.sign([0.5, -2.0, 4.0]), rtol=1e-4)
    np.testing.assert_allclose(out[1], [-0.005, 0.02, -0.04], rtol=1e-6)


@pytest.mark.parametrize("decay", [0.0, 1.0, 0.5])
def test_cosine_mix_schedule(decay):
    fn = cosine_mix_schedule(2e-3, decay, 100)
    counts = np.array([0, 25, 50, 100, 150])
    got = np.asarray([fn(c) for c in counts])
    cos = 0.5 * (1 + np.cos(np.pi * np.minimum(counts / 100, 1.0)))       # 1, (1+√½)/2, ½, 0, 0
    np.testing.assert_allclose(got, 2e-3 * (1 - decay * (1 - cos)), rtol=1e-6)
    if decay == 1.0:      # optax's cosine decay to 0
        ref = optax.cosine_decay_schedule(2e-3, 100)
        np.testing.assert_allclose(got, [ref(c) for c in counts], rtol=1e-5, atol=1e-12)


def _quadratic():
    """f(w) = ½ wᵀ diag(h) w: gradient h·w, Hessian-vector product h·v."""
    h = jnp.array([4.0, 1.0, 0.25])
    return h, (lambda w: {"w": h * w["w"]}), (lambda v: {"w": h * v["w"]})


def test_logged_keeps_updates_and_records_every_k():
    _, grad, hvp = _quadratic()
    params = {"w": jnp.array([1.0, -1.0, 2.0])}
    inner = optax.sgd(0.1)
    tx = logged(inner, every=2, length=3, lr_fn=lambda c: 0.1,
                precondition=lambda s: jax.tree_util.tree_map(jnp.ones_like, params), eps=0.0, hvp=hvp)
    state, ref_state, p_ref = tx.init(params), inner.init(params), params
    for step in range(5):
        u, state = tx.update(grad(params), state, params)
        u_ref, ref_state = inner.update(grad(p_ref), ref_state, p_ref)
        np.testing.assert_array_equal(u["w"], u_ref["w"])
        if step == 0:
            g0 = float(jnp.linalg.norm(grad(params)["w"]))
        params, p_ref = optax.apply_updates(params, u), optax.apply_updates(p_ref, u_ref)
    logs = {k: np.asarray(v) for k, v in state.logs.items()}
    assert set(logs) == set(LOGGED) and all(v.shape == (3,) for v in logs.values())
    assert int(state.count) == 5 and np.isfinite(logs["grad_norm"]).all()     # steps 0, 2, 4
    np.testing.assert_allclose(logs["grad_norm"][0], g0, rtol=1e-6)
    np.testing.assert_allclose(logs["step_norm"][0], 0.1 * g0, rtol=1e-6)
    np.testing.assert_allclose(logs["lr"], 0.1)
    np.testing.assert_allclose(logs["rms_sqrt_v"], 1.0) and np.testing.assert_allclose(logs["frac_eps"], 0.0)
    # identity preconditioner: the sharpness is lr·λmax(H) = 0.4 (power iteration from the uniform probe)
    assert 0.1 * 1.0 < logs["sharpness"][0] <= 0.4 + 1e-6
    np.testing.assert_allclose(logs["sharpness"][-1], 0.4, rtol=0.05)


def test_logged_without_hvp_and_small_preconditioner():
    params = {"w": jnp.ones(4)}
    eps = 1e-3
    d = {"w": jnp.array([eps + 1e-4, eps + 1.0, eps + 2e-3, eps + 3.0])}   # √v̂ = 1e-4, 1, 2e-3, 3
    tx = logged(optax.sgd(1.0), every=1, length=1, lr_fn=lambda c: 1.0, precondition=lambda s: d, eps=eps)
    _, state = tx.update({"w": jnp.ones(4)}, tx.init(params), params)
    logs = {k: float(np.asarray(v)[0]) for k, v in state.logs.items()}
    assert np.isnan(logs["sharpness"])
    np.testing.assert_allclose(logs["frac_eps"], 0.25)                 # only 1e-4 < ε
    np.testing.assert_allclose(logs["rms_sqrt_v"], np.sqrt((1e-8 + 1 + 4e-6 + 9) / 4), rtol=1e-5)
