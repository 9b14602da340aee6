"""The device-marked subset (``pytest -m device``): what must hold on whatever device JAX runs on.

``make device-check`` runs these first on a GPU (scripts/device_check.sh); ``make test`` runs them on
the CPU like any other test.  Each is small (seconds on a CPU): every registered signal model's
forward and backward, a vmapped sweep sharded over the available devices, a checkpoint round trip,
and the memory figure against the real device.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spectral_inr import recipes
from spectral_inr.signals import Signal
from spectral_inr.train import memory, sweep

pytestmark = pytest.mark.device

SIDE = 16


def _image(channels=1):
    rng = np.random.default_rng(0)
    return Signal("image", rng.random((SIDE, SIDE, channels), dtype=np.float32), "noise")


@pytest.mark.parametrize("name", sorted(recipes.SIGNAL_MODELS))
def test_signal_model_forward_backward(name):
    """Every registered signal model: output shape, finite output and finite, non-zero gradients on the default device."""
    signal = _image()
    fitter = recipes.fitter(name, signal, width=8, depth=1)   # TUNER: ≤ 8 frequencies fit below 16²'s bandlimit
    x, y = jnp.asarray(signal.coords()), jnp.asarray(signal.targets())
    hp = {"omega0": 30.0, "lr": 1e-4}
    state = fitter.init(jax.random.PRNGKey(0), hp, x)
    model = fitter.model_fn(hp)
    pred = jax.jit(lambda p: model.apply({"params": p, **state.model_state}, x))(state.params)
    assert pred.shape == y.shape
    assert bool(jnp.all(jnp.isfinite(pred)))

    def loss(p):
        return fitter.loss(p, state.model_state, hp, x, y, jax.random.PRNGKey(1))[0]

    value, grads = jax.jit(jax.value_and_grad(loss))(state.params)
    leaves = jax.tree_util.tree_leaves(grads)
    assert np.isfinite(float(value))
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in leaves)
    assert any(float(jnp.max(jnp.abs(g))) > 0 for g in leaves)
    assert {d.platform for d in pred.devices()} == {jax.devices()[0].platform}


def _siren_fitter():
    return recipes.fitter("siren", _image(), width=16, depth=1)


def test_sweep_sharded_over_devices():
    """``mesh="auto"`` over every device; a member count that does not divide it is padded and trimmed;
    each member equals the same member fitted alone (no sharding)."""
    signal = _image()
    x, y = signal.coords(), signal.targets()
    k = jax.device_count() + 1
    members = [{"omega0": 30.0, "lr": 1e-4, "seed": s} for s in range(k)]
    fitter = _siren_fitter()
    sharded = sweep(fitter, x, y, members, 20, chunk=10, mesh="auto", progress=False)
    assert np.asarray(sharded.history["loss"]).shape == (k, 20)
    assert np.all(np.isfinite(np.asarray(sharded.history["loss"])))
    single = sweep(fitter, x, y, members[-1:], 20, chunk=10, mesh=None, progress=False)
    np.testing.assert_allclose(np.asarray(sharded.history["loss"])[-1], np.asarray(single.history["loss"])[0],
                               rtol=1e-4, atol=1e-6)


def test_checkpoint_round_trip(tmp_path):
    """Save after 20 steps, resume to 40: the same parameters and losses as 40 steps in one go."""
    signal = _image()
    x, y = signal.coords(), signal.targets()
    members = [{"omega0": 30.0, "lr": 1e-4, "seed": s} for s in range(2)]
    fitter = _siren_fitter()
    whole = sweep(fitter, x, y, members, 40, chunk=10, progress=False)
    sweep(fitter, x, y, members, 20, chunk=10, checkpoint_dir=tmp_path / "ck", progress=False)
    resumed = sweep(fitter, x, y, members, 40, chunk=10, checkpoint_dir=tmp_path / "ck", resume=True, progress=False)
    for a, b in zip(jax.tree_util.tree_leaves(whole.state.params), jax.tree_util.tree_leaves(resumed.state.params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(whole.history["loss"])[:, -1], np.asarray(resumed.history["loss"])[:, -1],
                               rtol=1e-5, atol=1e-7)


def test_memory_against_the_real_device():
    """The memory a step may use, read from the first device: the device's allocator on a GPU/TPU
    (the source names it), the cgroup allowance or the host's memory on a CPU."""
    device = jax.devices()[0]
    avail = memory.available(device=device)
    assert avail.nbytes is not None and avail.nbytes > 0
    if device.platform == "cpu":
        assert avail.source in ("cgroup limit", "host")
    else:
        assert avail.source == str(device)
        stats = device.memory_stats()
        assert avail.nbytes <= stats["bytes_limit"]
    # a step estimated at a tenth of it fits
    model = recipes.model_fn("siren", _image(), width=16, depth=1)({"omega0": 30.0})
    assert memory.step_bytes(model, 64, 2) < avail.nbytes
