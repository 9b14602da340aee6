"""Tests for spectral_inr.optim (frequency-aware scaling, Harmonic Adam, TUNER bounds, learned-bound penalty)."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spectral_inr.models import (HarmonicMLP, Siren, Tuner, learned_bounds, learned_bounds_penalty,
                                 tuner_bound_groups)
from spectral_inr.models import tuner_frequencies as tfreq
from spectral_inr.optim import frequency_aware_scaling, harmonic_adam, tuner_bounds

KEY = jax.random.PRNGKey(0)
OMEGA_G = 30.0
F32_EPS = float(np.finfo(np.float32).eps)

# Tiny graphs compiled once: XLA's backend optimisations cost more than they save here.
_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})


def _random_like(tree, seed, scale=1.0):
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    rng = np.random.default_rng(seed)
    return jax.tree_util.tree_unflatten(
        treedef, [jnp.asarray(scale * rng.standard_normal(x.shape), x.dtype) for x in leaves])


def _f64(tree):
    return jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), tree)


# ---------------------------------------------------------------------------
# Harmonic MLP: frequency-aware scaling and harmonic_adam
# ---------------------------------------------------------------------------

HARMONIC = HarmonicMLP(hidden=(16, 8), max_freqs=(5.0, 3.0))
# Written out by hand: f_i = min(i + 1, max_freq)
F0 = np.array([1, 2, 3, 4, 5] + [5] * 11, np.float64)
F1 = np.array([1, 2, 3] + [3] * 5, np.float64)


@functools.lru_cache(maxsize=None)
def _harmonic_variables():
    return _jit(HARMONIC.init)(KEY, jnp.zeros((2, 784)))


def _scale_by_frequency(tree, factor=0.1):
    """Hand-written reference: harmonic_0/1 kernel columns and biases divided by 1 + factor·f_i."""
    out = _f64(tree)
    for name, f in (("harmonic_0", F0), ("harmonic_1", F1)):
        for leaf in ("kernel", "bias"):
            out[name][leaf] = out[name][leaf] / (1.0 + factor * f)
    return out


def test_frequency_aware_scaling_exact_per_neuron():
    params = _harmonic_variables()["params"]
    grads = _random_like(params, seed=1)
    tx = frequency_aware_scaling(HARMONIC.neuron_frequencies())
    updates, _ = tx.update(grads, tx.init(params))
    g, u = _f64(grads), _f64(updates)
    for name, f in (("harmonic_0", F0), ("harmonic_1", F1)):
        for i in range(len(f)):
            np.testing.assert_allclose(u[name]["kernel"][:, i], g[name]["kernel"][:, i] / (1 + 0.1 * f[i]),
                                       rtol=1e-6)
            np.testing.assert_allclose(u[name]["bias"][i], g[name]["bias"][i] / (1 + 0.1 * f[i]), rtol=1e-6)
    # neuron 0 (f=1) vs neuron 4 (f=5): factors 1/1.1 and 1/1.5
    assert u["harmonic_0"]["bias"][4] / g["harmonic_0"]["bias"][4] == pytest.approx(1 / 1.5, rel=1e-6)
    # everything else passes unchanged
    for name in ("head", "bn_0", "bn_1"):
        jax.tree_util.tree_map(np.testing.assert_array_equal, updates[name], grads[name])
    assert set(updates) == set(grads)


def test_frequency_aware_scaling_factor_and_full_variables():
    variables = _harmonic_variables()
    grads = _random_like(variables, seed=2)
    tx = frequency_aware_scaling(HARMONIC.neuron_frequencies(), factor=0.5)
    updates, _ = tx.update(grads, tx.init(variables))
    expected = _scale_by_frequency(grads["params"], factor=0.5)
    for name in ("harmonic_0", "harmonic_1"):
        for leaf in ("kernel", "bias"):
            np.testing.assert_allclose(updates["params"][name][leaf], expected[name][leaf], rtol=1e-6)
    jax.tree_util.tree_map(np.testing.assert_array_equal, updates["batch_stats"], grads["batch_stats"])
    jax.tree_util.tree_map(np.testing.assert_array_equal, updates["params"]["head"], grads["params"]["head"])


def test_frequency_aware_scaling_on_stacked_members():
    keys = jax.random.split(KEY, 3)
    stacked = _jit(jax.vmap(HARMONIC.init, in_axes=(0, None)))(keys, jnp.zeros((2, 784)))["params"]
    grads = _random_like(stacked, seed=3)
    tx = frequency_aware_scaling(HARMONIC.neuron_frequencies())
    direct, _ = tx.update(grads, tx.init(stacked))                         # leading member axis broadcasts
    vmapped, _ = jax.vmap(tx.update, in_axes=(0, None))(grads, tx.init(stacked))
    expected = _scale_by_frequency(grads)
    for out in (direct, vmapped):
        for name in ("harmonic_0", "harmonic_1"):
            for leaf in ("kernel", "bias"):
                np.testing.assert_allclose(out[name][leaf], expected[name][leaf], rtol=1e-6)
        jax.tree_util.tree_map(np.testing.assert_array_equal, out["head"], grads["head"])


def _manual_harmonic_adam(params, grad_steps, lr, wd, b1=0.9, b2=0.999, eps=1e-8, scale_first=True):
    """PyTorch-style Adam(weight_decay=wd) in float64 after the frequency scaling of the gradient."""
    p = _f64(params)
    m = jax.tree_util.tree_map(np.zeros_like, p)
    v = jax.tree_util.tree_map(np.zeros_like, p)
    all_updates = []
    for t, grads in enumerate(grad_steps, start=1):
        if scale_first:
            g = _scale_by_frequency(grads)
            g = jax.tree_util.tree_map(lambda gi, pi: gi + wd * pi, g, p)
        else:  # the wrong order: decay, then scale
            g = _scale_by_frequency(jax.tree_util.tree_map(lambda gi, pi: gi + wd * pi, _f64(grads), p))
        m = jax.tree_util.tree_map(lambda mi, gi: b1 * mi + (1 - b1) * gi, m, g)
        v = jax.tree_util.tree_map(lambda vi, gi: b2 * vi + (1 - b2) * gi * gi, v, g)
        u = jax.tree_util.tree_map(
            lambda mi, vi: -lr * (mi / (1 - b1 ** t)) / (np.sqrt(vi / (1 - b2 ** t)) + eps), m, v)
        p = jax.tree_util.tree_map(lambda a, b: a + b, p, u)
        all_updates.append(u)
    return all_updates


def test_harmonic_adam_matches_hand_written_adam():
    params = {k: v for k, v in _harmonic_variables()["params"].items()}
    lr, wd = 1e-2, 0.5  # large decay so that the order "scale, then decay" matters
    grad_steps = [_random_like(params, seed=10 + t, scale=0.02) for t in range(3)]
    tx = harmonic_adam(HARMONIC.neuron_frequencies(), learning_rate=lr, weight_decay=wd)
    state = tx.init(params)
    step = _jit(lambda g, s, p: tx.update(g, s, p))
    p, ours = params, []
    for g in grad_steps:
        u, state = step(g, state, p)
        p = optax.apply_updates(p, u)
        ours.append(u)
    expected = _manual_harmonic_adam(params, grad_steps, lr, wd)
    # float32 vs float64: where g/(1+0.1f) + wd·p nearly cancels, m/√v loses relative precision, so
    # an absolute floor of 5e-4·lr (the full step is ≈ lr; a wrong order changes it by > 1e-2·lr)
    for u, e in zip(ours, expected):
        jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=2e-4, atol=5e-4 * lr),
                               _f64(u), e)
    # the comparison is sensitive to the order of scaling and decay
    wrong = _manual_harmonic_adam(params, grad_steps, lr, wd, scale_first=False)
    diff = np.max(np.abs(_f64(ours[-1])["harmonic_0"]["kernel"] - wrong[-1]["harmonic_0"]["kernel"]))
    assert diff > 1e-2 * lr


def test_harmonic_adam_inject_hyperparams():
    params = _harmonic_variables()["params"]
    grads = _random_like(params, seed=4, scale=0.02)
    tx = optax.inject_hyperparams(harmonic_adam)(HARMONIC.neuron_frequencies(), learning_rate=1e-3,
                                                  weight_decay=0.0)
    state = tx.init(params)
    u1, _ = tx.update(grads, state, params)
    state.hyperparams["learning_rate"] = jnp.asarray(2e-3)
    u2, _ = tx.update(grads, state, params)
    # step 1 of Adam without decay: u = −lr·ĝ/(|ĝ| + ε), so doubling lr doubles u
    np.testing.assert_allclose(u2["harmonic_0"]["kernel"], 2 * u1["harmonic_0"]["kernel"], rtol=1e-5)
    assert np.max(np.abs(u1["head"]["kernel"])) == pytest.approx(1e-3, rel=1e-3)


# ---------------------------------------------------------------------------
# TUNER bounds
# ---------------------------------------------------------------------------

TUNER_FREQS = tfreq.sampled_frequencies(64, 8, 3)
TUNER = Tuner(out_features=3, frequencies=TUNER_FREQS, low_limit=3, width=64)
LOW_ROWS = tfreq.is_low(TUNER_FREQS, 3)


def _bound_per_row(c_low, c_high):
    return np.where(LOW_ROWS, c_low, c_high) / OMEGA_G


@functools.lru_cache(maxsize=None)
def _tuner_fit():
    """50 Adam steps (lr 0.1) on a 16×16 random image for three bound settings at once (vmap)."""
    g = jnp.linspace(-1.0, 1.0, 16)
    x = jnp.stack(jnp.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    target = jnp.asarray(np.random.default_rng(0).random((256, 3)), jnp.float32)
    groups = tuner_bound_groups(TUNER)
    params = _jit(TUNER.init)(KEY, x)
    c_low = jnp.asarray([1.0, 0.5, 1e9])
    c_high = jnp.asarray([0.6, 0.3, 1e9])  # member 2: effectively unbounded

    def fit(cl, ch):
        tx = optax.chain(optax.adam(0.1), tuner_bounds(groups, c_low=cl, c_high=ch))
        loss_fn = lambda p: jnp.mean((TUNER.apply(p, x) - target) ** 2)

        def step(carry, _):
            p, s = carry
            loss, grad = jax.value_and_grad(loss_fn)(p)
            u, s = tx.update(grad, s, p)
            return (optax.apply_updates(p, u), s), loss

        (p, _), losses = jax.lax.scan(step, (params, tx.init(params)), None, length=50)
        return p, losses

    trained, losses = _jit(jax.vmap(fit))(c_low, c_high)
    return params, trained, losses


def test_tuner_bounds_hold_after_aggressive_training():
    init, trained, losses = _tuner_fit()
    w0 = np.asarray(init["params"]["layers_1"]["kernel"], np.float64)
    for member, (cl, ch) in enumerate([(1.0, 0.6), (0.5, 0.3)]):
        w = np.asarray(trained["params"]["layers_1"]["kernel"][member], np.float64)
        bound = _bound_per_row(cl, ch)[:, None]
        assert np.all(np.abs(w) <= bound + 1e-6 / OMEGA_G), member   # |ω_G·W_ij| ≤ c_j + 1e-6
        # the bound is active (not vacuous) in both bands: entries sit on it
        at_bound = np.abs(w) >= bound - 1e-6 / OMEGA_G
        assert at_bound[LOW_ROWS].sum() > 0 and at_bound[~LOW_ROWS].sum() > 0, member
        assert np.abs(w - w0).max() > 1e-3  # it trained
        assert losses[member, -1] < losses[member, 0]
    # the two bounded members differ: member 0 has entries beyond member 1's bound
    w_a = np.asarray(trained["params"]["layers_1"]["kernel"][0], np.float64)
    assert np.any(np.abs(w_a) > _bound_per_row(0.5, 0.3)[:, None] + 1e-4)
    # without effective bounds the same run leaves the box
    w_free = np.asarray(trained["params"]["layers_1"]["kernel"][2], np.float64)
    assert np.any(np.abs(w_free) > _bound_per_row(1.0, 0.6)[:, None] * 1.5)
    # unbounded leaves (output layer, biases, phases) train freely in all members
    for leaf in (("layers_2", "kernel"), ("layers_1", "bias"), ("layers_0", "phase")):
        moved = trained["params"][leaf[0]][leaf[1]][0] - init["params"][leaf[0]][leaf[1]]
        assert np.abs(np.asarray(moved)).max() > 1e-2


def _tuner_params_and_updates(depth=1, seed=0):
    model = Tuner(out_features=3, frequencies=TUNER_FREQS, low_limit=3, width=8, depth=depth)
    params = _jit(model.init)(KEY, jnp.zeros((1, 2)))
    return model, params, _random_like(params, seed, scale=0.05)


def test_tuner_bounds_projection_is_exact_and_local():
    model, params, updates = _tuner_params_and_updates(depth=2)
    groups = tuner_bound_groups(model)
    tx = tuner_bounds(groups, c_low=1.0, c_high=0.6, c_deep=0.8)
    out, _ = tx.update(updates, tx.init(params), params)
    # the bound as the link forms it, float32(c)/float32(ω_G); XLA may evaluate the division as a
    # multiplication by 1/ω_G, which can move the clipped value by one float32 ulp of the bound
    cases = [("layers_1", np.where(LOW_ROWS, np.float32(1.0), np.float32(0.6))[:, None]),
             ("layers_2", np.float32(0.8))]
    for name, c in cases:
        p = np.asarray(params["params"][name]["kernel"])
        u = np.asarray(updates["params"][name]["kernel"])
        b = (c / np.float32(OMEGA_G)).astype(np.float32)
        got = np.asarray(out["params"][name]["kernel"])
        clipped = np.broadcast_to(np.abs(p + u) > b, p.shape)
        assert clipped.any() and (~clipped).any(), name  # both branches exercised
        np.testing.assert_array_equal(got[~clipped], (p + u - p)[~clipped])  # exactly u (as (p+u)−p)
        np.testing.assert_allclose(got, np.clip(p + u, -b, b) - p, rtol=0, atol=2 * np.spacing(np.max(b)))
        assert np.all(np.abs(p + got) <= b * (1 + 2 * F32_EPS))
    # all other leaves are returned untouched
    for name, leaf in (("layers_0", "phase"), ("layers_1", "bias"), ("layers_2", "bias"),
                       ("layers_3", "kernel"), ("layers_3", "bias")):
        np.testing.assert_array_equal(out["params"][name][leaf], updates["params"][name][leaf])


def test_tuner_bounds_vmap_over_bounds():
    model, params, updates = _tuner_params_and_updates(seed=1)
    groups = tuner_bound_groups(model)

    def project(c_high):
        tx = tuner_bounds(groups, c_low=1.0, c_high=c_high)
        return optax.apply_updates(params, tx.update(updates, tx.init(params), params)[0])

    new = jax.vmap(project)(jnp.asarray([0.6, 0.2]))
    for member, ch in enumerate((0.6, 0.2)):
        w = np.asarray(new["params"]["layers_1"]["kernel"][member], np.float64)
        bound = _bound_per_row(1.0, ch)[:, None]
        assert np.all(np.abs(w) <= bound * (1 + 1e-6))
        np.testing.assert_allclose(np.abs(w[~LOW_ROWS]).max(), ch / OMEGA_G, rtol=1e-6)  # reached


def test_tuner_bounds_inject_hyperparams():
    model, params, updates = _tuner_params_and_updates(seed=2)
    groups = tuner_bound_groups(model)
    tx = optax.inject_hyperparams(tuner_bounds)(groups=groups, c_low=1.0, c_high=0.6)
    state = tx.init(params)
    assert set(state.hyperparams) == {"c_low", "c_high", "c_deep", "omega_g"}

    def high_max(state):
        u, _ = tx.update(updates, state, params)
        w = np.asarray(optax.apply_updates(params, u)["params"]["layers_1"]["kernel"], np.float64)
        return np.abs(w[~LOW_ROWS]).max(), np.abs(w[LOW_ROWS]).max()

    hi, lo = high_max(state)
    assert hi == pytest.approx(0.6 / OMEGA_G, rel=1e-6) and lo <= 1.0 / OMEGA_G * (1 + 1e-6)
    state.hyperparams["c_high"] = jnp.asarray(0.1, jnp.float32)
    hi2, lo2 = high_max(state)
    assert hi2 == pytest.approx(0.1 / OMEGA_G, rel=1e-6)
    assert lo2 == pytest.approx(lo, rel=1e-6)  # low band untouched


def test_tuner_bounds_needs_params():
    model, params, updates = _tuner_params_and_updates()
    tx = tuner_bounds(tuner_bound_groups(model))
    with pytest.raises(ValueError, match="params"):
        tx.update(updates, tx.init(params))


ROWS, COLS = 6, 5
_PROJECT = _jit(lambda groups_arr, c, p, u, pb, ub: optax.apply_updates(
    {"layers_1": {"kernel": p, "bias": pb}},
    tuner_bounds({"layers_1": {"kernel": groups_arr}}, c_low=c[0], c_high=c[1], c_deep=c[2]).update(
        {"layers_1": {"kernel": u, "bias": ub}}, optax.EmptyState(), {"layers_1": {"kernel": p, "bias": pb}})[0]))


@settings(max_examples=60, deadline=None)
@given(
    groups=hnp.arrays(np.int32, (ROWS, 1), elements=st.integers(0, 2)),
    c=hnp.arrays(np.float32, (3,), elements=st.floats(0.001953125, 5.0, width=32)),
    p=hnp.arrays(np.float32, (ROWS, COLS), elements=st.floats(-10.0, 10.0, width=32)),
    u=hnp.arrays(np.float32, (ROWS, COLS), elements=st.floats(-10.0, 10.0, width=32)),
)
def test_tuner_bounds_projection_property(groups, c, p, u):
    pb = np.zeros(COLS, np.float32)
    ub = np.arange(COLS, dtype=np.float32)
    new = _PROJECT(groups, c, p, u, pb, ub)
    bound = (c.astype(np.float64) / OMEGA_G)[groups]  # (ROWS, 1)
    w = np.asarray(new["layers_1"]["kernel"], np.float64)
    # exact-arithmetic bound, plus two float32 roundings in (clip(p+u) − p) and p + that
    tol = bound * 2 * F32_EPS + F32_EPS * (bound + np.abs(p))
    assert np.all(np.abs(w) <= bound + tol)
    # where p + u was already inside, the step is (up to rounding) the plain step
    inside = np.abs(p.astype(np.float64) + u) < bound * (1 - 1e-5)
    np.testing.assert_allclose(w[inside], (p.astype(np.float64) + u)[inside], atol=4 * F32_EPS * 20)
    np.testing.assert_array_equal(new["layers_1"]["bias"], ub)


# ---------------------------------------------------------------------------
# Learned bounds penalty
# ---------------------------------------------------------------------------


def _softplus64(x):
    x = np.asarray(x, np.float64)
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def test_learned_bounds_penalty_by_hand():
    model = Tuner(out_features=1, frequencies=TUNER_FREQS, low_limit=3, width=8, depth=2, learned_bounds=True)
    variables = _jit(model.init)(KEY, jnp.zeros((1, 2)))
    rho1 = np.asarray(variables["params"]["layers_1"]["bound"]) + np.linspace(-2, 2, 64, dtype=np.float32)
    rho2 = np.asarray(variables["params"]["layers_2"]["bound"]) * 3.0
    params = {**variables["params"],
              "layers_1": {**variables["params"]["layers_1"], "bound": jnp.asarray(rho1)},
              "layers_2": {**variables["params"]["layers_2"], "bound": jnp.asarray(rho2)}}
    c = np.concatenate([_softplus64(rho1), _softplus64(rho2)])
    assert c.size == 64 + 8
    for lam in (2e-5, 0.3):
        expected = lam * c.sum()  # the paper's L_reg = Σ_j |c_j|
        assert float(learned_bounds_penalty(params, lam)) == pytest.approx(expected, rel=1e-5)
        assert float(learned_bounds_penalty({"params": params}, lam)) == pytest.approx(expected, rel=1e-5)
        assert float(learned_bounds_penalty(params, lam, reduction="mean")) == pytest.approx(lam * c.mean(), rel=1e-5)
    assert float(learned_bounds_penalty(params)) == pytest.approx(2e-5 * c.sum(), rel=1e-5)
    with pytest.raises(ValueError, match="reduction"):
        learned_bounds_penalty(params, reduction="max")
    # sum: gradient λ·sigmoid(ρ) on every ρ; mean: divided by N; nothing on the kernels
    g_sum = jax.grad(lambda q: learned_bounds_penalty(q, 0.3))(params)
    np.testing.assert_allclose(g_sum["layers_1"]["bound"], 0.3 / (1 + np.exp(-rho1.astype(np.float64))), rtol=1e-5)
    g = jax.grad(lambda q: learned_bounds_penalty(q, 0.3, reduction="mean"))(params)
    np.testing.assert_allclose(g["layers_1"]["bound"], 0.3 / c.size / (1 + np.exp(-rho1.astype(np.float64))),
                               rtol=1e-5)
    assert np.all(np.asarray(g["layers_1"]["kernel"]) == 0)
    logged = learned_bounds(params)
    assert set(logged) == {"layers_1", "layers_2"}
    np.testing.assert_allclose(logged["layers_1"], _softplus64(rho1), rtol=1e-6)


def test_learned_bounds_penalty_zero_without_bounds():
    tuner_fixed = _jit(TUNER.init)(KEY, jnp.zeros((1, 2)))
    siren = _jit(Siren(out_features=1, width=8, depth=1).init)(KEY, jnp.zeros((1, 2)))
    for variables in (tuner_fixed, siren):
        assert float(learned_bounds_penalty(variables, 1.0)) == 0.0
        assert learned_bounds(variables) == {}
