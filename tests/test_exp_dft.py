"""The DFT experiments' pieces: data layout, the butterfly FFT, the optimizer study's short fit and logger,
the gist protocol (`paper`) at a tiny size, reports rebuilt from the saved JSON.

(The optimizer links themselves — ``switch``, ``logged``, ``cosine_mix_schedule`` — are tested in
``tests/test_optim_links.py``.)

Small (≤ 256 samples, ≤ 300 steps) so the file runs in a few seconds on 2 CPU cores.
"""
from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments import common, dft, dft_gist, dft_optimizers
from experiments.dft_models import (Butterfly, bit_reversal, complex_of_real_block, dft_dataset, dft_matrix,
                                    fft_butterfly_params, num_params, real_block, stack_complex, unstack_complex)
from spectral_inr.protocols import DFT_GIST, DFT_OPTIMIZERS
from spectral_inr.protocols.dft_optimizers import DEFAULT
from spectral_inr.train import Fitter, sweep

opt = dft_optimizers


# --- data ----------------------------------------------------------------------------------------
def test_targets_are_fft_of_inputs():
    x, y = dft_dataset(64, 32, seed=3)
    assert x.shape == y.shape == (64, 64) and x.dtype == y.dtype == np.float32
    z = unstack_complex(x)
    np.testing.assert_allclose(unstack_complex(y), np.fft.fft(z, axis=-1), rtol=1e-5, atol=1e-5)
    # the real 64×64 block matrix maps stacked inputs to stacked targets
    np.testing.assert_allclose(x @ real_block(dft_matrix(32)).T, y, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dft_matrix(32) @ z.T, np.fft.fft(z, axis=-1).T, atol=1e-9)
    f = dft_matrix(32)
    np.testing.assert_array_equal(complex_of_real_block(real_block(f)), f)
    np.testing.assert_array_equal(unstack_complex(stack_complex(z.astype(np.complex64))), z.astype(np.complex64))


# --- butterfly -----------------------------------------------------------------------------------
def test_bit_reversal():
    np.testing.assert_array_equal(bit_reversal(8), [0, 4, 2, 6, 1, 5, 3, 7])
    p = bit_reversal(32)
    np.testing.assert_array_equal(p[p], np.arange(32))      # an involution


@pytest.mark.parametrize("n", [8, 32])
def test_butterfly_with_fft_twiddles_is_the_fft(n):
    x, y = dft_dataset(50, n, seed=1)
    apply = jax.jit(Butterfly(n).apply)
    params = {"params": fft_butterfly_params(n)}
    atol = 4e-7 * np.abs(y).max() * np.log2(2 * n)          # float32 round-off through log2(n) stages
    np.testing.assert_allclose(np.asarray(apply(params, jnp.asarray(x))), y, rtol=0, atol=atol)
    # a leading batch of any shape (here: none) works too
    np.testing.assert_allclose(np.asarray(apply(params, jnp.asarray(x[0]))), y[0], rtol=0, atol=atol)


def test_butterfly_parameter_count_and_init_scale():
    x, _ = dft_dataset(256, 32)
    model = Butterfly(32)
    params = jax.jit(model.init)(jax.random.PRNGKey(0), x[:1])["params"]
    assert num_params(params) == 5 * 16 * 4 * 2 == 640
    out = jax.jit(model.apply)({"params": params}, x)
    assert 0.5 < float(jnp.std(out)) < 2.0                   # variance-preserving init


# --- the optimizer study: a short fit of three families in one sweep, and its logger ------------------
@pytest.fixture(scope="module")
def short_fit():
    x, y = dft_dataset(256, 32, seed=0)
    steps, every = 300, 10
    names = [DEFAULT, "amsgrad", "GD, momentum 0.9, lr 10"]
    members = [dict(opt.member_hp(n), seed=0) for n in names]
    fitter = Fitter(opt.dense_model(32), opt.make_optimizer(steps, every, opt.dense_hvp(x)))
    res = sweep(fitter, x, y, members, steps, chunk=steps, mesh=None, progress=False)
    return x, res, names, every


def test_short_training_reduces_loss(short_fit):
    _, res, names, _ = short_fit
    loss = res.history["loss"]
    assert np.isfinite(loss).all() and not res.diverged
    for i, name in enumerate(names):
        assert loss[i, -1] < 0.5 * loss[i, 0], (name, loss[i, 0], loss[i, -1])
    assert loss[2, -1] < 1e-9          # heavy-ball GD on this quadratic converges fast


def test_logged_statistics(short_fit):
    x, res, names, every = short_fit
    logs = {k: np.asarray(v) for k, v in res.state.opt_state.logs.items()}
    assert all(v.shape == (3, 300 // every) for v in logs.values())
    assert all(np.isfinite(v).all() for v in logs.values())
    # GD: the preconditioner is the identity, so the sharpness is lr·λmax(H) with H = (2/64)·Σ_x
    h_max = (2.0 / 64) * np.linalg.eigvalsh(x.T.astype(np.float64) @ x / x.shape[0])[-1]
    np.testing.assert_allclose(logs["sharpness"][2, -1], 10.0 * h_max, rtol=0.02)
    np.testing.assert_allclose(logs["lr"][0], 1e-3, rtol=1e-6)
    # Adam: the logged step norm is lr·‖m̂/(√v̂+ε)‖ ≤ lr·√(#params)·(1/(1−β1)) and √v̂ ≫ ε here
    assert (logs["step_norm"][0] <= 1e-3 * 64 * 10).all()
    assert (logs["frac_eps"][0] == 0).all()
    # the sharpness cannot exceed lr·λmax(H)/min(√v̂+ε): a loose bound, checked at the end
    assert 0 < logs["sharpness"][0, -1] < 1e-3 * h_max / 1e-8


def test_curve_helpers():
    loss = np.array([5.0, 3.0, 1.0, 2.0, 4.0])
    st = opt.curve_stats(loss)
    assert st["min"] == 1.0 and st["argmin"] == 2 and st["final"] == 4.0 and st["rise"] == 4.0
    assert st["max_after_min"] == 4.0
    assert opt.reach_step(np.r_[np.ones(10), np.full(10, 5.0)], 4.0, block=5) == 10
    assert opt.reach_step(np.ones(20), 4.0, block=5) is None
    assert opt.thin(np.array([1.0, np.nan, 3.0]), 1) == [1.0, None, 3.0]


# --- the gist's protocol (`--profile paper`) at a tiny size ------------------------------------------
def test_gist_protocol_is_read_from_the_protocol_module():
    assert dft_gist.DFT_GIST is DFT_GIST
    fitter = dft_gist.gist_fitter(DFT_GIST)
    assert fitter.batch_size == DFT_GIST.batch_size == 100 and fitter.shuffle == "epoch"
    model = dft_gist.gist_model(DFT_GIST)
    assert model.features == 64 and model.use_bias is False


def test_gist_glorot_uniform_init():
    p = DFT_GIST
    model = dft_gist.gist_model(p)
    kernels = np.stack([np.asarray(model.init(jax.random.PRNGKey(s), jnp.zeros((1, 2 * p.n)))["params"]["kernel"])
                        for s in range(8)])
    assert kernels.shape == (8, 64, 64)
    limit = np.sqrt(6.0 / (64 + 64))                          # Glorot uniform: U(±√(6/(fan_in+fan_out)))
    assert np.abs(kernels).max() <= limit and np.abs(kernels).max() > 0.99 * limit
    # variance 2/(fan_in+fan_out) = 1/64 (flax's default lecun_normal also has 1/64: the support tells them apart)
    np.testing.assert_allclose(kernels.var(), 2.0 / 128, rtol=0.03)   # 32768 draws: std error of var ≈ 0.6 %
    np.testing.assert_allclose(np.mean(np.abs(kernels) < limit / 2), 0.5, atol=0.02)   # uniform, not normal


def test_gist_check_against_exact_fft_of_arange():
    p = DFT_GIST
    exact = real_block(dft_matrix(p.n)).T.astype(np.float32)     # kernel K with x @ K = stacked F x
    # the reference is the DFT of arange(32): X_k = Σ_j j·exp(−2πi jk/32), X_0 = 496
    ref = np.array([sum(j * np.exp(-2j * np.pi * j * k / p.n) for j in range(p.n)) for k in range(p.n)])
    np.testing.assert_allclose(np.fft.fft(np.arange(p.n)), ref, atol=1e-9)
    good = dft_gist.gist_check(exact, p)
    assert good["allclose"] and good["max_abs_err"] < 1e-3 and good["max_err_over_tol"] < 1
    # an error of 1e-3 on the DC row's real entries gives |ΔX_0| = 0.496 > 1e-5·496: the gist's check fails
    bad = exact.copy()
    bad[:p.n, 0] += 1e-3
    out = dft_gist.gist_check(bad, p)
    assert not out["allclose"]
    np.testing.assert_allclose(out["max_abs_err"], 1e-3 * np.arange(p.n).sum(), rtol=1e-3)


def test_gist_run_tiny():
    p = dataclasses.replace(DFT_GIST, vectors=300, epochs=4, seeds=3)   # 3 batches of 100 per epoch, 12 steps
    run = dft_gist.run_gist(p, fresh=20)
    assert run["epoch_mean"].shape == run["epoch_last_batch"].shape == (3, 4)
    assert np.isfinite(run["epoch_mean"]).all() and len(run["members"]) == 3
    # the loss starts near E‖Fz‖²/64 = 32 (the init's output is small) and Adam at lr 1e-3 barely moves it in 12 steps
    assert 25 < run["epoch_mean"][0, 0] < 40 and (run["epoch_mean"][:, -1] < run["epoch_mean"][:, 0]).all()
    seeds = [m["seed"] for m in run["members"]]
    assert seeds == [0, 1, 2]
    assert not np.allclose(run["kernels"][0], run["kernels"][1])          # seeds give different inits
    for m in run["members"]:
        assert set(m["gist_check"]) == {"allclose", "max_abs_err", "max_err_over_tol"}
        assert m["gist_check"]["allclose"] is False and m["matrix_check"]["matrix_allclose"] is False
        assert 1 <= m["epoch_mean"]["min_epoch"] <= 4


def test_rise_stats():
    st = dft_gist.rise_stats(np.array([4.0, 2.0, 1.0, 1.5, 3.0, 2.5]))
    assert st["min_epoch"] == 3 and st["rise_epoch"] == 5 and st["rises"] is True
    assert st["final_over_min"] == 2.5 and st["max_after_min_over_min"] == 3.0
    st = dft_gist.rise_stats(np.array([4.0, 2.0, 1.0, 1.5]))
    assert st["rise_epoch"] is None and st["rises"] is False
    p = dataclasses.replace(DFT_GIST, vectors=300, epochs=4)
    per = dft_gist.epoch_losses(np.arange(12.0)[None], p)
    assert per["mean"].tolist() == [[1.0, 4.0, 7.0, 10.0]] and per["last_batch"].tolist() == [[2.0, 5.0, 8.0, 11.0]]


def test_profiles():
    with pytest.raises(SystemExit):
        dft.main(["--profile", "nope"])
    assert set(DFT_OPTIMIZERS) == {"quick", "long"} and set(dft.PROTOCOLS) == {"quick", "long", "paper"}
    assert all(v in opt.VARIANTS for p in DFT_OPTIMIZERS.values() for v in p.variants)


# --- run → JSON → report: the tables are rebuilt from the saved JSON alone ---------------------------
def _roundtrip(payload):
    return json.loads(json.dumps(payload))


def test_gist_report_from_saved_json(tmp_path):
    p = dataclasses.replace(DFT_GIST, vectors=300, epochs=4, seeds=2)
    payload = dft_gist.run(p)
    payload["seconds"] = 1.0
    md, figs = dft_gist.report(payload)
    md_json, _ = dft_gist.report(_roundtrip(payload))
    assert md == md_json and set(figs) == {"loss-curves"}
    assert "| seed |" in md and md.count("\n| 0 |") == 1 and md.count("\n| 1 |") == 1


def test_optimizer_study_tiny_end_to_end(tmp_path):
    """The quick protocol shrunk by ``dataclasses.replace``, through the runner: files, --report-only rebuild."""
    tiny = dataclasses.replace(DFT_OPTIMIZERS["quick"], samples=64, steps=60, seeds=1, log_every=10, chunk=60,
                               variants=(DEFAULT, "adam β2=0.99", "GD, momentum 0.9, lr 10"), long_steps=80,
                               butterfly=dataclasses.replace(DFT_OPTIMIZERS["quick"].butterfly, steps=20, seeds=1))
    payload = common.main("dft", {"quick": tiny}, opt.run, opt.report, ["--profile", "quick", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "dft-quick.json").read_text())
    assert saved["config"]["steps"] == 60 and sorted(saved["variants"]) == sorted(tiny.variants)
    assert saved["saturation_check"]["source"] == "separate 1-seed run" and saved["saturation_check"]["steps"] == 80
    for fig in ("weights", "loss-curves", "adam-diagnostics", "butterfly"):
        assert (tmp_path / f"dft-quick-{fig}.png").exists(), fig
    md = (tmp_path / "dft-quick.md").read_text()
    assert np.isfinite(payload["variants"][DEFAULT]["seeds"][0]["min"])
    # the report rebuilt from the saved JSON gives the same Markdown (footer included)
    (tmp_path / "dft-quick.md").unlink()
    common.main("dft", {"quick": tiny}, opt.run, opt.report,
                ["--profile", "quick", "--out", str(tmp_path), "--report-only"])
    assert (tmp_path / "dft-quick.md").read_text() == md
