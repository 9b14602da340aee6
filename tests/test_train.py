"""Training engine: the pure step, scan, vmapped sweeps, minibatching, NaN isolation.

Everything is tiny (16×16 signals, width ≤ 32, ≤ 120 steps); the cost is XLA
compilation (~1–3 s per distinct program), ~40 s of CPU for the file.

Numerical note (CPU, XLA): a vmapped sweep runs the *batched* matmuls of K
members where a separate ``fit`` runs the unbatched ones.  XLA may pick a
different kernel / summation order for the two, so after many steps the
results are compared with ``rtol=1e-4`` (losses: plus ``atol=1e-7`` against a
start of ~0.3, since a loss of 1e-10 carries the rounding of its larger
neighbours) rather than bitwise.  Measured (jax 0.10.2, CPU): K=4 sweep vs 4
fits: losses equal for the first 9–79 steps, then ≤ 1.2e-4 relative; params
≤ 5e-6 of each leaf's scale.  The *initial* parameters and the first loss are
bitwise identical, and anything compared against the same program
(determinism; healthy members next to a NaN member at equal K) is bitwise.
A compiled program is reused across calls through JAX's persistent
compilation cache (module fixture) to keep the file fast.
"""
from __future__ import annotations


import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from spectral_inr import models as M
from spectral_inr.models.tuner_frequencies import row_bounds, sampled_frequencies
from spectral_inr.models import learned_bounds, learned_bounds_penalty
from spectral_inr.optim import harmonic_adam
from spectral_inr.train import Fitter, fit, grid, sweep

from _common import (compile_cache_config, disable_compile_cache, enable_compile_cache,  # noqa: E402
                     siren_fitter, smooth_target)

RTOL = 1e-4   # batched vs unbatched matmuls (see module docstring)


def tree_allclose(a, b, rtol=RTOL, atol=1e-6):
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for x, y in zip(la, lb):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def tree_equal(a, b):
    return all(np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True)
               for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)))


def member(tree, i):
    return jax.tree_util.tree_map(lambda x: np.asarray(x)[i], tree)


@pytest.fixture(scope="module", autouse=True)
def _compile_cache(tmp_path_factory):
    """Identical programs (same K/chunk/model) compile once per module (see ``enable_compile_cache``)."""
    previous = compile_cache_config()
    enable_compile_cache(tmp_path_factory.mktemp("jax_cache"))
    yield
    disable_compile_cache(previous)


@pytest.fixture(scope="module")
def fitter():
    return siren_fitter(width=32)


SWEEP4 = grid(seeds=2, lr=[1e-4, 1e-3], omega0=[30.0])     # 4 members: (lr, seed) = (1e-4,0) (1e-4,1) (1e-3,0) (1e-3,1)
STEPS = 120


@pytest.fixture(scope="module")
def sweep4(fitter, data):
    return sweep(fitter, *data, SWEEP4, STEPS, chunk=40, mesh=None, progress=False)


# --- the step ----------------------------------------------------------------------------------


def test_step_is_pure_and_loss_decreases(fitter, data):
    coords, y = data
    hp = {"lr": jnp.float32(1e-3), "omega0": jnp.float32(30.0)}
    state = jax.jit(fitter.init)(jax.random.PRNGKey(0), hp, coords)
    before = jax.tree_util.tree_map(np.array, state)
    step = jax.jit(fitter.step)
    s1, m1 = step(state, hp, coords, y)
    s2, m2 = step(state, hp, coords, y)
    # Same inputs -> bitwise identical outputs, and the input state is untouched.
    assert tree_equal(s1, s2) and tree_equal(m1, m2)
    assert tree_equal(state, before)
    assert int(s1.step) == 1 and not tree_equal(s1.params, state.params)
    # The reported loss is the loss at the *incoming* params.
    pred = jax.jit(fitter.predict)(state.params, state.model_state, hp, coords)
    np.testing.assert_allclose(m1["loss"], np.mean((np.asarray(pred) - y) ** 2), rtol=1e-5)

    final, metrics = jax.jit(fitter.run, static_argnums=4)(state, hp, coords, y, 100)
    loss = np.asarray(metrics["loss"])
    assert loss.shape == (100,) and np.all(np.isfinite(loss))
    assert loss[-1] < 0.2 * loss[0], (loss[0], loss[-1])
    assert int(final.step) == 100
    # best_* track the lowest loss seen, evaluated at the incoming params of that step.
    assert float(final.best_loss) == pytest.approx(loss.min())
    assert int(final.best_step) == int(np.argmin(loss))
    # The scan is the same as 100 separate steps (same program structure up to fusion).
    s = state
    for _ in range(100):
        s, _ = step(s, hp, coords, y)
    tree_allclose(s.params, final.params, rtol=1e-5)


# --- vmap sweep = K separate fits -----------------------------------------------------------------


def test_sweep_equals_separate_fits(fitter, data, sweep4):
    coords, y = data
    r = sweep4
    assert r.history["loss"].shape == (4, STEPS) and r.diverged == []
    # Initial params: a one-step run keeps the step-0 params as best_params (loss < inf).
    init_sweep = sweep(fitter, coords, y, SWEEP4, 1, chunk=1, mesh=None, progress=False)
    for i, m in enumerate(SWEEP4):
        hp = {k: v for k, v in m.items() if k != "seed"}
        single = fit(fitter, coords, y, hp, STEPS, seed=m["seed"], chunk=40, mesh=None, progress=False)
        # Same loss trajectory and final params, up to batched-vs-unbatched rounding.
        np.testing.assert_allclose(single.history["loss"][0], r.history["loss"][i], rtol=RTOL, atol=1e-7)
        tree_allclose(single.member_state(0).params, r.member_state(i).params)
        # The first loss (before any update) is computed from identical params: bitwise.
        assert single.history["loss"][0, 0] == r.history["loss"][i, 0]
        single_init = fit(fitter, coords, y, hp, 1, seed=m["seed"], chunk=1, mesh=None, progress=False)
        assert tree_equal(single_init.member_state(0).best_params, init_sweep.member_state(i).best_params), \
            f"member {i}: initial params differ between sweep and fit"
    # Larger lr trains faster here; seeds give different inits.
    assert r.history["loss"][2, -1] < r.history["loss"][0, -1]


def test_member_blocks_equal_one_vmapped_program(fitter, data, sweep4):
    """Members in cache blocks (``lax.map`` over blocks of a vmap) train exactly like one vmap:
    3 blocks of 2 for 5 members (one padded member, dropped from the results)."""
    from spectral_inr.train.sweep import member_blocks
    coords, y = data
    members = SWEEP4 + [dict(SWEEP4[0], seed=7)]
    assert member_blocks(fitter, coords, members, 1, 2) == (1, 3, 2)
    assert member_blocks(fitter, coords, members, 2, None) == (2, 1, 3)
    assert member_blocks(fitter, coords, members, 1, 99) == (1, 1, 5)
    blocked = sweep(fitter, coords, y, members, STEPS, chunk=40, mesh=None, progress=False, member_block=2)
    assert blocked.history["loss"].shape == (5, STEPS)
    np.testing.assert_allclose(blocked.history["loss"][:4], sweep4.history["loss"], rtol=RTOL, atol=1e-7)
    tree_allclose(member(blocked.state.params, slice(0, 4)), sweep4.state.params)
    assert blocked.history["loss"][4, 0] != blocked.history["loss"][0, 0]   # seed 7 is its own member
    # member targets are split into the same blocks as their members
    targets = np.stack([y * (1 + 0.1 * i) for i in range(5)])
    mt = [sweep(fitter, coords, targets, members, 20, chunk=20, mesh=None, progress=False, member_targets=True,
                member_block=b) for b in (None, 2)]
    np.testing.assert_allclose(mt[0].history["loss"], mt[1].history["loss"], rtol=RTOL, atol=1e-7)


def test_omega0_is_a_traced_sweep_axis(fitter, data):
    coords, y = data
    # Same shapes/K/chunk as ``sweep4``: ω0 is data, so this is the *same compiled program*.
    members = grid(seeds=2, lr=[1e-3], omega0=[10.0, 30.0])
    r = sweep(fitter, coords, y, members, STEPS, chunk=40, mesh=None, progress=False)
    assert [(m["omega0"], m["seed"]) for m in members] == [(10.0, 0), (10.0, 1), (30.0, 0), (30.0, 1)]
    # Same seed, same lr: only ω0 differs, and it changes the training ...
    for i, j in ((0, 2), (1, 3)):
        assert not np.allclose(r.history["loss"][i], r.history["loss"][j])
    # ... and the init: hidden kernels are U(±√(6/n)/ω0) from the same key, so ω0=10 gives 3× the ω0=30
    # kernel (one-step run: best_params = the initial params; same program as in the test above).
    init = sweep(fitter, coords, y, members, 1, chunk=1, mesh=None, progress=False)
    for i, j in ((0, 2), (1, 3)):
        k10 = init.member_state(i).best_params["layers_1"]["kernel"]
        k30 = init.member_state(j).best_params["layers_1"]["kernel"]
        np.testing.assert_allclose(k10, 3.0 * k30, rtol=1e-5, atol=1e-7)
        # The first layer uses the same ω0 (first_omega0=ω0) but its init does not depend on it.
        assert np.array_equal(init.member_state(i).best_params["layers_0"]["kernel"],
                              init.member_state(j).best_params["layers_0"]["kernel"])
    for i in (0, 3):
        m = members[i]
        single = fit(fitter, coords, y, {"lr": m["lr"], "omega0": m["omega0"]}, STEPS, seed=m["seed"], chunk=40,
                     mesh=None, progress=False)
        np.testing.assert_allclose(single.history["loss"][0], r.history["loss"][i], rtol=RTOL, atol=1e-7)
        tree_allclose(single.member_state(0).params, r.member_state(i).params)


# --- determinism ----------------------------------------------------------------------------------


def test_determinism(fitter, data, sweep4):
    again = sweep(fitter, *data, SWEEP4, STEPS, chunk=40, mesh=None, progress=False)
    # Same call twice -> bitwise identical history and state.
    assert np.array_equal(again.history["loss"], sweep4.history["loss"])
    assert tree_equal(again.state, sweep4.state)
    # Different seeds (same hp) -> different inits and trajectories.
    h = sweep4.history["loss"]
    assert h[0, 0] != h[1, 0] and not np.allclose(h[0], h[1])
    assert not np.allclose(sweep4.state.params["layers_0"]["kernel"][0],
                           sweep4.state.params["layers_0"]["kernel"][1])


# --- minibatching -------------------------------------------------------------------------------


def _batches(f, state, n, epochs):
    """``batches[e][j]``: the indices trained on at step ``e·nb + j`` (one compiled vmap over steps)."""
    nb = f.num_batches(n)
    steps = jnp.arange(epochs * nb, dtype=jnp.int32)
    idx = jax.jit(jax.vmap(lambda s: f.batch_indices(state._replace(step=s), n)))(steps)
    idx = np.asarray(idx).reshape(epochs, nb, -1)
    return [[idx[e, j] for j in range(nb)] for e in range(epochs)]


def test_uniform_sampling_draws_with_replacement_each_step(sweep4):
    """``shuffle="uniform"``: every step an i.i.d. uniform draw over all samples (SIREN's video protocol)."""
    from scipy import stats

    n, b, steps = 40, 16, 500
    f = siren_fitter(width=32, batch_size=b, shuffle="uniform")
    state = sweep4.member_state(0)
    idx = np.asarray(jax.jit(jax.vmap(lambda s: f.batch_indices(state._replace(step=s), n)))(
        jnp.arange(steps, dtype=jnp.int32)))
    assert idx.shape == (steps, b) and idx.min() >= 0 and idx.max() < n
    assert not np.array_equal(idx[0], idx[1])                      # a fresh draw per step
    counts = np.bincount(idx.ravel(), minlength=n)
    assert stats.chisquare(counts).pvalue > 1e-3                   # uniform over the whole signal
    assert any(len(set(row.tolist())) < b for row in idx)          # with replacement: repeats occur
    other = np.asarray(f.batch_indices(sweep4.member_state(1)._replace(step=jnp.int32(0)), n))
    assert not np.array_equal(other, idx[0])                       # per-member data key


def test_fitter_rejects_unknown_shuffle_and_bad_batch():
    with pytest.raises(ValueError, match="shuffle must be one of"):
        siren_fitter(width=8, batch_size=4, shuffle="random")
    with pytest.raises(ValueError, match="batch_size"):
        siren_fitter(width=8, batch_size=0)


@pytest.mark.parametrize("shuffle", ["fixed", "epoch"])
def test_minibatch_protocol(sweep4, shuffle):
    n, b = 50, 16                          # 50 = 3·16 + 2: the 4th batch wraps around
    f = siren_fitter(width=32, batch_size=b, shuffle=shuffle)
    # batch_indices reads the member's data key and step counter; reuse initialised states.
    state, other = sweep4.member_state(0), sweep4.member_state(1)
    assert f.num_batches(n) == 4
    epochs = _batches(f, state, n, 3)
    for batches in epochs:
        assert all(bt.shape == (b,) for bt in batches)
        allidx = np.concatenate(batches)
        # Every sample is visited each epoch; exactly 4·16 − 50 = 14 are visited twice.
        assert set(allidx.tolist()) == set(range(n))
        assert len(allidx) - len(set(allidx.tolist())) == 4 * b - n
        # Wraparound: the last batch is the tail of the permutation then its head.
        perm = np.concatenate(batches[:3] + [batches[3][: n - 3 * b]])
        assert sorted(perm.tolist()) == list(range(n))
        np.testing.assert_array_equal(batches[3][n - 3 * b:], batches[0][: 4 * b - n])
    if shuffle == "fixed":
        for e in (1, 2):
            for j in range(4):
                np.testing.assert_array_equal(epochs[e][j], epochs[0][j])
    else:
        assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))
        assert not np.array_equal(np.concatenate(epochs[1]), np.concatenate(epochs[2]))
    # The partition is random (not the identity) and depends on the member's data key.
    assert not np.array_equal(np.concatenate(epochs[0])[:n], np.arange(n))
    assert not np.array_equal(_batches(f, other, n, 1)[0][0], epochs[0][0])


def test_full_batch_indices_is_none(fitter, sweep4):
    assert fitter.batch_indices(sweep4.member_state(0), 256) is None and fitter.num_batches(256) == 1


# --- NaN isolation ------------------------------------------------------------------------------


def _sgd(hp):
    return optax.sgd(hp["lr"])


def test_nan_isolation(data):
    coords, y = data
    f = siren_fitter(width=16, optimizer_fn=_sgd)
    # Moderate SGD rates: with lr ≳ 3e-2 this tiny SIREN is chaotic enough that K=3 vs K=2 rounding
    # differences (1e-7) grow to 5e-3 within 60 steps.
    good = [{"lr": 3e-3, "omega0": 30.0, "seed": 0}, {"lr": 1e-2, "omega0": 30.0, "seed": 1}]
    bad = {"lr": 1e8, "omega0": 30.0, "seed": 2}     # SGD with lr 1e8 overflows to inf/NaN at once
    steps = 60
    run = lambda members: sweep(f, coords, y, members, steps, chunk=30, mesh=None, progress=False)
    mixed = run([good[0], bad, good[1]])
    clean = run(good)
    pair = run([good[0], bad])                       # same K as ``clean``: the same compiled program
    control = run([good[0], good[0], good[1]])      # same K as ``mixed``, bad member replaced

    assert len(mixed.diverged) == 1
    idx, d = mixed.diverged[0]
    assert idx == 1 and 0 < d < steps
    assert pair.diverged == [(1, d)]
    h = mixed.history["loss"][1]
    assert np.all(np.isfinite(h[:d])) and not np.any(np.isfinite(h[d:]))
    st = mixed.member_state(1)
    assert bool(st.diverged) and int(st.diverged_step) == d
    assert int(st.step) == d                        # the step counter stopped: frozen
    assert np.isfinite(st.best_loss) and 0 <= int(st.best_step) < d
    assert all(np.all(np.isfinite(x)) for x in jax.tree_util.tree_leaves(st.best_params))

    # The healthy members are untouched by their diverging neighbour and finish.  K=3 vs K=2 are
    # different programs (batched matmul shapes), so compare to tolerance ...
    for i_mixed, i_clean in ((0, 0), (2, 1)):
        np.testing.assert_allclose(mixed.history["loss"][i_mixed], clean.history["loss"][i_clean], rtol=RTOL,
                                   atol=0)
        tree_allclose(mixed.member_state(i_mixed).params, clean.member_state(i_clean).params)
        assert np.all(np.isfinite(mixed.history["loss"][i_mixed]))
        assert int(mixed.member_state(i_mixed).step) == steps and not mixed.member_state(i_mixed).diverged
    # ... and within one program (same K) a NaN neighbour changes nothing, bitwise.
    for i in (0, 2):
        assert np.array_equal(mixed.history["loss"][i], control.history["loss"][i])
        assert tree_equal(mixed.member_state(i), control.member_state(i))
    assert np.array_equal(pair.history["loss"][0], clean.history["loss"][0])
    assert tree_equal(pair.member_state(0), clean.member_state(0))
    # The bad member's own trajectory does not depend on its neighbours either.
    np.testing.assert_allclose(pair.history["loss"][1][:d], h[:d], rtol=RTOL)

    # Frozen means frozen: stepping a diverged member changes nothing but reports NaN.
    step = jax.jit(f.step)
    hp = {"lr": jnp.float32(bad["lr"]), "omega0": jnp.float32(30.0)}
    s = jax.tree_util.tree_map(jnp.asarray, st)
    for _ in range(3):
        s2, m = step(s, hp, coords, y)
        assert np.isnan(m["loss"])
        assert tree_equal(s2, s)
        s = s2


# --- predict ---------------------------------------------------------------------------------------


def test_predict_in_chunks_equals_single_apply(fitter, data, sweep4):
    coords, _ = data
    hp = {"omega0": 30.0, "lr": 1e-3}
    st = sweep4.member_state(2)
    # hp traced in both (a Python-float ω0 would be constant-folded and round differently).
    full = jax.jit(lambda p, h: fitter.model_fn(h).apply({"params": p}, coords))(st.params, hp)
    predict = jax.jit(fitter.predict, static_argnames="chunk")
    whole = predict(st.params, st.model_state, hp, coords)                  # n <= chunk: one apply
    chunked = predict(st.params, st.model_state, hp, coords, chunk=100)     # 256 = 2·100 + 56 (padded)
    assert chunked.shape == full.shape == (256, 1)
    np.testing.assert_array_equal(np.asarray(whole), np.asarray(full))
    np.testing.assert_allclose(np.asarray(chunked), np.asarray(full), rtol=1e-5, atol=1e-6)


# --- regularizer (TUNER learned bounds) ------------------------------------------------------------


def test_regularizer_learned_bounds(data):
    coords, y = data
    freqs = sampled_frequencies(32, 6, 2)
    f = Fitter(lambda hp: M.Tuner(out_features=1, learned_bounds=True, frequencies=freqs, low_limit=2, width=16),
               regularizer=lambda params, hp: learned_bounds_penalty(params, lam=hp["lam"]))
    members = grid(seeds=1, lr=[1e-2], lam=[0.0, 1.0])
    r = sweep(f, coords, y, members, 100, chunk=50, mesh=None, progress=False)
    assert r.diverged == []
    h = r.history["loss"]
    assert h[0, -1] < 0.5 * h[0, 0]                     # it trains
    # Initial bounds: c_j = c_low (1.0) for rows with |k|∞ ≤ low_limit, c_high (0.6) otherwise.
    c0 = row_bounds(freqs, 2, 1.0, 0.6)
    for i in range(2):
        bi = learned_bounds(r.member_state(i).params)
        assert list(bi) == ["layers_1"] and bi["layers_1"].shape == c0.shape
        assert not np.allclose(bi["layers_1"], c0, atol=1e-4), "bound params did not change"
    # The penalty (read from the traced hp) pulls the bounds down.
    mean_bound = lambda i: np.mean(np.concatenate([np.ravel(v) for v in learned_bounds(r.member_state(i).params).values()]))
    assert mean_bound(1) < mean_bound(0)


# --- Harmonic classifier (BatchNorm + Dropout, labels, minibatches) ---------------------------------


def test_harmonic_classifier_path():
    rng = np.random.default_rng(0)
    n, d = 96, 12
    x = rng.normal(size=(n, d)).astype(np.float32)
    labels = rng.integers(0, 10, size=n).astype(np.int32)
    model = M.HarmonicMLP(hidden=(16, 8), max_freqs=(5.0, 3.0))

    def xent(logits, lab):
        return optax.softmax_cross_entropy_with_integer_labels(logits, lab).mean()

    f = Fitter(lambda hp: model,
               optimizer_fn=lambda hp: harmonic_adam(model.neuron_frequencies(), learning_rate=hp["lr"]),
               loss_fn=xent, batch_size=32, shuffle="epoch", train_kwargs={"train": True})
    r = sweep(f, x, labels, grid(seeds=2, lr=[3e-3]), 60, chunk=30, mesh=None, progress=False)
    assert r.diverged == [] and np.all(np.isfinite(r.history["loss"]))
    # BatchNorm running statistics start at mean 0 / var 1 and are updated while training.
    stats = r.member_state(0).model_state["batch_stats"]
    assert set(stats) == {"bn_0", "bn_1"}
    assert stats["bn_0"]["mean"].shape == (16,) and stats["bn_1"]["var"].shape == (8,)
    for bn in stats.values():
        assert not np.allclose(bn["mean"], 0.0) and not np.allclose(bn["var"], 1.0), "batch_stats did not change"
    # It learns something on random labels (loss well below its start).
    h = r.history["loss"]
    assert h[:, -10:].mean() < h[:, :10].mean()
    # Different seeds -> different init, data order and dropout masks.
    assert not np.allclose(h[0], h[1])
    # predict runs in evaluation mode (running averages, no dropout): deterministic.
    st = r.member_state(0)
    predict = jax.jit(f.predict)
    p1 = predict(st.params, st.model_state, {"lr": 3e-3}, x)
    p2 = predict(st.params, st.model_state, {"lr": 3e-3}, x)
    assert p1.shape == (n, 10) and np.array_equal(np.asarray(p1), np.asarray(p2))


@pytest.mark.parametrize("shuffle", ["fixed", "epoch"])
def test_permutations_hoisted_out_of_the_scan_match_per_step(shuffle):
    """``run`` computes the fixed partition once per chunk, and the ``"epoch"`` permutations once per
    epoch the chunk touches; stepping one by one (which permutes in every step) must give the same
    batches and the same numbers, bitwise — also for chunks that start mid-epoch and span three."""
    coords, y = smooth_target(16)
    f = siren_fitter(width=16, batch_size=48, shuffle=shuffle)   # 256 samples: 6 batches, wraparound
    hp = {"lr": jnp.float32(1e-3), "omega0": jnp.float32(20.0)}
    state = jax.jit(f.init)(jax.random.PRNGKey(0), hp, coords)
    run = jax.jit(f.run, static_argnums=4)
    ran, losses_run = state, []
    for chunk in (4, 9, 13):                                    # 4 | 9 (epochs 0–2) | 13 (epochs 2–4)
        ran, metrics = run(ran, hp, coords, y, chunk)
        losses_run += list(np.asarray(metrics["loss"]))
    step = jax.jit(f.step)
    s = state
    losses = []
    for _ in range(26):
        s, m = step(s, hp, coords, y)
        losses.append(m["loss"])
    np.testing.assert_array_equal(np.asarray(losses_run), np.asarray(losses))
    for a, b in zip(jax.tree_util.tree_leaves(ran.params), jax.tree_util.tree_leaves(s.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
