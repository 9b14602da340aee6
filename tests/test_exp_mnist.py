"""exp-mnist's pieces on synthetic MNIST-shaped data: a tiny end-to-end run, and the frequency switch.

Tiny (256 random images, hidden 16/8, 1 epoch).  The cost is compilation: each engine sweep of the
Harmonic MLP compiles in ~10 s CPU even at this size.  The default run does one sweep (the main-run /
ablation path, harmonic only); the full end-to-end run (ReLU ablation and LR sweeps too: four sweeps) and
the engine-level factor-0 check (two) are marked slow (``make test-all``).
"""
from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from experiments import common, mnist
from spectral_inr import recipes
from spectral_inr.protocols.harmonic import PAPER, QUICK
from spectral_inr.train import Fitter, grid, sweep

HIDDEN, MAX_FREQS = (16, 8), (5.0, 3.0)
TINY = dataclasses.replace(QUICK, train_size=None, epochs=1, sweep_epochs=1, seeds=1, batch=64, sweep_batch=64,
                           hidden=HIDDEN, max_freqs=MAX_FREQS, lr_sweep_sizes=(HIDDEN,))


def synthetic(n=256, n_test=64, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    img = lambda k: rng.integers(0, 256, (k, 28, 28), dtype=np.uint8)
    return {"x_train": mnist.preprocess(img(n), QUICK), "y_train": rng.integers(0, 10, n).astype(np.int32),
            "x_test": mnist.preprocess(img(n_test), QUICK), "y_test": rng.integers(0, 10, n_test).astype(np.int32)}


def test_preprocess_flattens_and_normalises():
    x = mnist.preprocess(np.full((3, 28, 28), 255, np.uint8), QUICK)
    assert x.shape == (3, 784) and x.dtype == np.float32
    np.testing.assert_allclose(x, (1.0 - QUICK.mean) / QUICK.std, rtol=1e-6)


def _check_payload(payload, tmp_path, activations, sizes):
    for key in ("config", "protocol", "main", "ablation", "lr_sweep", "seed_claim", "seconds"):
        assert key in payload
    assert list(payload["ablation"]) == list(activations)
    assert list(payload["lr_sweep"]) == ["x".join(map(str, s)) for s in sizes]
    accs = list(payload["main"]["test_accuracy"])
    assert len(accs) == 1                                                   # 1 seed, factor 0.1
    for rec in list(payload["ablation"].values()) + list(payload["lr_sweep"].values()):
        assert len(rec["test_accuracy"]) == len(rec["members"]) == len(rec["test_loss"])
        assert np.shape(rec["epoch_train_loss"]) == (len(rec["members"]), 1)
        assert np.all(np.isfinite(rec["epoch_train_loss"]))
        accs += rec["test_accuracy"]
    for rec in payload["lr_sweep"].values():
        assert sorted(m["lr"] for m in rec["members"]) == sorted(QUICK.lr_grid)
    for rec in payload["ablation"].values():
        assert sorted(m["factor"] for m in rec["members"]) == [0.0, QUICK.freq_factor]
        assert rec["plateau_scale"] == [1.0, 1.0]                         # one epoch: the plateau rule is idle
        assert np.shape(rec["train_loss_curve"])[0] == 2
    assert all(0.0 <= a <= 1.0 for a in accs)
    # the report renders, and the payload is JSON
    md = mnist.markdown(payload)
    assert "Learning-rate sweep" in md and "Ablation" in md and "~95" in md
    figs = mnist.figures(payload)
    assert set(figs) == {"loss-curves", "lr-sweep"}
    common.write_results("mnist", "test", payload, md, figs, out=tmp_path)
    saved = json.loads((tmp_path / "mnist-test.json").read_text())
    assert saved["main"]["test_accuracy"] == pytest.approx(payload["main"]["test_accuracy"])
    assert (tmp_path / "mnist-test-lr-sweep.png").exists()


def test_end_to_end_tiny_harmonic(tmp_path):
    """The main run / ablation path only (one engine compile)."""
    cfg = dataclasses.replace(TINY, activations=("harmonic",), lr_sweep_sizes=())
    _check_payload(mnist.run_experiment(cfg, synthetic()), tmp_path, ["harmonic"], [])


@pytest.mark.slow  # four engine compiles (~45 s CPU)
def test_end_to_end_tiny(tmp_path):
    """Everything: harmonic and ReLU ablation sweeps, LR sweep over two hidden sizes."""
    cfg = dataclasses.replace(TINY, lr_sweep_sizes=(HIDDEN, (8, 4)))
    _check_payload(mnist.run_experiment(cfg, synthetic()), tmp_path, ["harmonic", "relu"], [HIDDEN, (8, 4)])


def _close(a, b, rtol):
    """Every leaf of update trees ``a`` ≈ ``b`` (atol: ``rtol`` × the leaf's largest entry)."""
    def check(x, y):
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * float(np.max(np.abs(y))) + 1e-30)
    jax.tree_util.tree_map(check, a, b)


def test_factor_zero_is_plain_adam_with_coupled_weight_decay():
    model = recipes.harmonic.model(HIDDEN, MAX_FREQS)
    freqs = model.neuron_frequencies()
    params = jax.jit(model.init)(jax.random.PRNGKey(0), jnp.zeros((1, 784)))["params"]
    opt = recipes.harmonic.optimizer_fn(PAPER, freqs, plateau_steps=None)
    plain = optax.chain(optax.add_decayed_weights(PAPER.weight_decay), optax.adam(1e-3))

    def updates(tx, params, grads):  # three steps
        state, out = tx.init(params), []
        for g in grads:
            u, state = tx.update(g, state, params)
            out.append(u)
            params = optax.apply_updates(params, u)
        return out

    def scale(g):  # the frequency-aware scaling by hand: harmonic layer columns × 1/(1 + 0.1·f_i)
        return {k: ({n: v / (1 + 0.1 * jnp.asarray(freqs[k])) for n, v in g[k].items()} if k in freqs else g[k])
                for k in g}

    @jax.jit
    def all_updates(params, grads, factor):  # ``factor`` is traced, as in a sweep
        hp = {"lr": jnp.float32(1e-3), "factor": factor}
        return (updates(opt(hp), params, grads), updates(plain, params, grads),
                updates(plain, params, [scale(g) for g in grads]))

    rng = np.random.default_rng(1)
    for grad_scale in (1.0, 1e-7):
        grads = [jax.tree_util.tree_map(lambda x: grad_scale * rng.standard_normal(x.shape).astype(np.float32),
                                        params) for _ in range(3)]
        off, ref, ref_scaled = all_updates(params, grads, jnp.float32(0.0))
        on, _, _ = all_updates(params, grads, jnp.float32(0.1))
        for a, b in zip(off, ref):        # factor 0.0 == plain Adam with coupled weight decay
            _close(a, b, 1e-6)
        for a, b in zip(on, ref_scaled):  # factor 0.1 == plain Adam-wd on the hand-scaled gradients
            _close(a, b, 1e-5)
        # … which is not the switched-off update.  Adam normalises each parameter, so a per-neuron gradient
        # factor survives only through eps and the coupled weight decay: large with tiny gradients.
        diff = max(float(np.max(np.abs(a["harmonic_0"]["kernel"] - b["harmonic_0"]["kernel"])))
                   for a, b in zip(on, off))
        assert diff > (1e-5 if grad_scale < 1e-3 else 0.0)
        # layers without a frequency (BN, head) are untouched by the switch
        np.testing.assert_array_equal(on[0]["head"]["kernel"], off[0]["head"]["kernel"])


@pytest.mark.slow  # two engine compiles (~20 s CPU); the optimizer-level test above covers the switch
def test_factor_zero_member_trains_like_plain_adam_in_the_engine():
    """Vmapped members factor 0.0 / 0.1 vs a separate plain-Adam-with-wd fit (same seed ⇒ same init and data)."""
    data = synthetic(128)
    steps = 4
    fitter = recipes.harmonic.fitter(dataclasses.replace(PAPER, max_freqs=MAX_FREQS), HIDDEN, batch_size=32)
    res = sweep(fitter, data["x_train"], data["y_train"], grid(seeds=[3], factor=[0.0, 0.1], lr=[1e-3]), steps,
                chunk=steps)
    model = recipes.harmonic.model(HIDDEN, MAX_FREQS)
    plain = Fitter(lambda hp: model, lambda hp: optax.chain(optax.add_decayed_weights(PAPER.weight_decay),
                                                            optax.adam(hp["lr"])),
                   recipes.harmonic.cross_entropy, batch_size=32, shuffle="epoch", train_kwargs={"train": True})
    ref = sweep(plain, data["x_train"], data["y_train"], [{"lr": 1e-3, "seed": 3}], steps, chunk=steps)
    k = lambda r, i: r.state.params["harmonic_0"]["kernel"][i]
    np.testing.assert_allclose(k(res, 0), k(ref, 0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(res.history["loss"][0], ref.history["loss"][0], rtol=1e-4)
    assert np.all(np.isfinite(res.history["loss"]))
