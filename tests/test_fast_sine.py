"""Tests for spectral_inr.ops.fast_sine (fast float32 sin/cos + selector)."""

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

from spectral_inr import ops
from spectral_inr.ops import (
    FAST_SINE_MAX_ABS_ERR,
    cos,
    fast_cos,
    fast_sin,
    fast_sincos,
    get_sine_impl,
    reload_sine_impl_from_env,
    resolved_sine_impl,
    set_sine_impl,
    sin,
    sine_impl,
)
from spectral_inr.ops import fast_sine as fs

TOL = FAST_SINE_MAX_ABS_ERR  # 1.5e-7; measured max is ~1.1e-7

_jsin = jax.jit(fast_sin)
_jcos = jax.jit(fast_cos)


@pytest.fixture(autouse=True)
def _restore_impl():
    old = get_sine_impl()
    yield
    set_sine_impl(old)


def _err(f, ref, x32: np.ndarray) -> float:
    y = np.asarray(f(x32), dtype=np.float64)
    return float(np.max(np.abs(y - ref(x32.astype(np.float64)))))


def _grid(lim: float, n: int = 400_001) -> np.ndarray:
    return np.linspace(-lim, lim, n).astype(np.float32)


# ----------------------------------------------------------------------------- accuracy


def test_stated_bound_is_tight():
    # The documented bound must be a real constraint, not a loose catch-all.
    assert TOL <= 2e-7


@pytest.mark.parametrize("lim", [np.pi, 100.0, 6000.0, 1e4])
@pytest.mark.parametrize("f,ref", [(_jsin, np.sin), (_jcos, np.cos)], ids=["sin", "cos"])
def test_accuracy_dense_grid(f, ref, lim):
    x = _grid(lim)
    assert x.dtype == np.float32
    assert np.asarray(f(x)).dtype == np.float32
    assert _err(f, ref, x) < TOL


@pytest.mark.parametrize("f,ref", [(_jsin, np.sin), (_jcos, np.cos)], ids=["sin", "cos"])
def test_accuracy_random_up_to_1e5(f, ref):
    rng = np.random.default_rng(1234)
    x = np.concatenate(
        [
            rng.uniform(-1e5, 1e5, 500_000),
            # all magnitudes, log-uniform, both signs
            rng.choice([-1.0, 1.0], 200_000) * 10.0 ** rng.uniform(-8, 5, 200_000),
        ]
    ).astype(np.float32)
    assert _err(f, ref, x) < TOL


@pytest.mark.parametrize("f,ref", [(_jsin, np.sin), (_jcos, np.cos)], ids=["sin", "cos"])
def test_accuracy_top_of_range_exhaustive_slice(f, ref):
    # Every float32 in [99000, 1e5]: largest k, where the Cody-Waite products are tightest.
    x = np.arange(np.float32(99_000), np.float32(1e5), np.float32(2**-7), dtype=np.float32)
    x = np.concatenate([x, -x])
    assert _err(f, ref, x) < TOL


@pytest.mark.parametrize("f,ref", [(fast_sin, np.sin), (fast_cos, np.cos)], ids=["sin", "cos"])
def test_accuracy_eager_without_jit(f, ref):
    # Eager evaluation has no FMA contraction; the bound must hold as well.
    x = np.concatenate([_grid(1e5, 100_001), _grid(np.pi, 10_001)])
    assert _err(lambda v: f(jnp.asarray(v)), ref, x) < TOL


@pytest.mark.parametrize("f,ref", [(_jsin, np.sin), (_jcos, np.cos)], ids=["sin", "cos"])
def test_near_multiples_of_half_pi_relative_accuracy(f, ref):
    # x = float32 nearest to k*pi/2: the true result is tiny for one of sin/cos, so any
    # sloppiness in the range reduction (e.g. a single float32 pi/2) shows up as a huge
    # relative error.  Measured: abs <= 3e-8, rel <= 2e-4.
    k = np.arange(1, 63_000)
    x = (k * (np.pi / 2)).astype(np.float32)
    x = np.concatenate([x, -x])
    x64 = x.astype(np.float64)
    y = np.asarray(f(x), dtype=np.float64)
    r = ref(x64)
    e = np.abs(y - r)
    assert e.max() < 5e-8
    small = np.abs(r) < 1e-3
    assert small.sum() > 10_000
    assert np.max(e[small] / np.abs(r[small])) < 1e-3


def test_bound_would_catch_a_naive_range_reduction(monkeypatch):
    # Sanity check that the accuracy tests can fail: a one-constant reduction
    # (r = x - k*float32(pi/2)) violates the bound by orders of magnitude.
    monkeypatch.setattr(fs, "_PIO2_C1", np.float32(np.pi / 2))
    for name in ("_PIO2_C2", "_PIO2_C3", "_PIO2_C4"):
        monkeypatch.setattr(fs, name, np.float32(0.0))
    x = _grid(6000.0, 100_001)
    s_naive = np.asarray(jax.jit(lambda v: fs._sincos_f32_impl(v)[0])(x), np.float64)
    assert np.max(np.abs(s_naive - np.sin(x.astype(np.float64)))) > 100 * TOL


def test_cody_waite_constants_sum_to_half_pi():
    c = [float(v) for v in (fs._PIO2_C1, fs._PIO2_C2, fs._PIO2_C3, fs._PIO2_C4)]
    # Exact dyadic values with <= 8 significant bits for the first three, so k*Ci is exact
    # for |k| <= 2**16.
    for v in c[:3]:
        m, _ = np.frexp(v)
        assert float(m * 2**8).is_integer()
    assert abs(sum(c) - np.pi / 2) < 1e-15


def test_special_values_and_bounds():
    x = jnp.array([np.inf, -np.inf, np.nan, 0.0, 1e-30, -1e-30], dtype=jnp.float32)
    s = np.asarray(_jsin(x))
    c = np.asarray(_jcos(x))
    assert np.isnan(s[:3]).all() and np.isnan(c[:3]).all()
    assert s[3] == 0.0 and c[3] == 1.0
    assert s[4] == np.float32(1e-30) and s[5] == np.float32(-1e-30)
    y = _grid(1e4)
    assert np.abs(np.asarray(_jsin(y))).max() <= 1.0
    assert np.abs(np.asarray(_jcos(y))).max() <= 1.0


def test_symmetry_exact():
    x = _grid(1e4, 100_001)
    np.testing.assert_array_equal(np.asarray(_jsin(-x)), -np.asarray(_jsin(x)))
    np.testing.assert_array_equal(np.asarray(_jcos(-x)), np.asarray(_jcos(x)))


def test_sincos_matches_individual():
    x = _grid(3000.0, 10_001)
    s, c = jax.jit(fast_sincos)(x)
    np.testing.assert_array_equal(np.asarray(s), np.asarray(_jsin(x)))
    np.testing.assert_array_equal(np.asarray(c), np.asarray(_jcos(x)))


# ----------------------------------------------------------------------------- derivatives


def test_grad_matches_cos_and_second_derivative_matches_minus_sin():
    x = _grid(6000.0, 20_001)
    x64 = x.astype(np.float64)
    d1 = jax.jit(jax.vmap(jax.grad(fast_sin)))
    d2 = jax.jit(jax.vmap(jax.grad(jax.grad(fast_sin))))
    d3 = jax.jit(jax.vmap(jax.grad(jax.grad(jax.grad(fast_sin)))))
    assert np.max(np.abs(np.asarray(d1(x), np.float64) - np.cos(x64))) < TOL
    assert np.max(np.abs(np.asarray(d2(x), np.float64) + np.sin(x64))) < TOL
    assert np.max(np.abs(np.asarray(d3(x), np.float64) + np.cos(x64))) < TOL
    # and for cos
    c1 = jax.jit(jax.vmap(jax.grad(fast_cos)))
    c2 = jax.jit(jax.vmap(jax.grad(jax.grad(fast_cos))))
    assert np.max(np.abs(np.asarray(c1(x), np.float64) + np.sin(x64))) < TOL
    assert np.max(np.abs(np.asarray(c2(x), np.float64) + np.cos(x64))) < TOL
    # the derivative *is* fast_cos (not a differentiated polynomial)
    np.testing.assert_array_equal(np.asarray(d1(x)), np.asarray(_jcos(x)))


def test_jvp_and_grad_of_sum():
    x = jnp.asarray(_grid(500.0, 1001))
    t = jnp.linspace(-2.0, 3.0, 1001, dtype=jnp.float32)
    y, ty = jax.jit(lambda a, b: jax.jvp(fast_sin, (a,), (b,)))(x, t)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(_jsin(x)))
    np.testing.assert_array_equal(np.asarray(ty), np.asarray(jax.jit(lambda a, b: fast_cos(a) * b)(x, t)))
    g = jax.jit(jax.grad(lambda v: jnp.sum(fast_sin(3.0 * v))))(x)
    np.testing.assert_allclose(
        np.asarray(g, np.float64), 3.0 * np.cos(3.0 * np.asarray(x, np.float64)), atol=5 * TOL
    )


def test_jvp_reuses_one_range_reduction():
    x = jnp.ones((8,), jnp.float32)
    hlo = jax.jit(lambda v: jax.jvp(fast_sin, (v,), (v,))).lower(x).as_text()
    assert hlo.count("round_nearest_even") == 1


def test_hessian_of_gradient_loss():
    # A gradient-loss style objective: d/dw of ||d/dx sin(w x)||^2 (needs 2nd derivatives).
    x = jnp.linspace(-3.0, 3.0, 64, dtype=jnp.float32)

    def loss(w, f):
        dydx = jax.vmap(jax.grad(lambda xi: f(w * xi)))(x)
        return jnp.sum(dydx**2)

    w = jnp.float32(30.0)
    g_fast = jax.jit(jax.grad(loss), static_argnums=1)(w, fast_sin)
    g_ref = jax.jit(jax.grad(loss), static_argnums=1)(w, jnp.sin)
    np.testing.assert_allclose(float(g_fast), float(g_ref), rtol=2e-5)


def test_vmap_and_jit():
    x = _grid(2000.0, 4096).reshape(64, 64)
    ref = np.asarray(_jsin(x))
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.vmap(fast_sin))(x)), ref)
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.vmap(jax.vmap(fast_sin)))(x)), ref)
    s, c = jax.jit(jax.vmap(fast_sincos, in_axes=1, out_axes=1))(x)
    assert s.shape == c.shape == (64, 64)


# ----------------------------------------------------------------------------- dtypes


def test_float64_path_is_jnp_sin_exactly():
    with jax.enable_x64(True):
        x = jnp.linspace(-1e4, 1e4, 10_001, dtype=jnp.float64)
        for f, g in ((fast_sin, jnp.sin), (fast_cos, jnp.cos)):
            y = f(x)
            assert y.dtype == jnp.float64
            np.testing.assert_array_equal(np.asarray(y), np.asarray(g(x)))
            np.testing.assert_array_equal(np.asarray(jax.jit(f)(x)), np.asarray(jax.jit(g)(x)))
        # gradients of the float64 path are jnp's as well
        np.testing.assert_array_equal(
            np.asarray(jax.vmap(jax.grad(fast_sin))(x)), np.asarray(jnp.cos(x))
        )
        # float32 stays on the fast path even with x64 enabled
        x32 = x.astype(jnp.float32)
        assert fast_sin(x32).dtype == jnp.float32
        np.testing.assert_array_equal(np.asarray(fast_sin(x32)), np.asarray(fs._sincos_f32(x32)[0]))


@pytest.mark.parametrize("dt", [jnp.float16, jnp.bfloat16])
def test_low_precision_dtypes(dt):
    x = jnp.linspace(-50.0, 50.0, 1001).astype(dt)
    y = fast_sin(x)
    assert y.dtype == dt
    ref = np.sin(np.asarray(x.astype(jnp.float32), np.float64))
    # one rounding to the low-precision type
    atol = 2.0 ** -(11 if dt == jnp.float16 else 8)
    assert np.max(np.abs(np.asarray(y.astype(jnp.float32), np.float64) - ref)) <= atol


def test_integer_and_python_inputs_promote_like_jnp_sin():
    xi = jnp.arange(-5, 6, dtype=jnp.int32)
    yi = jax.jit(fast_sin)(xi)
    assert yi.dtype == jnp.sin(xi).dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(yi), np.sin(np.arange(-5, 6)), atol=TOL, rtol=0)
    assert abs(float(jax.jit(fast_sin)(1.0)) - np.sin(1.0)) < TOL


# ----------------------------------------------------------------------------- selector


def _primitives(f, x):
    # fresh lambda each call: make_jaxpr/jit cache traces per Python function object
    return {e.primitive.name for e in jax.make_jaxpr(lambda v: f(v))(x).jaxpr.eqns}


def test_selector_xla_is_jnp_sin():
    x = jnp.asarray(_grid(3000.0, 10_001))
    set_sine_impl("xla")
    assert resolved_sine_impl() == "xla"
    np.testing.assert_array_equal(np.asarray(sin(x)), np.asarray(jnp.sin(x)))
    # a fresh function object: JAX caches traces per Python function (see trace-time test)
    np.testing.assert_array_equal(
        np.asarray(jax.jit(lambda v: sin(v))(x)), np.asarray(jax.jit(jnp.sin)(x))
    )
    np.testing.assert_array_equal(np.asarray(cos(x)), np.asarray(jnp.cos(x)))
    assert _primitives(sin, x) == {"sin"}


def test_selector_fast_is_fast_sin():
    x = jnp.asarray(_grid(3000.0, 10_001))
    set_sine_impl("fast")
    assert resolved_sine_impl() == "fast"
    np.testing.assert_array_equal(np.asarray(sin(x)), np.asarray(fast_sin(x)))
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda v: sin(v))(x)), np.asarray(_jsin(x)))
    np.testing.assert_array_equal(np.asarray(cos(x)), np.asarray(fast_cos(x)))
    assert "sin" not in _primitives(sin, x)
    assert "custom_jvp_call" in _primitives(sin, x)


def test_selector_auto_follows_backend(monkeypatch):
    set_sine_impl("auto")
    assert jax.default_backend() == "cpu"  # test machine
    assert resolved_sine_impl() == "fast"
    for backend in ("gpu", "tpu", "cuda", "rocm"):
        monkeypatch.setattr(jax, "default_backend", lambda b=backend: b)
        assert resolved_sine_impl() == "xla"
        assert _primitives(sin, jnp.ones(3)) == {"sin"}
    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")
    assert resolved_sine_impl() == "fast"


def test_set_sine_impl_bad_name():
    set_sine_impl("fast")
    with pytest.raises(ValueError, match=r"Unknown sine implementation 'numpy'.*'auto', 'fast', 'xla'"):
        set_sine_impl("numpy")
    with pytest.raises(ValueError, match="expected one of"):
        set_sine_impl(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown sine implementation"):
        with sine_impl("gpu"):
            pass
    assert get_sine_impl() == "fast"  # unchanged after failures
    set_sine_impl(" XLA ")  # case/whitespace tolerant
    assert get_sine_impl() == "xla"


def test_context_manager_restores_and_the_same_jitted_function_follows_it():
    set_sine_impl("fast")
    x = jnp.asarray(_grid(100.0, 1001))
    y_fast, y_xla = np.asarray(_jsin(x)), np.asarray(jnp.sin(x))
    f = jax.jit(lambda v: sin(v))
    np.testing.assert_array_equal(np.asarray(f(x)), y_fast)    # traced (and cached) with "fast"
    with sine_impl("xla"):
        assert get_sine_impl() == "xla"
        np.testing.assert_array_equal(np.asarray(f(x)), y_xla)  # re-traced, not the cached program
    assert get_sine_impl() == "fast"
    np.testing.assert_array_equal(np.asarray(f(x)), y_fast)
    # restored on exceptions as well
    with pytest.raises(RuntimeError), sine_impl("xla"):
        raise RuntimeError("boom")
    assert get_sine_impl() == "fast"


def test_changed_setting_never_reuses_a_stale_compiled_program(monkeypatch):
    """A jitted function (one ``jax.jit`` wrapper, or a new wrapper around the same Python function,
    which JAX's trace cache also served) must run the sine that is selected *now*, however the
    setting changed: ``set_sine_impl``, ``sine_impl`` or ``SPECTRAL_INR_SINE`` + reload.  Before the
    fix the program traced first was silently reused."""
    x = jnp.asarray(_grid(3000.0, 1001))
    y_fast, y_xla = np.asarray(_jsin(x)), np.asarray(jnp.sin(x))
    assert (y_fast != y_xla).any()

    def act(v):
        return sin(v)

    jf = jax.jit(act)
    grad = jax.jit(jax.grad(lambda v: jnp.sum(sin(v))))
    set_sine_impl("xla")
    np.testing.assert_array_equal(np.asarray(jf(x)), y_xla)
    np.testing.assert_array_equal(np.asarray(grad(x)), np.asarray(jax.jit(jnp.cos)(x)))
    set_sine_impl("fast")
    np.testing.assert_array_equal(np.asarray(jf(x)), y_fast)
    np.testing.assert_array_equal(np.asarray(jax.jit(act)(x)), y_fast)
    np.testing.assert_array_equal(np.asarray(grad(x)), np.asarray(jax.jit(fast_cos)(x)))
    monkeypatch.setenv(fs.ENV_VAR, "xla")
    assert reload_sine_impl_from_env() == "xla"
    np.testing.assert_array_equal(np.asarray(jf(x)), y_xla)
    # a model's jitted apply (what the engine compiles) follows too
    from spectral_inr import models

    model = models.Siren(out_features=1, width=8, depth=1)
    pts = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (64, 2)).astype(np.float32))
    params = model.init(jax.random.key(0), pts)
    apply = jax.jit(model.apply)
    out_xla = np.asarray(apply(params, pts))
    set_sine_impl("fast")
    out_fast = np.asarray(apply(params, pts))
    np.testing.assert_array_equal(out_fast, np.asarray(jax.jit(lambda p, v: model.apply(p, v))(params, pts)))
    assert (out_fast != out_xla).any()
    # the documented opt-out keeps the old program (for code that manages its programs itself)
    np.testing.assert_array_equal(np.asarray(jf(x)), y_fast)
    set_sine_impl("xla", clear_caches=False)
    np.testing.assert_array_equal(np.asarray(jf(x)), y_fast)


def test_env_var_reload(monkeypatch):
    monkeypatch.setenv(fs.ENV_VAR, "xla")
    assert reload_sine_impl_from_env() == "xla"
    assert get_sine_impl() == "xla"
    monkeypatch.setenv(fs.ENV_VAR, "fast")
    assert reload_sine_impl_from_env() == "fast"
    monkeypatch.setenv(fs.ENV_VAR, "")
    assert reload_sine_impl_from_env() == "auto"
    monkeypatch.delenv(fs.ENV_VAR)
    assert reload_sine_impl_from_env() == "auto"
    monkeypatch.setenv(fs.ENV_VAR, "sleef")
    with pytest.raises(ValueError, match=r"'sleef'.*SPECTRAL_INR_SINE"):
        reload_sine_impl_from_env()


def test_env_var_read_at_import_subprocess():
    code = (
        "import spectral_inr.ops as o, jax.numpy as jnp, numpy as np\n"
        "x = jnp.linspace(-50, 50, 101)\n"
        "print(o.get_sine_impl(), o.resolved_sine_impl(), "
        "bool((np.asarray(o.sin(x)) == np.asarray(jnp.sin(x))).all()))\n"
    )
    env = {**os.environ, "SPECTRAL_INR_SINE": "xla", "JAX_PLATFORMS": "cpu"}
    out = subprocess.run(
        [sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["xla", "xla", "True"]


def test_public_api_exported():
    for name in ("fast_sin", "fast_cos", "sin", "set_sine_impl", "sine_impl"):
        assert name in ops.__all__ and hasattr(ops, name)


# ----------------------------------------------------------------------------- properties

_f32 = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False, width=32)


@settings(max_examples=300, deadline=None)
@given(_f32)
def test_property_bounded_and_odd(v):
    x = jnp.asarray([v, -v], dtype=jnp.float32)
    s = np.asarray(_jsin(x))
    assert abs(float(s[0])) <= 1.0 + 1e-6
    assert s[1] == -s[0]
    assert abs(float(s[0]) - np.sin(np.float64(np.float32(v)))) < TOL


@settings(max_examples=200, deadline=None)
@given(_f32)
def test_property_pythagoras_and_even_cos(v):
    x = jnp.asarray([v, -v], dtype=jnp.float32)
    s, c = (np.asarray(a, np.float64) for a in jax.jit(fast_sincos)(x))
    assert c[1] == c[0]
    assert abs(s[0] ** 2 + c[0] ** 2 - 1.0) < 4 * TOL
