"""Fast, accurate float32 sine/cosine in pure ``jax.numpy`` plus a backend-aware selector.

Why this exists
---------------
XLA's CPU lowering of ``jnp.sin`` is slow (on the development machine ~147 ms for
25M float32 values, versus ~32 ms for PyTorch).  In SIREN-type networks the sine,
not the matmuls, then dominates CPU run time.  :func:`fast_sin` / :func:`fast_cos`
are a plain elementwise recipe that XLA fuses into one loop:

Every float32 input is handled; the sine is computed on ``|x|`` and the sign of ``x`` put
back, so ``fast_sin(-x)`` is bitwise ``-fast_sin(x)`` (``-0.0`` included) and ``fast_cos``
is bitwise even, by construction.

1. **Range reduction** (``|x| <= 1e5``, ``FAST_SINE_ACCURATE_RANGE``).  ``k = round(|x| * 2/pi)``
   and ``r = |x| - k*pi/2`` with a 4-constant Cody–Waite split of pi/2
   (``C1 + C2 + C3 + C4``).  ``C1``..``C3`` have at most 8 significant bits and
   ``k <= 63662 < 2**16``, so every product ``k*Ci`` (i <= 3) is exact in float32 and the
   first subtractions are exact as well; the only roundings are in the last two steps,
   giving ``|r_computed - r_exact| <~ 1 ulp(r)``.
2. **Kernels** on ``|r| <= pi/4`` (fit on ``|r| <= 1.01*pi/4`` to absorb the
   rounding of ``x*2/pi``):
   ``sin r ~ r + r^3 (S1 + S2 r^2 + S3 r^4)`` (degree 7) and
   ``cos r ~ 1 - r^2/2 + r^4 (K1 + K2 r^2 + K3 r^4)`` (degree 8).
3. **Quadrant** ``q = k mod 4`` picks the kernel and the sign
   (``sin x = [s, c, -s, -c][q]``, ``cos x = [c, -s, -c, s][q]``).
4. **Large inputs** (``|x| > 1e5``, ``inf``, ``nan``).  Above ``2**16`` the products ``k*Ci``
   stop being exact (before this fallback, eager calls were 3e-2 off at 1e6; jitted,
   ``fast_sin(1e9)`` was 13.2 and ``fast_sin(1e30)`` nan but ``fast_sin(-1e30)`` inf).  Such
   lanes are recomputed with XLA's ``jnp.sin``/``jnp.cos`` (a full Payne–Hanek reduction,
   correct for every float32; clipped to [-1, 1], on ``|x|`` with the sign put back) --
   but only when the array holds one: a ``lax.cond`` on one scalar for the whole array
   (the fast path leaves ``x`` in the sine's slot of such lanes, so one max/min reduction
   of the sine finds them; under ``jax.vmap`` a ``custom_vmap`` rule keeps the predicate
   one scalar for all members, so a sweep does not turn the ``cond`` into a select that
   computes both sines).  The common case therefore pays one read of the sine, a copy of
   it (XLA copies the operand the ``cond``'s identity branch passes through) and a stored
   cosine (which XLA used to recompute inside the backward pass; it cannot see through the
   ``cond``).  Measured with ``python -m benchmarks.sine_step`` (SIREN 3x256 train step at
   128x128 against the pre-fallback sine, round-robin; 2-core AMD EPYC Zen 3 shared with
   other jobs, load 6-7; two runs of 21/25 rounds): +2.6 / +3.9 % median wall time, +4.6 /
   +5.3 % CPU time (4 vmapped members: +2.9 % / +4.9 %; an earlier run of the same check at
   load 5: +7.5 % / +8 %); XLA's ``jnp.sin`` costs +43 to +55 %.  Alternatives tried
   (a max over ``|x|``, two reductions, ``any``, a custom reducer, an optimization barrier,
   the fast path inside the branches, a ``while_loop``, separate sine/cosine checks with a
   ``cond`` on the tangent) were no faster or slower.  Under ``jit`` with the array sharded
   over several devices the reduction is an all-reduce.  ``inf``/``nan`` give ``nan``.

Accuracy against float64 ``np.sin``/``np.cos`` of the same float32 inputs, measured by
``python -m benchmarks.sine_accuracy`` (2M inputs per range, uniform in bit pattern,
both signs, plus the float32 nearest to multiples of pi/2 below 2**23 and 8 neighbours
each; AMD EPYC, jax 0.10.2), max absolute error (max ulps of the result for normal
results), jitted and eager alike except where two values are given (jit/eager):

=================  ========================  ==========================  ================
``|x|``            fast_sin                  fast_cos                    ``jnp.sin`` (XLA)
=================  ========================  ==========================  ================
[0, pi/4]          3.8e-8 / 4.1e-8 (0.6/0.7) 7.1e-8 (1.2)                3.3e-8 (0.6)
(pi/4, 100]        1.0e-7 (2.2)              1.1e-7 (2.5)                3.3e-8 (0.6)
(100, 1e4]         1.0e-7 (20 / 30)          1.1e-7 / 1.15e-7 (20 / 30)  3.3e-8 (0.6)
(1e4, 1e5]         1.0e-7 (108 / 132)        1.1e-7 (938 / 1813)         3.3e-8 (0.6)
(1e5, 2**24]       3.3e-8 (0.6)              3.3e-8 (0.6)                3.3e-8 (0.6)
(2**24, 1e30]      3.3e-8 (0.6)              3.2e-8 (0.6)                3.3e-8 (0.6)
(1e30, 3.4e38]     3.3e-8 (0.6)              3.3e-8 (0.6)                3.3e-8 (0.6)
=================  ========================  ==========================  ================

i.e. the absolute error is below one float32 ulp of 1.0 (1.19e-7) for every finite
float32 (``FAST_SINE_MAX_ABS_ERR = 1.5e-7`` is the bound the tests enforce, whole range,
eager and jitted); it is an *absolute* bound, so next to a multiple of pi/2, where the
result is tiny, the error is many ulps of the result (the table's ulps).  XLA's
``jnp.sin`` is at ~0.5 ulp but ~5x slower on CPU.  Under ``jit`` XLA:CPU contracts
``x - k*C`` into FMAs, which changes some results by an ulp but not the bound.
Subnormal inputs and results are flushed to zero by XLA on CPU (error < 1.2e-38).
The tests: ``tests/test_fast_sine.py`` (grids, exhaustive slices, the fast range) and
``tests/test_fast_sine_range.py`` (hypothesis over all float32, ``inf``/``nan``, eager and
jitted; dense sweeps around multiples of pi/2 and at the fallback threshold; oddness,
bound, derivatives).

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
consulted **at trace time**; it is not part of JAX's cache keys, and JAX caches traces
per *Python function object*, even across separate ``jax.jit(f)`` wrappers.  So that no
jitted function silently keeps a program traced with the old choice, every *change*
of the setting (all three ways) calls ``jax.clear_caches()``: the next call of any
jitted function re-traces and recompiles with the new choice (pass
``clear_caches=False`` to opt out).  Explicitly compiled programs
(``jax.jit(f).lower(...).compile()``) keep what they were lowered with.

What ran is recorded: :func:`resolved_sine_impl` (``"fast"``/``"xla"``) is the ``sine``
entry of :func:`spectral_inr.environment.environment` (in the CLI's ``metrics.json``
and every experiment's results file) and of each sweep checkpoint's record (written
by :class:`spectral_inr.train.SweepCheckpointer`; not compared on resume, so a run
may be resumed on another backend).

The global is process-wide and not thread-local.  ``"auto"`` looks at
``jax.default_backend()``, not at where a particular computation is placed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "ENV_VAR",
    "FAST_SINE_ACCURATE_RANGE",
    "FAST_SINE_MAX_ABS_ERR",
    "SINE_IMPLS",
    "cos",
    "fast_cos",
    "fast_sin",
    "fast_sincos",
    "get_sine_impl",
    "reload_sine_impl_from_env",
    "resolved_sine_impl",
    "set_sine_impl",
    "sin",
    "sine_impl",
]

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

#: Max |error| of fast_sin/fast_cos (float32) for every float32 input (measured 1.2e-7 in the
#: polynomial range, 3.3e-8 above it; enforced by the tests).
FAST_SINE_MAX_ABS_ERR = 1.5e-7
#: Range (|x|) of the fast path, where the Cody–Waite reduction is (almost) exact; larger
#: inputs fall back to XLA's sine (see the module docstring).
FAST_SINE_ACCURATE_RANGE = 1.0e5

_FAST_LIMIT = np.float32(FAST_SINE_ACCURATE_RANGE)
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


def _reduced_sincos(a: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(sin a, cos a)`` up to the quadrant's sign for ``0 <= a <= FAST_SINE_ACCURATE_RANGE``
    (garbage, possibly non-finite, above it), and the quadrant ``q = round(a*2/pi)`` as int32."""
    f32 = jnp.float32
    k = jnp.round(a * _TWO_OVER_PI)  # k >= 0 and <= 63662 < 2**16 in the accurate range
    r = a - k * _PIO2_C1
    r = r - k * _PIO2_C2
    r = r - k * _PIO2_C3
    r = r - k * _PIO2_C4
    z = r * r
    ps = r + (r * z) * (_S1 + z * (_S2 + z * _S3))
    pc = (f32(1.0) - f32(0.5) * z) + (z * z) * (_K1 + z * (_K2 + z * _K3))
    # Above the range k may exceed int32 (the conversion saturates): those lanes are replaced.
    return ps, pc, k.astype(jnp.int32)


def _xor_sign(v: jax.Array, bits: jax.Array) -> jax.Array:
    u = jax.lax.bitcast_convert_type(v, jnp.uint32) ^ bits.astype(jnp.uint32)
    return jax.lax.bitcast_convert_type(u, jnp.float32)


def _sign_bit(x: jax.Array) -> jax.Array:
    return jax.lax.bitcast_convert_type(x, jnp.uint32) & jnp.uint32(0x80000000)


def _fast_sincos(x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The fast path, elementwise: ``(sin x, cos x, ok)``, right where ``ok`` (``|x| <=
    FAST_SINE_ACCURATE_RANGE``), garbage (possibly non-finite) elsewhere."""
    a = jnp.abs(x)
    ps, pc, q = _reduced_sincos(a)
    swap = (q & 1) != 0
    s = jnp.where(swap, pc, ps)
    c = jnp.where(swap, ps, pc)
    # sin a = [s, c, -s, -c][q], cos a = [c, -s, -c, s][q]:
    # flip the sign bit of sin when bit 1 of q is set, of cos when bit 1 of (q+1) is set;
    # sin x = sign(x) * sin |x| (exactly odd, -0.0 included), cos x = cos |x| (exactly even).
    s = _xor_sign(s, jnp.left_shift(q & 2, 30).astype(jnp.uint32) ^ _sign_bit(x))
    c = _xor_sign(c, jnp.left_shift((q + 1) & 2, 30))
    return s, c, a <= _FAST_LIMIT


def _fix_large(s: jax.Array, c: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Replace the lanes the fast path left to us (``s`` holds ``x`` there: ``|x| >
    FAST_SINE_ACCURATE_RANGE``, inf or nan) by XLA's ``sin``/``cos`` (a full Payne–Hanek
    reduction, right for every float32), on ``|x|`` with the sign put back (exactly odd),
    clipped to [-1, 1]."""
    big = ~(jnp.abs(s) <= 2.0)
    a = jnp.abs(s)
    s_big = _xor_sign(jnp.clip(jnp.sin(a), -1.0, 1.0), _sign_bit(s))
    return jnp.where(big, s_big, s), jnp.where(big, jnp.clip(jnp.cos(a), -1.0, 1.0), c)


@jax.custom_batching.custom_vmap
def _sincos_f32_impl(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(sin x, cos x) for float32 ``x``; no custom derivative (see ``_sincos_f32``).

    The fast path on every lane, then -- only if some lane is outside its range --
    :func:`_fix_large`: one ``lax.cond`` on one scalar, so the common case pays one
    read of the sine (its max and min in one reduction), not a second sine."""
    s, c, ok = _fast_sincos(x)
    # Lanes the fast path gave up on carry x itself (|x| > 1e5, inf or nan) in the sine's slot
    # to _fix_large; every other lane has |s| <= 1.  One variadic reduction reads the sine,
    # which is in memory anyway (a max over |x| would first write |x| out).
    s = jnp.where(ok, s, x)
    hi, lo = jax.lax.reduce((s, s), (np.float32(-np.inf), np.float32(np.inf)),
                            lambda a, b: (jnp.maximum(a[0], b[0]), jnp.minimum(a[1], b[1])),
                            tuple(range(s.ndim)))
    any_big = ~((hi <= 2.0) & (lo >= -2.0))   # nan compares false: a nan lane counts as big
    return jax.lax.cond(any_big, _fix_large, lambda s_, c_: (s_, c_), s, c)


@_sincos_f32_impl.def_vmap
def _sincos_f32_impl_vmap(axis_size, in_batched, x):
    # Elementwise, so a batched call is the same call on the whole array: one scalar predicate
    # for all members (jax.vmap would otherwise turn the lax.cond into a select that always
    # computes both branches, i.e. XLA's sine everywhere).
    del axis_size, in_batched
    return _sincos_f32_impl(x), (True, True)


@jax.custom_jvp
def _sincos_f32(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    return _sincos_f32_impl(x)


@_sincos_f32.defjvp
def _sincos_f32_jvp(primals, tangents):
    (x,) = primals
    (t,) = tangents
    # Calls the custom_jvp function (not the impl) so that higher-order derivatives
    # go through this rule again.  One range reduction (and one range check) serves value
    # and tangent: the derivative gets the same fallback as the value.
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
    1.0e-7 (measured) for ``|x| <= 1e5`` and 3.3e-8 above (XLA's sine, only computed
    when some ``|x| > 1e5``); the tests enforce ``FAST_SINE_MAX_ABS_ERR = 1.5e-7`` for
    every float32.  ``inf``/``nan`` give ``nan``.  Exactly odd, bitwise:
    ``fast_sin(-x) == -fast_sin(x)`` (``-0.0`` included); ``|fast_sin(x)| <= 1``.
    float64/complex: ``jnp.sin(x)`` exactly.  float16/bfloat16: computed in float32.

    Differentiable to any order via a ``custom_jvp`` (d/dx = :func:`fast_cos` of the
    same argument, reusing the range reduction).
    """
    return _fast_or_exact(x, 0, jnp.sin)


def fast_cos(x) -> jax.Array:
    """Elementwise cosine; fast polynomial path for float32.

    float32: max abs error 1.2e-7 (measured) for ``|x| <= 1e5``, 3.3e-8 above (bound
    ``FAST_SINE_MAX_ABS_ERR = 1.5e-7`` for every float32; see module docstring).  Exactly
    even, ``|fast_cos(x)| <= 1``; ``inf``/``nan`` give ``nan``.
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


def _set(new: str, clear_caches: bool) -> None:
    global _impl
    changed = new != _impl
    _impl = new
    if clear_caches and changed:
        # The choice is read at trace time and is not part of JAX's cache keys: a function
        # traced before the change (jax.jit caches traces per Python function object, also
        # across new jax.jit wrappers) would silently keep the old sine.  Dropping every
        # trace and compiled program makes the next call re-trace with the new choice.
        jax.clear_caches()


def set_sine_impl(name: str, *, clear_caches: bool = True) -> None:
    """Select the implementation used by :func:`sin`/:func:`cos`.

    ``name`` is ``"auto"`` (fast on CPU backend, XLA elsewhere), ``"fast"`` or
    ``"xla"`` (case-insensitive).  The choice is read at trace time; when it changes,
    ``jax.clear_caches()`` is called so that no jitted function keeps a program traced
    with the old choice (each is re-traced and recompiled on its next call).
    ``clear_caches=False`` skips that (then functions already traced keep their
    implementation -- only for code that manages its compiled programs itself).
    Programs compiled explicitly (``jax.jit(f).lower(...).compile()``) are objects of
    their own and keep the sine they were lowered with.  Raises ``ValueError`` for any
    other name.
    """
    _set(_validate(name, "set_sine_impl"), clear_caches)


def get_sine_impl() -> str:
    """The configured setting (``"auto"``, ``"fast"`` or ``"xla"``)."""
    return _impl


def resolved_sine_impl() -> str:
    """What :func:`sin` would use if traced now: ``"fast"`` or ``"xla"``."""
    if _impl == "auto":
        return "fast" if jax.default_backend() == "cpu" else "xla"
    return _impl


@contextlib.contextmanager
def sine_impl(name: str, *, clear_caches: bool = True) -> Iterator[None]:
    """Temporarily select an implementation (restores the previous one on exit).

    Like :func:`set_sine_impl` on entry and on exit: jitted functions called inside the
    block use ``name``, and after it the previous choice again (caches are cleared at
    each change unless ``clear_caches=False``).
    """
    new = _validate(name, "sine_impl")
    old = _impl
    _set(new, clear_caches)
    try:
        yield
    finally:
        _set(old, clear_caches)


def reload_sine_impl_from_env(*, clear_caches: bool = True) -> str:
    """(Re-)read ``SPECTRAL_INR_SINE`` (unset/empty means ``"auto"``); returns the setting.

    A changed setting clears JAX's caches as in :func:`set_sine_impl`.  Raises
    ``ValueError`` if the variable holds an unknown name (the setting is then unchanged).
    """
    raw = os.environ.get(ENV_VAR, "")
    _set("auto" if raw.strip() == "" else _validate(raw, f"environment variable {ENV_VAR}"), clear_caches)
    return _impl


def sin(x) -> jax.Array:
    """The sine used by the library's activations (see module docstring for the policy)."""
    return fast_sin(x) if resolved_sine_impl() == "fast" else jnp.sin(x)


def cos(x) -> jax.Array:
    """The cosine counterpart of :func:`sin` (same selection)."""
    return fast_cos(x) if resolved_sine_impl() == "fast" else jnp.cos(x)


reload_sine_impl_from_env(clear_caches=False)   # at import nothing was traced with our sine yet
