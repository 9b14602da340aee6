"""Fast, accurate float32 sine/cosine in pure ``jax.numpy`` plus a backend-aware selector.

Why this exists
---------------
XLA's CPU lowering of ``jnp.sin`` is slow (on the development machine ~147 ms for
25M float32 values, versus ~32 ms for PyTorch).  In SIREN-type networks the sine,
not the matmuls, then dominates CPU run time.  :func:`fast_sin` / :func:`fast_cos`
are a plain elementwise recipe that XLA fuses into one loop:

1. **Range reduction.**  ``k = round(x * 2/pi)`` and ``r = x - k*pi/2`` with a
   4-constant Cody–Waite split of pi/2 (``C1 + C2 + C3 + C4``).  ``C1``..``C3`` have
   at most 8 significant bits, so for ``|k| <= 2**16`` (``|x| <~ 1.0e5``) every
   product ``k*Ci`` (i <= 3) is exact in float32 and the first subtractions are
   exact as well; the only roundings are in the last two steps, giving
   ``|r_computed - r_exact| <~ 1 ulp(r)``.
2. **Kernels** on ``|r| <= pi/4`` (fit on ``|r| <= 1.01*pi/4`` to absorb the
   rounding of ``x*2/pi``):
   ``sin r ~ r + r^3 (S1 + S2 r^2 + S3 r^4)`` (degree 7) and
   ``cos r ~ 1 - r^2/2 + r^4 (K1 + K2 r^2 + K3 r^4)`` (degree 8).
3. **Quadrant** ``q = k mod 4`` picks the kernel and the sign
   (``sin x = [s, c, -s, -c][q]``, ``cos x = [c, -s, -c, s][q]``).

Accuracy (measured against float64 ``np.sin``/``np.cos`` of the same float32
inputs on this x86-64 CPU; the checks live in ``tests/test_fast_sine.py``):

==========================================  ====================  ====================
inputs                                      max |fast_sin - sin|  max |fast_cos - cos|
==========================================  ====================  ====================
2M-point grid on ``[-pi, pi]``               8.4e-8                9.5e-8
2M-point grid on ``[-100, 100]``             1.0e-7                1.1e-7
2M-point grid on ``[-6000, 6000]``           1.0e-7                1.1e-7
2M-point grid on ``[-1e4, 1e4]``             9.9e-8                1.1e-7
4M uniform random, ``|x| <= 1e5``            1.0e-7                1.1e-7
every float32 in ``[65536, 1e5]`` (+/-)      1.0e-7                1.1e-7
==========================================  ====================  ====================

i.e. below one float32 ulp of 1.0 (1.19e-7) for ``|x| <= 1e5``
(``FAST_SINE_MAX_ABS_ERR = 1.5e-7`` is the bound the tests enforce).  For
comparison XLA's ``jnp.sin`` is at 3.3e-8 (~0.5 ulp) but ~5x slower on CPU.  The numbers hold both eagerly
and under ``jit``; under ``jit`` XLA:CPU contracts ``x - k*C`` into FMAs, which
changes some results by an ulp but not the bound.
Beyond ``|x| ~ 1e5`` (``|k| > 2**16``) the products ``k*Ci`` stop being exact and
the error grows: without FMA contraction (eager) it is ~3e-2 at ``|x| = 1e6``;
jitted (FMA) it stays ~1e-7 up to ~1e6 and reaches ~3e-6 at 4e6 and ~1e-4 at 1e7.
No accuracy is promised there (the float32 input spacing at 1e6 is already
0.06, so the argument itself is that uncertain).  ``inf``/``nan`` give ``nan``.
Signed zero is not preserved (``fast_sin(-0.0) == +0.0``).

Derivatives
-----------
Both functions are built on one ``jax.custom_jvp`` primitive,
``_sincos_f32(x) -> (sin x, cos x)``, whose JVP rule is
``(ds, dc) = (cos x * t, -sin x * t)`` evaluated with the *same* range reduction.
The rule itself calls ``_sincos_f32``, so every derivative of any order
(``jax.grad(jax.grad(fast_sin))``, hessians, gradient losses) is again
``+-fast_sin``/``+-fast_cos`` of ``x`` -- accurate to the same bound -- rather
than a derivative of the polynomial.

Dtypes
------
Only float32 is approximated.  float16/bfloat16 are computed in float32 and cast
back; float64 (and complex) inputs go straight to ``jnp.sin``/``jnp.cos``;
integer inputs are promoted like ``jnp.sin`` does.

Selector
--------
:func:`sin` / :func:`cos` are what the library's activations call.  Policy:

* ``"auto"`` (default): ``fast_sin`` when ``jax.default_backend() == "cpu"``,
  ``jnp.sin`` (XLA's own, which is fast) on GPU/TPU.
* ``"fast"``: always :func:`fast_sin`.
* ``"xla"``: always ``jnp.sin``.

Choose with :func:`set_sine_impl`, the context manager :func:`sine_impl`, or the
environment variable ``SPECTRAL_INR_SINE`` (read at import; call
:func:`reload_sine_impl_from_env` to re-read it).  The choice is a Python global
consulted **at trace time**; it is not part of JAX's cache key.  Consequences:

* a function that was already traced keeps the implementation it was traced with;
* JAX caches traces per *Python function object* (and argument shapes/dtypes),
  even across separate ``jax.jit(f)`` wrappers -- re-wrapping the same ``f`` in
  ``jax.jit`` after switching is **not** enough.  Either trace a new function
  object (e.g. a fresh closure / ``functools.partial``), or pass
  ``clear_caches=True`` to :func:`set_sine_impl`/:func:`sine_impl`, which calls
  ``jax.clear_caches()`` (everything is recompiled on next use).

The global is process-wide and not thread-local.  ``"auto"`` looks at
``jax.default_backend()``, not at where a particular computation is placed.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "fast_sin",
    "fast_cos",
    "fast_sincos",
    "sin",
    "cos",
    "set_sine_impl",
    "get_sine_impl",
    "resolved_sine_impl",
    "sine_impl",
    "reload_sine_impl_from_env",
    "SINE_IMPLS",
    "ENV_VAR",
    "FAST_SINE_MAX_ABS_ERR",
    "FAST_SINE_ACCURATE_RANGE",
]

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

#: Max |error| of fast_sin/fast_cos (float32) for ``|x| <= FAST_SINE_ACCURATE_RANGE``
#: (measured 1.1e-7; enforced by the tests).
FAST_SINE_MAX_ABS_ERR = 1.5e-7
#: Range (|x|) in which the Cody–Waite reduction is (almost) exact.
FAST_SINE_ACCURATE_RANGE = 1.0e5

_TWO_OVER_PI = np.float32(0.63661975)  # float32(2/pi)

# Cody–Waite split of pi/2, derived with exact rational arithmetic from a 60-digit
# decimal expansion of pi: C1, C2, C3 are pi/2 - (previous constants) truncated to
# 8 significant bits, C4 is the remainder rounded to float32.
#   C1 = 0x1.92p+0, C2 = 0x1.fap-12, C3 = 0x1.54p-20, C4 = 0x1.10b462p-30
# |pi/2 - (C1+C2+C3+C4)| ~ 5e-17.  With |k| <= 2**16, k*C1, k*C2, k*C3 are exact.
_PIO2_C1 = np.float32(1.5703125)
_PIO2_C2 = np.float32(4.8255920410156250e-04)
_PIO2_C3 = np.float32(1.2665987014770508e-06)
_PIO2_C4 = np.float32(9.9209362947807919e-10)

# Kernel coefficients: near-minimax (absolute error) fits on |r| <= 1.01*pi/4,
# obtained in float64 with numpy by Lawson's iteratively-reweighted least squares
# on a 20001-point grid, for
#     (sin r - r)          ~ r^3 * (S1 + S2 z + S3 z^2),            z = r^2
#     (cos r - 1 + z/2)    ~ z^2 * (K1 + K2 z + K3 z^2)
# then rounded to float32 (hex: S = -0x1.55553ep-3, 0x1.11053ep-7, -0x1.98b56ep-13;
# K = 0x1.55554ap-5, -0x1.6c0c22p-10, 0x1.99e33ap-16).  Max kernel error with the float32 coefficients
# (evaluated in float64): 3.6e-9 (sin), 1.3e-10 (cos) -- far below float32
# rounding of the result (~6e-8), so degree 7/8 suffices (degree 9/10 does not
# help in float32).  For comparison, Taylor degree 7 would be 3.1e-7 off at pi/4.
_S1 = np.float32(-0.1666665)
_S2 = np.float32(0.008331924)
_S3 = np.float32(-0.0001948875)
_K1 = np.float32(0.041666646)
_K2 = np.float32(-0.0013887306)
_K3 = np.float32(2.4431205e-05)


# ---------------------------------------------------------------------------
# Core float32 kernel
# ---------------------------------------------------------------------------


def _sincos_f32_impl(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(sin x, cos x) for float32 ``x``; no custom derivative (see ``_sincos_f32``)."""
    f32 = jnp.float32
    k = jnp.round(x * _TWO_OVER_PI)  # round-half-even: symmetric, so sin stays odd
    r = x - k * _PIO2_C1
    r = r - k * _PIO2_C2
    r = r - k * _PIO2_C3
    r = r - k * _PIO2_C4
    z = r * r

    ps = r + (r * z) * (_S1 + z * (_S2 + z * _S3))
    pc = (f32(1.0) - f32(0.5) * z) + (z * z) * (_K1 + z * (_K2 + z * _K3))

    # Quadrant.  The float->int conversion saturates in XLA for huge |x|, which only
    # matters far outside the accurate range.
    q = k.astype(jnp.int32)
    swap = (q & 1) != 0
    s = jnp.where(swap, pc, ps)
    c = jnp.where(swap, ps, pc)
    # sin x = [s, c, -s, -c][q], cos x = [c, -s, -c, s][q]:
    # flip the sign bit of sin when bit 1 of q is set, of cos when bit 1 of (q+1) is set.
    sign_s = jnp.left_shift(q & 2, 30).astype(jnp.uint32)
    sign_c = jnp.left_shift((q + 1) & 2, 30).astype(jnp.uint32)
    s = jax.lax.bitcast_convert_type(
        jax.lax.bitcast_convert_type(s, jnp.uint32) ^ sign_s, f32
    )
    c = jax.lax.bitcast_convert_type(
        jax.lax.bitcast_convert_type(c, jnp.uint32) ^ sign_c, f32
    )
    return s, c


@jax.custom_jvp
def _sincos_f32(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return _sincos_f32_impl(x)


@_sincos_f32.defjvp
def _sincos_f32_jvp(primals, tangents):
    (x,) = primals
    (t,) = tangents
    # Calls the custom_jvp function (not the impl) so that higher-order derivatives
    # go through this rule again.  One range reduction serves value and tangent.
    s, c = _sincos_f32(x)
    return (s, c), (c * t, -s * t)


# ---------------------------------------------------------------------------
# Public fast functions
# ---------------------------------------------------------------------------

_LOW_PRECISION = (jnp.dtype(jnp.float16), jnp.dtype(jnp.bfloat16))


def _as_inexact(x) -> jax.Array:
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        # Same promotion jnp.sin applies to integers/bools: the default float dtype.
        x = x.astype(jnp.result_type(x.dtype, float))
    return x


def fast_sincos(x) -> tuple[jax.Array, jax.Array]:
    """``(sin x, cos x)`` sharing one range reduction (float32 fast path).

    Non-float32 dtypes follow the same rules as :func:`fast_sin`.
    """
    x = _as_inexact(x)
    if x.dtype == jnp.float32:
        return _sincos_f32(x)
    if x.dtype in _LOW_PRECISION:
        s, c = _sincos_f32(x.astype(jnp.float32))
        return s.astype(x.dtype), c.astype(x.dtype)
    return jnp.sin(x), jnp.cos(x)


def _fast_or_exact(x, which: int, exact):
    """Output ``which`` of the float32 sincos kernel (float16/bfloat16 via float32);
    ``exact`` (``jnp.sin``/``jnp.cos``) for float64 and complex."""
    x = _as_inexact(x)
    if x.dtype == jnp.float32:
        return _sincos_f32(x)[which]
    if x.dtype in _LOW_PRECISION:
        return _sincos_f32(x.astype(jnp.float32))[which].astype(x.dtype)
    return exact(x)


def fast_sin(x) -> jax.Array:
    """Elementwise sine; fast polynomial path for float32.

    float32: max abs error vs. the float64 sine of the float32 input is
    1.0e-7 (measured) for ``|x| <= 1e5`` (bound enforced by the tests:
    ``FAST_SINE_MAX_ABS_ERR = 1.5e-7``); no accuracy promised beyond 1e5.
    Exactly odd: ``fast_sin(-x) == -fast_sin(x)``; ``|fast_sin(x)| <= 1``.
    float64/complex: ``jnp.sin(x)`` exactly.  float16/bfloat16: computed in float32.

    Differentiable to any order via a ``custom_jvp`` (d/dx = :func:`fast_cos` of the
    same argument, reusing the range reduction).
    """
    return _fast_or_exact(x, 0, jnp.sin)


def fast_cos(x) -> jax.Array:
    """Elementwise cosine; fast polynomial path for float32.

    float32: max abs error 1.1e-7 (measured) for ``|x| <= 1e5`` (bound
    ``FAST_SINE_MAX_ABS_ERR = 1.5e-7``; see module docstring).  Exactly even.
    float64/complex: ``jnp.cos(x)`` exactly.  Differentiable to any order.
    """
    return _fast_or_exact(x, 1, jnp.cos)


# ---------------------------------------------------------------------------
# Selector
# ---------------------------------------------------------------------------

ENV_VAR = "SPECTRAL_INR_SINE"
SINE_IMPLS = ("auto", "fast", "xla")

_impl: str = "auto"


def _validate(name, source: str) -> str:
    if not isinstance(name, str) or name.strip().lower() not in SINE_IMPLS:
        raise ValueError(
            f"Unknown sine implementation {name!r} (from {source}); "
            f"expected one of {', '.join(repr(s) for s in SINE_IMPLS)}."
        )
    return name.strip().lower()


def set_sine_impl(name: str, *, clear_caches: bool = False) -> None:
    """Select the implementation used by :func:`sin`/:func:`cos`.

    ``name`` is ``"auto"`` (fast on CPU backend, XLA elsewhere), ``"fast"`` or
    ``"xla"`` (case-insensitive).  Read at trace time: functions already traced
    (JAX caches per Python function object, across ``jax.jit`` wrappers) keep
    their implementation; ``clear_caches=True`` calls ``jax.clear_caches()`` when
    the setting changes so that they are re-traced.  Raises ``ValueError`` for
    any other name.
    """
    global _impl
    new = _validate(name, "set_sine_impl")
    changed = new != _impl
    _impl = new
    if clear_caches and changed:
        jax.clear_caches()


def get_sine_impl() -> str:
    """The configured setting (``"auto"``, ``"fast"`` or ``"xla"``)."""
    return _impl


def resolved_sine_impl() -> str:
    """What :func:`sin` would use if traced now: ``"fast"`` or ``"xla"``."""
    if _impl == "auto":
        return "fast" if jax.default_backend() == "cpu" else "xla"
    return _impl


@contextlib.contextmanager
def sine_impl(name: str, *, clear_caches: bool = False) -> Iterator[None]:
    """Temporarily select an implementation (restores the previous one on exit).

    Only affects functions *traced* inside the block (see :func:`set_sine_impl`
    for ``clear_caches``, applied on entry and on exit).
    """
    new = _validate(name, "sine_impl")
    old = _impl
    set_sine_impl(new, clear_caches=clear_caches)
    try:
        yield
    finally:
        set_sine_impl(old, clear_caches=clear_caches)


def reload_sine_impl_from_env() -> str:
    """(Re-)read ``SPECTRAL_INR_SINE`` (unset/empty means ``"auto"``); returns the setting.

    Raises ``ValueError`` if the variable holds an unknown name.
    """
    global _impl
    raw = os.environ.get(ENV_VAR, "")
    _impl = "auto" if raw.strip() == "" else _validate(raw, f"environment variable {ENV_VAR}")
    return _impl


def sin(x) -> jax.Array:
    """The sine used by the library's activations (see module docstring for the policy)."""
    return fast_sin(x) if resolved_sine_impl() == "fast" else jnp.sin(x)


def cos(x) -> jax.Array:
    """The cosine counterpart of :func:`sin` (same selection)."""
    return fast_cos(x) if resolved_sine_impl() == "fast" else jnp.cos(x)


reload_sine_impl_from_env()
