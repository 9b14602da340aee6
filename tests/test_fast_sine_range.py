"""``fast_sin``/``fast_cos`` over the whole float32 range: every finite value, ``±inf`` and ``nan``,
eager and under ``jax.jit`` (the two differed before the large-input fallback), against float64
``np.sin``/``np.cos`` of the same float32 input with one absolute tolerance
(``FAST_SINE_MAX_ABS_ERR = 1.5e-7``); exact oddness/evenness (bitwise), ``|sin|, |cos| <= 1``,
and the derivatives (the ``custom_jvp`` rule shares the range reduction).

Before the fix: jitted ``fast_sin(1e9) = 13.2``, ``fast_sin(2.2e9) = -1.28e9``, ``fast_sin(1e30) = nan``
but ``fast_sin(-1e30) = inf``, eager calls 3e-2 off at 1e6, and ``fast_sin(-0.0) = +0.0``.
"""
from __future__ import annotations

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spectral_inr.ops import (
    FAST_SINE_ACCURATE_RANGE,
    FAST_SINE_MAX_ABS_ERR,
    fast_cos,
    fast_sin,
    fast_sincos,
)

TOL = FAST_SINE_MAX_ABS_ERR
F32_MAX = float(np.finfo(np.float32).max)

_jsincos = jax.jit(fast_sincos)
_eager_sincos = fast_sincos
_jjvp = jax.jit(lambda a, b: jax.jvp(fast_sincos, (a,), (b,)))

ANY_F32 = st.floats(width=32, allow_nan=True, allow_infinity=True)
# 64 lanes per example: mixes of small and huge values in one array (the fallback is per array)
ARRAYS = hnp.arrays(np.float32, 64, elements=ANY_F32)
# and a magnitude-first strategy, so that every binade is drawn often (not just the edges)
LOG_MAG = st.builds(lambda e, m, s: np.float32(s * min(m * 2.0 ** e, F32_MAX)), st.integers(-149, 127),
                    st.floats(1.0, 2.0, exclude_max=True), st.sampled_from([1.0, -1.0]))
LOG_ARRAYS = hnp.arrays(np.float32, 64, elements=LOG_MAG)


def _bits(a) -> np.ndarray:
    return np.asarray(a, np.float32).view(np.uint32)


def check(x: np.ndarray, sincos) -> None:
    """Accuracy, nan for non-finite input, bitwise oddness/evenness, bounds, float32 out."""
    x = np.asarray(x, np.float32)
    s, c = (np.asarray(v) for v in sincos(jnp.asarray(x)))
    sn, cn = (np.asarray(v) for v in sincos(jnp.asarray(-x)))
    assert s.dtype == c.dtype == np.float32
    finite = np.isfinite(x)
    assert np.isnan(s[~finite]).all() and np.isnan(c[~finite]).all()
    x64 = x[finite].astype(np.float64)
    err_s = np.abs(s[finite] - np.sin(x64))
    err_c = np.abs(c[finite] - np.cos(x64))
    assert err_s.max(initial=0.0) <= TOL, (x[finite][np.argmax(err_s)], err_s.max())
    assert err_c.max(initial=0.0) <= TOL, (x[finite][np.argmax(err_c)], err_c.max())
    assert (np.abs(s[finite]) <= 1.0).all() and (np.abs(c[finite]) <= 1.0).all()
    # sin(-x) is -sin(x) and cos(-x) is cos(x), bit for bit (nan lanes: nan both ways)
    np.testing.assert_array_equal(_bits(sn)[finite], _bits(s)[finite] ^ np.uint32(0x80000000))
    np.testing.assert_array_equal(_bits(cn)[finite], _bits(c)[finite])
    assert np.isnan(sn[~finite]).all() and np.isnan(cn[~finite]).all()


# ----------------------------------------------------------------------------- hypothesis, whole range


@settings(max_examples=150, deadline=None)
@given(ARRAYS)
def test_property_any_float32_jit(x):
    check(x, _jsincos)


@settings(max_examples=40, deadline=None)
@given(ARRAYS)
def test_property_any_float32_eager(x):
    check(x, _eager_sincos)


@settings(max_examples=150, deadline=None)
@given(LOG_ARRAYS)
def test_property_every_binade_jit(x):
    check(x, _jsincos)


@settings(max_examples=40, deadline=None)
@given(LOG_ARRAYS)
def test_property_every_binade_eager(x):
    check(x, _eager_sincos)


@settings(max_examples=50, deadline=None)
@given(ANY_F32)
def test_property_scalar_eager_and_jit_agree_with_the_array_path(v):
    # 0-d input (the fallback's max over no axis), eager and jitted, and the same value inside an array
    x = np.float32(v)
    for f in (fast_sin, jax.jit(fast_sin)):
        y = np.asarray(f(x))
        assert y.shape == () and y.dtype == np.float32
        if np.isfinite(x):
            assert abs(float(y) - np.sin(np.float64(x))) <= TOL
            assert _bits(f(-x)) == _bits(y) ^ np.uint32(0x80000000)
        else:
            assert np.isnan(y)


@settings(max_examples=100, deadline=None)
@given(ARRAYS, hnp.arrays(np.float32, 64, elements=st.floats(-4.0, 4.0, width=32)))
def test_property_jvp_is_the_fixed_cos_and_sin(x, t):
    # jax.jvp: tangent of sin is cos(x)*t and of cos is -sin(x)*t, from the same (fixed) reduction
    (s, c), (ds, dc) = _jjvp(x, t)
    s_ref, c_ref = (np.asarray(v) for v in _jsincos(x))
    np.testing.assert_array_equal(np.asarray(s), s_ref)
    np.testing.assert_array_equal(np.asarray(c), c_ref)
    np.testing.assert_array_equal(np.asarray(ds), np.asarray(jnp.asarray(c_ref) * t))
    np.testing.assert_array_equal(np.asarray(dc), np.asarray(-jnp.asarray(s_ref) * t))
    finite = np.isfinite(x)
    x64 = x[finite].astype(np.float64)
    # |t| <= 4: the cos error scaled by t, plus the rounding of the product
    assert np.abs(np.asarray(ds)[finite] - np.cos(x64) * t[finite]).max(initial=0) <= 4 * TOL + 2.5e-7
    assert np.isnan(np.asarray(ds)[~finite]).all()


# ----------------------------------------------------------------------------- the reported values


REPORTED = np.array([1e6, 1e9, 2.2e9, 1e30, -1e30, 3.4e38, -3.4e38, F32_MAX, -F32_MAX], np.float32)


@pytest.mark.parametrize("mode", ["jit", "eager"])
def test_reported_large_values(mode):
    f = jax.jit(fast_sin) if mode == "jit" else fast_sin
    y = np.asarray(f(REPORTED), np.float64)
    np.testing.assert_allclose(y, np.sin(REPORTED.astype(np.float64)), rtol=0, atol=TOL)
    assert np.asarray(f(np.float32(1e9))) == pytest.approx(np.sin(np.float64(np.float32(1e9))), abs=TOL)


@pytest.mark.parametrize("mode", ["jit", "eager"])
def test_special_values(mode):
    sc = _jsincos if mode == "jit" else _eager_sincos
    x = np.array([np.inf, -np.inf, np.nan, -np.nan, 0.0, -0.0], np.float32)
    s, c = (np.asarray(v) for v in sc(x))
    assert np.isnan(s[:4]).all() and np.isnan(c[:4]).all()
    assert _bits(s[4]) == 0 and _bits(s[5]) == 0x80000000      # sin(+0) = +0, sin(-0) = -0
    assert (c[4:] == 1.0).all()
    # one non-finite lane does not spoil the others
    y = np.asarray(sc(np.array([np.nan, 1.0, np.inf, 2.0], np.float32))[0])
    assert np.isnan(y[[0, 2]]).all() and np.allclose(y[[1, 3]], np.sin([1.0, 2.0]), atol=TOL, rtol=0)


# ----------------------------------------------------------------------------- dense sweeps


def _near_half_pi_multiples(k: np.ndarray, neighbours: int = 8) -> np.ndarray:
    """The float32 nearest to k*pi/2 and ``neighbours`` float32 on each side (positive k)."""
    near = (k.astype(np.float64) * (np.pi / 2)).astype(np.float32).view(np.int32)
    return np.concatenate([(near + d).view(np.float32) for d in range(-neighbours, neighbours + 1)])


@pytest.mark.parametrize("mode", ["jit", "eager"])
@pytest.mark.parametrize("k0", [60_000, 600_000, 2_000_000, 5_000_000], ids=lambda k: f"k{k}")
def test_dense_sweep_near_multiples_of_half_pi(k0, mode):
    # 4,000 consecutive multiples of pi/2 (around the fallback threshold 1e5 ~ k 63,662, then 1e6,
    # 3e6, 8e6), 17 float32 each: where one of sin/cos is tiny and a sloppy reduction shows.
    x = _near_half_pi_multiples(np.arange(k0, k0 + 4000))
    assert x.min() < FAST_SINE_ACCURATE_RANGE < x.max() or x.min() > FAST_SINE_ACCURATE_RANGE
    check(x, _jsincos if mode == "jit" else _eager_sincos)


@pytest.mark.parametrize("start", [np.float32(FAST_SINE_ACCURATE_RANGE), np.float32(2.0 ** 24), np.float32(1e9),
                                   np.float32(2.2e9), np.float32(1e30), np.float32(F32_MAX)],
                         ids=["threshold", "2^24", "1e9", "2.2e9", "1e30", "max"])
def test_dense_window_of_consecutive_float32(start):
    # 2**15 consecutive float32 on each side of ``start`` (every representable value there)
    b = np.array(start, np.float32).view(np.int32)
    x = np.arange(b - 2 ** 15, min(b + 2 ** 15, np.array(F32_MAX, np.float32).view(np.int32) + 1),
                  dtype=np.int32).view(np.float32)
    check(x, _jsincos)


def test_mixed_array_keeps_fast_lanes_bitwise():
    # A huge lane elsewhere in the array changes nothing for the others: they stay on the fast path.
    rng = np.random.default_rng(0)
    x = rng.uniform(-300, 300, 4096).astype(np.float32)
    y_small = np.asarray(jax.jit(fast_sin)(x))
    x_mixed = x.copy()
    x_mixed[::97] = np.float32(3e20)
    y_mixed = np.asarray(jax.jit(fast_sin)(x_mixed))
    keep = np.ones_like(x, bool)
    keep[::97] = False
    np.testing.assert_array_equal(y_mixed[keep], y_small[keep])
    assert np.abs(y_mixed[~keep] - np.sin(np.float64(np.float32(3e20)))).max() <= TOL


# ----------------------------------------------------------------------------- transformations


def test_vmap_keeps_one_predicate_and_fixes_only_the_member_that_needs_it():
    # (K, N) batch: one member holds a huge value.  Results equal the unbatched call row by row,
    # and under vmap the fallback stays a real branch (a ``cond`` in the jaxpr, not a select).
    rng = np.random.default_rng(1)
    x = rng.uniform(-50, 50, (4, 512)).astype(np.float32)
    x[2, 7] = np.float32(-1e25)
    vf = jax.jit(jax.vmap(fast_sin))
    y = np.asarray(vf(x))
    for i in range(4):
        np.testing.assert_array_equal(y[i], np.asarray(jax.jit(fast_sin)(x[i])))
    assert abs(y[2, 7] - np.sin(np.float64(np.float32(-1e25)))) <= TOL
    hlo = jax.jit(jax.vmap(jax.vmap(fast_sin))).lower(x[None]).compile().as_text()
    assert " conditional(" in hlo   # a select would compute XLA's sine on every lane
    # vmap of the gradient (the sweep engine's shape)
    g = np.asarray(jax.jit(jax.vmap(jax.grad(lambda v: jnp.sum(fast_sin(v)))))(x))
    np.testing.assert_array_equal(g, np.asarray(jax.jit(fast_cos)(x)))


def test_derivatives_of_large_arguments():
    x = np.array([3e5, -7e8, 1e30, -F32_MAX], np.float32)
    x64 = x.astype(np.float64)
    d1 = jax.jit(jax.vmap(jax.grad(fast_sin)))(x)
    d2 = jax.jit(jax.vmap(jax.grad(jax.grad(fast_sin))))(x)
    np.testing.assert_allclose(np.asarray(d1, np.float64), np.cos(x64), rtol=0, atol=TOL)
    np.testing.assert_allclose(np.asarray(d2, np.float64), -np.sin(x64), rtol=0, atol=TOL)
    dc = jax.jit(jax.vmap(jax.grad(fast_cos)))(x)
    np.testing.assert_allclose(np.asarray(dc, np.float64), -np.sin(x64), rtol=0, atol=TOL)
    # eager gradient too
    assert float(jax.grad(fast_sin)(np.float32(1e30))) == pytest.approx(np.cos(np.float64(np.float32(1e30))), abs=TOL)


def test_scan_and_lax_map_and_low_precision():
    x = np.array([[1.0, 2e6], [-3e30, 0.5]], np.float32)
    ref = np.sin(x.astype(np.float64))
    ys = jax.jit(lambda a: jax.lax.map(fast_sin, a))(x)
    np.testing.assert_allclose(np.asarray(ys, np.float64), ref, atol=TOL, rtol=0)
    _, yc = jax.lax.scan(lambda c, a: (c, fast_sin(a)), 0.0, x)
    np.testing.assert_allclose(np.asarray(yc, np.float64), ref, atol=TOL, rtol=0)
    xb = jnp.asarray(x, jnp.bfloat16)
    yb = np.asarray(fast_sin(xb).astype(jnp.float32), np.float64)
    assert np.abs(yb - np.sin(np.asarray(xb.astype(jnp.float32), np.float64))).max() <= 2.0 ** -8
    assert fast_sin(jnp.zeros((0,), jnp.float32)).shape == (0,)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subprocess with XLA_FLAGS")
def test_sharded_over_two_devices():
    # Members sharded over 2 host devices under jit: the range check becomes a cross-device
    # reduction, and a huge value on one device is fixed without touching the other's lanes.
    code = (
        "import jax, jax.numpy as jnp, numpy as np\n"
        "from jax.sharding import Mesh, NamedSharding, PartitionSpec as P\n"
        "from spectral_inr.ops import fast_sin\n"
        "assert jax.device_count() == 2\n"
        "mesh = Mesh(np.array(jax.devices()), ('sweep',))\n"
        "x = np.random.default_rng(0).uniform(-30, 30, (4, 256)).astype(np.float32)\n"
        "x[3, 5] = 1e30\n"
        "xs = jax.device_put(x, NamedSharding(mesh, P('sweep')))\n"
        "y = np.asarray(jax.jit(jax.vmap(fast_sin))(xs))\n"
        "err = np.abs(y - np.sin(x.astype(np.float64))).max()\n"
        "same = bool((y[:3] == np.asarray(jax.jit(fast_sin)(x[:3]))).all())\n"
        "print(err, same)\n"
    )
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True, timeout=300,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0, out.stderr
    err, same = out.stdout.split()
    assert float(err) <= TOL and same == "True"
