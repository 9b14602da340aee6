"""Property-based tests (hypothesis): invariants that must hold for *any* input.

Angles not covered by the unit tests: the grid ↔ target layout of a ``Signal``
and long float32 audio grids; TUNER's bound projection for random per-member
bounds *and* ω_G under ``jax.vmap`` (equal to the un-vmapped link, idempotent);
the Harmonic-MLP frequency factor for random frequencies; PSNR/SSIM ranges and
symmetry; save → load round trips of the image and audio writers.
Shapes of jitted functions are fixed so that each compiles once.
"""
from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spectral_inr import metrics
from spectral_inr.data import coordinate_grid, load_audio, load_image, save_audio, save_image
from spectral_inr.optim import frequency_aware_scaling, tuner_bounds
from spectral_inr.signals import Signal

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
F32_EPS = float(np.finfo(np.float32).eps)
finite32 = dict(allow_nan=False, allow_infinity=False, width=32)


# --------------------------------------------------------------------------- coordinate grids
@FAST
@given(h=st.integers(1, 12), w=st.integers(1, 12), c=st.sampled_from([1, 3]), seed=st.integers(0, 2**16))
def test_signal_coords_line_up_with_targets(h, w, c, seed):
    """Row k of ``coords()`` is the (y, x) of the pixel whose value is row k of ``targets()``."""
    values = np.random.default_rng(seed).random((h, w, c)).astype(np.float32)
    s = Signal("image", values, "mem")
    coords, targets = s.coords(), s.targets()
    assert coords.shape == (h * w, 2) and targets.shape == (h * w, c) and coords.dtype == np.float32
    ys, xs = np.linspace(-1, 1, h), np.linspace(-1, 1, w)
    for k in np.random.default_rng(seed + 1).integers(0, h * w, 8):
        i, j = divmod(int(k), w)
        np.testing.assert_array_equal(targets[k], values[i, j])
        np.testing.assert_allclose(coords[k], [ys[i], xs[j]], rtol=0, atol=F32_EPS)
    assert np.all(coords >= -1) and np.all(coords <= 1)


@FAST
@given(n=st.integers(2, 300_000))
def test_long_float32_audio_grid(n):
    """Audio lengths up to 300k samples: float32 grid still strictly increasing, exact ends, even spacing."""
    g = coordinate_grid(n)
    assert g.shape == (n, 1) and g.dtype == np.float32
    x = g[:, 0]
    assert x[0] == -1 and x[-1] == 1
    d = np.diff(x.astype(np.float64))
    assert np.all(d > 0)
    assert np.abs(d - 2 / (n - 1)).max() <= 2 * F32_EPS      # each point within half an ulp of exact
    s = Signal("audio", np.zeros((n, 1), np.float32), "mem", 8000)
    np.testing.assert_array_equal(s.coords(), g)


# --------------------------------------------------------------------------- TUNER bounds under vmap
K, ROWS, COLS = 4, 6, 5
GROUPS = np.array([[0], [1], [2], [0], [1], [2]], np.int32)        # every bound class


def _project(c, omega_g, p, u):
    """New kernel after the TUNER link for one member (``c`` = (c_low, c_high, c_deep))."""
    tx = tuner_bounds({"layers_1": {"kernel": GROUPS}}, c_low=c[0], c_high=c[1], c_deep=c[2], omega_g=omega_g)
    params = {"layers_1": {"kernel": p, "bias": jnp.zeros(COLS)}}
    updates = {"layers_1": {"kernel": u, "bias": jnp.ones(COLS)}}
    new = optax.apply_updates(params, tx.update(updates, optax.EmptyState(), params)[0])
    return new["layers_1"]["kernel"], new["layers_1"]["bias"]


_project_members = jax.jit(jax.vmap(_project))
_project_one = jax.jit(_project)


@FAST
@given(c=hnp.arrays(np.float32, (K, 3), elements=st.floats(0.0078125, 3.0, **finite32)),
       omega_g=hnp.arrays(np.float32, (K,), elements=st.floats(1.0, 100.0, **finite32)),
       p=hnp.arrays(np.float32, (K, ROWS, COLS), elements=st.floats(-1.0, 1.0, **finite32)),
       u=hnp.arrays(np.float32, (K, ROWS, COLS), elements=st.floats(-5.0, 5.0, **finite32)))
def test_tuner_bounds_random_bounds_per_member_under_vmap(c, omega_g, p, u):
    w, b = map(np.asarray, _project_members(c, omega_g, p, u))
    for k in range(K):
        bound = (c[k].astype(np.float64) / omega_g[k])[GROUPS]                # (ROWS, 1)
        tol = 2 * F32_EPS * (bound + np.abs(p[k]))                             # roundings of clip(p+u)-p, p+that
        assert np.all(np.abs(w[k]) <= bound + tol), k
        # a member is what the un-vmapped link gives it (up to an ulp of XLA fusion differences)
        wk, _ = _project_one(c[k], omega_g[k], p[k], u[k])
        ulp = float(np.spacing(np.float32(bound.max() + np.abs(p[k]).max())))
        np.testing.assert_allclose(w[k], np.asarray(wk), rtol=0, atol=ulp)
    np.testing.assert_array_equal(b, np.ones((K, COLS)))                      # unbounded leaf: plain step
    # projecting again (zero update) lands *on* the box - the first projection of a weight far
    # outside (|p| >> bound) may overshoot by an ulp of p, documented - and moves nothing further
    w2, _ = map(np.asarray, _project_members(c, omega_g, w, np.zeros_like(u)))
    for k in range(K):
        bound = (c[k].astype(np.float64) / omega_g[k])[GROUPS]
        assert np.all(np.abs(w2[k]) <= bound * (1 + 4 * F32_EPS))
        assert np.all(np.abs(w2[k] - w[k]) <= 2 * F32_EPS * (bound + np.abs(p[k])))


# --------------------------------------------------------------------------- frequency-aware scaling
@FAST
@given(f=st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=1, max_size=8),
       seed=st.integers(0, 2**16))
def test_frequency_scaling_is_one_over_one_plus_tenth_f(f, seed):
    n = len(f)
    rng = np.random.default_rng(seed)
    grads = {"harmonic_0": {"kernel": rng.standard_normal((3, n)).astype(np.float32),
                            "bias": rng.standard_normal(n).astype(np.float32)},
             "head": {"kernel": rng.standard_normal((n, 2)).astype(np.float32)}}
    tx = frequency_aware_scaling({"harmonic_0": f})
    out, _ = tx.update(grads, tx.init(grads))
    factor = 1.0 / (1.0 + 0.1 * np.asarray(f, np.float64))
    for leaf in ("kernel", "bias"):
        g = grads["harmonic_0"][leaf].astype(np.float64)
        got = np.asarray(out["harmonic_0"][leaf], np.float64)
        np.testing.assert_allclose(got, g * factor, rtol=4 * F32_EPS, atol=1e-30)
        assert np.all(np.abs(got) <= np.abs(g) * (1 + F32_EPS))                # f >= 0 never amplifies
    np.testing.assert_array_equal(out["head"]["kernel"], grads["head"]["kernel"])


# --------------------------------------------------------------------------- PSNR / SSIM
IMG = (16, 16, 1)
_psnr = jax.jit(metrics.psnr)


@FAST
@given(seed=st.integers(0, 2**16), noise=st.one_of(st.just(0.0), st.floats(1e-6, 1.0)),
       kind=st.sampled_from(["uniform", "binary", "flat"]))
def test_psnr_ssim_ranges(seed, noise, kind):
    rng = np.random.default_rng(seed)
    a = {"uniform": rng.random(IMG), "binary": rng.integers(0, 2, IMG).astype(float),
         "flat": np.full(IMG, rng.random())}[kind].astype(np.float32)
    b = np.clip(a + noise * rng.standard_normal(IMG), 0, 1).astype(np.float32)
    p = float(_psnr(b, a))
    assert p == pytest.approx(float(_psnr(a, b)))                            # symmetric
    assert p >= 0                                                            # MSE <= 1 for images in [0, 1]
    if np.array_equal(a, b):
        assert p == np.inf
    else:   # (noise >= 1e-6: a float32 MSE below ~1e-45 would underflow to 0 and give inf)
        assert np.isfinite(p)
    s = float(metrics.ssim(b, a))
    assert -1 - 1e-6 <= s <= 1 + 1e-6
    assert s == pytest.approx(float(metrics.ssim(a, b)), abs=1e-6)            # symmetric
    assert float(metrics.ssim(a, a)) == pytest.approx(1.0, abs=1e-5)


# --------------------------------------------------------------------------- loader round trips
@FAST
@given(img=hnp.arrays(np.float64, st.tuples(st.integers(2, 9), st.integers(2, 9), st.sampled_from([1, 3])),
                      elements=st.floats(0.0, 1.0)))
def test_save_image_load_image_roundtrip(img):
    with tempfile.TemporaryDirectory() as d:
        path = save_image(Path(d) / "x.png", img)
        back = load_image(path)
    assert back.shape == img.shape and back.dtype == np.float32
    assert np.abs(back - img).max() <= 0.5 / 255 + 1e-6                     # round(255 x) / 255


@FAST
@given(img=hnp.arrays(np.float64, (5, 4, 4), elements=st.floats(0.0, 1.0)))
def test_save_rgba_load_drops_alpha(img):
    with tempfile.TemporaryDirectory() as d:
        path = save_image(Path(d) / "x.png", img)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            back = load_image(path)
    assert back.shape == (5, 4, 3)
    assert np.abs(back - img[..., :3]).max() <= 0.5 / 255 + 1e-6


@FAST
@given(x=hnp.arrays(np.float32, st.tuples(st.integers(1, 400)) | st.tuples(st.integers(1, 200), st.integers(1, 3)),
                    elements=st.floats(-4.0, 4.0, **finite32)),
       rate=st.integers(1, 192_000))
def test_save_audio_load_audio_roundtrip(x, rate):
    with tempfile.TemporaryDirectory() as d:
        path = save_audio(Path(d) / "x.wav", x, rate)
        raw, r = load_audio(path, normalize=False)
        mono = x if x.ndim == 1 else x.astype(np.float64).mean(axis=1)
        assert r == rate and raw.dtype == np.float32 and raw.shape == (x.shape[0],)
        if x.ndim == 1:
            np.testing.assert_array_equal(raw, x)                            # float32 WAV: exact
        else:
            np.testing.assert_allclose(raw, mono, rtol=0, atol=4 * F32_EPS * 4)
        if np.any(mono != 0):
            norm, _ = load_audio(path)
            np.testing.assert_allclose(norm, mono / np.abs(mono).max(), rtol=0, atol=4 * F32_EPS)
            assert np.abs(norm).max() == pytest.approx(1.0, abs=F32_EPS)
