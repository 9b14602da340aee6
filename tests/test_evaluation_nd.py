"""Evaluation of video and volume sweeps slab by slab (``spectral_inr.evaluation_nd``).

A tiny SIREN sweep (2 members, 3 steps) on an RGB video 5×12×14, and two SIRENs at initialisation on a
scalar volume 8×8×8.  Every
metric is checked against a float64 NumPy reference computed from :func:`reconstruct`, per frame and
pooled, and the slab size must not change a prediction.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spectral_inr import evaluation, metrics, models
from spectral_inr.data import train_test_split
from spectral_inr.evaluation_nd import predict_slabs, reconstruct, slab_length
from spectral_inr.signals import Signal
from spectral_inr.train import Fitter, SweepResult, sweep

MEMBERS = [{"lr": 1e-3, "omega0": 20.0, "seed": 0}, {"lr": 3e-3, "omega0": 10.0, "seed": 1}]


def _fitter(channels):
    return Fitter(lambda hp: models.Siren(out_features=channels, width=16, depth=2, omega0=hp["omega0"],
                                          first_omega0=hp["omega0"]))


def _fit(signal):
    fitter = _fitter(signal.channels)
    return fitter, sweep(fitter, signal.coords(), signal.targets(), MEMBERS, 3, chunk=3, progress=False)


def _untrained(signal):
    """The members at initialisation, as a sweep result (no training program to compile: the metrics do not
    depend on how the parameters were reached)."""
    fitter = _fitter(signal.channels)
    hp = {k: jnp.asarray([m[k] for m in MEMBERS], jnp.float32) for k in ("lr", "omega0")}
    keys = jnp.stack([jax.random.key_data(jax.random.PRNGKey(m["seed"])) for m in MEMBERS])
    init = jax.jit(jax.vmap(lambda key, h: fitter.init(jax.random.wrap_key_data(key), h, jnp.asarray(signal.coords()))))
    state = jax.tree_util.tree_map(np.asarray, init(keys, hp))
    return fitter, SweepResult([dict(m) for m in MEMBERS], state, {"loss": np.zeros((2, 0))}, 0.0, 0)


def _psnr64(pred, target):
    return 10.0 * np.log10(1.0 / np.mean((pred.astype(np.float64) - target.astype(np.float64)) ** 2))


@pytest.fixture(scope="module")
def video():
    rng = np.random.default_rng(0)
    t, y, x = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 12), np.linspace(0, 1, 14), indexing="ij")
    smooth = 0.5 + 0.3 * np.sin(3 * x + 2 * y + t)[..., None] * np.array([1.0, 0.7, -0.5])
    values = np.clip(smooth + 0.1 * rng.standard_normal(smooth.shape), 0, 1).astype(np.float32)
    signal = Signal("video", values, "mem", frame_rate=10.0)
    return (signal, *_fit(signal))


@pytest.fixture(scope="module")
def volume():
    signal = Signal("volume", np.random.default_rng(1).random((8, 8, 8, 1)).astype(np.float32), "mem")
    return (signal, *_untrained(signal))


@pytest.fixture(scope="module")
def video_scores(video):
    signal, fitter, result = video
    return evaluation.evaluate(fitter, result, signal, tuner_metric=True)


def test_video_psnr_and_ssim_match_a_float64_reference(video, video_scores):
    signal, fitter, result = video
    out = video_scores
    assert "_predictions" not in out
    assert out["_curves"]["psnr_per_frame"].shape == (2, 5) and out["_curves"]["ssim_per_frame"].shape == (2, 5)
    for m in range(2):
        rec = reconstruct(fitter, result, signal, m)
        assert rec.dtype == np.float32 and rec.shape == signal.values.shape
        assert rec.min() >= 0 and rec.max() <= 1
        assert out["psnr"][m] == pytest.approx(_psnr64(rec, signal.values), abs=1e-5)
        per_frame = [_psnr64(rec[t], signal.values[t]) for t in range(5)]
        np.testing.assert_allclose(out["_curves"]["psnr_per_frame"][m], per_frame, atol=1e-5)
        ssim = [float(metrics.ssim(rec[t], signal.values[t])) for t in range(5)]
        np.testing.assert_allclose(out["_curves"]["ssim_per_frame"][m], ssim, atol=1e-6)
        assert out["ssim"][m] == pytest.approx(np.mean(ssim), abs=1e-6)
    best = [float(metrics.psnr_from_mse(b)) for b in result.state.best_loss]
    assert out["best_psnr"] == best


def test_video_gradient_psnr_is_the_mean_of_per_frame_spatial_gradients(video, video_scores):
    """Each frame: the network's (y, x) gradient at that frame's time vs the Sobel magnitude of the target frame."""
    signal, fitter, result = video
    out = video_scores
    yx = signal.grid()[0, ..., 1:]

    @jax.jit
    def reference(params, omega0, t, target):   # one frame of one member, as a 2-D field at time t
        model = fitter.model_fn({"omega0": omega0})
        apply = lambda pts: model.apply({"params": params}, jnp.concatenate([jnp.full((len(pts), 1), t), pts], -1))
        return (metrics.gradient_psnr(metrics.network_gradient(apply, yx), target),
                metrics.gradient_psnr(metrics.network_gradient(apply, yx, luma="bt709"), target, convention="tuner"))

    for m in range(2):
        params = jax.tree_util.tree_map(lambda a, m=m: a[m], result.state.params)
        got = [reference(params, MEMBERS[m]["omega0"], t, signal.values[i])
               for i, t in enumerate(np.linspace(-1, 1, 5).astype(np.float32))]
        ours, tuner = [float(g[0]) for g in got], [float(g[1]) for g in got]
        np.testing.assert_allclose(out["_curves"]["gradient_psnr_per_frame"][m], ours, atol=1e-3)
        assert out["gradient_psnr"][m] == pytest.approx(np.mean(ours), abs=1e-3)
        assert out["gradient_psnr_tuner"][m] == pytest.approx(np.mean(tuner), abs=0.05)   # float16 metric


def test_slab_size_does_not_change_predictions(video):
    signal, fitter, result = video
    whole = list(predict_slabs(fitter, result, signal))
    assert [s for s, _ in whole] == [0] and whole[0][1].shape == (2, 5, 12, 14, 3)
    frame = 2 * 12 * 14 * 3
    assert slab_length(signal, 2, 2 * frame) == 2 and slab_length(signal, 2, 1) == 1
    slabs = list(predict_slabs(fitter, result, signal, max_values=2 * frame))   # 2 + 2 + 1 (padded) frames
    assert [s for s, _ in slabs] == [0, 2, 4] and [p.shape[1] for _, p in slabs] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([p for _, p in slabs], axis=1), whole[0][1])
    one = list(predict_slabs(fitter, result, signal, member=1, max_values=frame))   # one member: 2 frames a slab
    assert [p.shape for _, p in one] == [(2, 12, 14, 3)] * 2 + [(1, 12, 14, 3)]
    np.testing.assert_allclose(np.concatenate([p for _, p in one]), whole[0][1][1], rtol=1e-6, atol=1e-6)
    small = evaluation.evaluate(fitter, result, signal, max_values=2 * frame)
    big = evaluation.evaluate(fitter, result, signal)
    for key in ("psnr", "ssim", "gradient_psnr"):
        np.testing.assert_allclose(small[key], big[key], rtol=1e-6)


def test_video_split_metrics(video):
    signal, fitter, result = video
    split = train_test_split(signal.size, 0.3, seed=0)
    out = evaluation.evaluate(fitter, result, signal, split=split)
    assert "psnr" not in out and "gradient_psnr" not in out
    flat_target = signal.values.reshape(-1, 3)
    for m in range(2):
        flat = reconstruct(fitter, result, signal, m).reshape(-1, 3)
        for idx, key in zip(split, ("psnr_train", "psnr_test")):
            assert out[key][m] == pytest.approx(_psnr64(flat[idx], flat_target[idx]), abs=1e-5)
    assert np.isfinite(out["gradient_psnr_train"]).all() and np.isfinite(out["gradient_psnr_test"]).all()
    # a "split" holding every sample twice reproduces the unsplit metrics (the masks cover whole frames)
    everything = np.arange(signal.size)
    full = evaluation.evaluate(fitter, result, signal, split=(everything, everything[::-1]),
                               max_values=2 * 12 * 14 * 3 * 2)   # slabs of 2, 2 and 1 (padded) frames
    plain = evaluation.evaluate(fitter, result, signal)
    for suffix in ("_train", "_test"):
        np.testing.assert_allclose(full["psnr" + suffix], plain["psnr"], atol=1e-9)
        np.testing.assert_allclose(full["gradient_psnr" + suffix], plain["gradient_psnr"], rtol=1e-6)


def test_small_frames_omit_ssim_and_members_can_have_their_own_targets(video):
    _, fitter, result = video
    rng = np.random.default_rng(2)
    small = [Signal("video", rng.random((3, 8, 9, 3)).astype(np.float32), "mem") for _ in range(2)]
    out = evaluation.evaluate(fitter, result, small)
    assert out["ssim"] == [] and "ssim_per_frame" not in out["_curves"]
    assert np.isfinite(out["gradient_psnr"]).all()
    for m in range(2):
        rec = reconstruct(fitter, result, small[m], m)
        assert out["psnr"][m] == pytest.approx(_psnr64(rec, small[m].values), abs=1e-5)


def test_volume_psnr_pooled_and_per_slice(volume):
    signal, fitter, result = volume
    out = evaluation.evaluate(fitter, result, signal, max_values=2 * 8 * 8 * 3)   # 3 slices a slab
    assert set(out) == {"best_psnr", "psnr", "ssim", "_curves"} and out["ssim"] == []   # 8×8 slices: no SSIM
    assert set(out["_curves"]) == {"psnr_per_slice"} and out["_curves"]["psnr_per_slice"].shape == (2, 8)
    for m in range(2):
        rec = reconstruct(fitter, result, signal, m)
        assert out["psnr"][m] == pytest.approx(_psnr64(rec, signal.values), abs=1e-5)
        np.testing.assert_allclose(out["_curves"]["psnr_per_slice"][m],
                                   [_psnr64(rec[z], signal.values[z]) for z in range(8)], atol=1e-5)
    split = train_test_split(signal.size, 0.25, seed=1)
    out = evaluation.evaluate(fitter, result, signal, split=split)
    rec = reconstruct(fitter, result, signal, 0).reshape(-1)
    assert out["psnr_test"][0] == pytest.approx(_psnr64(rec[split[1]], signal.values.reshape(-1)[split[1]]),
                                                abs=1e-5)


def test_volume_ssim_is_the_mean_over_axial_slices(volume):
    _, fitter, result = volume
    signal = Signal("volume", np.random.default_rng(3).random((2, 11, 12, 1)).astype(np.float32), "mem")
    out = evaluation.evaluate(fitter, result, signal)
    rec = reconstruct(fitter, result, signal, 1)
    per_slice = [float(metrics.ssim(rec[z], signal.values[z])) for z in range(2)]
    np.testing.assert_allclose(out["_curves"]["ssim_per_slice"][1], per_slice, atol=1e-6)
    assert out["ssim"][1] == pytest.approx(np.mean(per_slice), abs=1e-6)
