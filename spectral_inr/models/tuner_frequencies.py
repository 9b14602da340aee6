"""TUNER's integer input frequencies ``k ∈ ℤ^d`` (Novello et al., arXiv 2407.21121).

The first layer samples the spectrum: neuron ``j`` oscillates as
``sin(2π⟨k_j, x⟩/p + φ_j)``.  Three constructions:

* :func:`reference_frequencies` — the authors' Kodak list, built as
  DianaPat/TUNER ``train_mrnet.py`` + ``networks/mrnet.py``
  (``Initializer.initialize_first_layer``) build it: 1-D lists
  ``low = 0..7`` and ``high = 0, 13, …, 156``, each mirrored (``L + (−L)``, so
  0 appears twice), the Cartesian product of each with itself in that order,
  kept where ``x > 0 or (x = 0 and y > 0)``, low block then high block, the
  first ``n − 2`` rows, then the identity rows.  For ``n = 416``: 126 low + 288
  high + 2.  The official ``(x, y)`` is (column, row) (mrnet's
  ``make_grid_coords`` uses ``meshgrid(indexing="xy")``); our coordinates are
  ``(y, x)``, so by default each pair is swapped (``order="yx"``).  Axis
  frequencies and the identity repeat; we keep the repeats (a repeated
  frequency with its own trained phase spans both its sine and cosine).
* :func:`uniform_frequencies` — TUNER's SIREN baseline (``train_siren.py``,
  ``SineLayer.init_periodic_uniform``): ``n`` distinct vectors drawn uniformly
  from the half box ``[0, B] × [−B, B]`` (official (x, y) order).
* :func:`sampled_frequencies` — the paper's recipe for any size: identity
  columns, dense low frequencies ``|k|∞ ≤ l`` (about 70 % of the neurons) and
  sparse high frequencies on a coarse grid up to the bandlimit ``B``, each
  drawn from the half-space (first non-zero coordinate positive) so ``±k`` are
  never both used.  Defaults: ``B = side/6`` (half of the Nyquist limit
  ``side/2``, divided by 3, i.e. 85 for 512 px), ``l = B/3``.

TUNER in N-D (video ``(t, y, x)``, volumes): ``B`` and ``l`` may be one int
per axis, ``B = (B_1, …, B_d)``, ``l_i = max(1, B_i // 3)`` by default, each
axis needing ``0 < l_i < B_i``.  The low band is the box ``|k_i| ≤ l_i ∀i``
(:func:`is_low`; it sets the bound class ``c_low`` of :func:`row_bounds`),
the high shell the points of ``∏_i {0, ±g_i1, …, ±g_im_i = ±B_i}`` outside
that box, and ``|k_i| ≤ B_i`` on every axis.  One int is the same value on
every axis: the box is then ``|k|∞ ≤ l`` and the samples are exactly the
scalar recipe's.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np

from spectral_inr.protocols.tuner import BANDLIMIT_DIVISOR

REFERENCE_LOW = tuple(range(8))                      # train_mrnet.py: init_freqs[0]
REFERENCE_HIGH = tuple(13 * i for i in range(13))    # train_mrnet.py: init_freqs[1] = 0, 13, …, 156
REFERENCE_LOW_LIMIT = 10                             # configs/config_init.yml: block_limits [10]
LOW_FRACTION = 0.7


def default_bandlimit(side: int) -> int:
    """TUNER's bandlimit for an image of ``side`` pixels: ``side // 6``
    (:data:`spectral_inr.protocols.tuner.BANDLIMIT_DIVISOR`)."""
    return max(1, side // BANDLIMIT_DIVISOR)


def default_low_limit(bandlimit):
    """TUNER's low limit ``l = B // 3`` (at least 1) for bandlimit ``B``; per axis for a tuple."""
    if isinstance(bandlimit, (tuple, list)):
        return tuple(default_low_limit(b) for b in bandlimit)
    return max(1, bandlimit // 3)


def reference_frequencies(low=REFERENCE_LOW, high=REFERENCE_HIGH, n: int | None = 416, order: str = "yx",
                          stride: int = 1) -> tuple:
    """The authors' deterministic 2-D list (see module docstring), shape ``(n, 2)``.

    ``order="yx"`` (default) swaps the official ``(x, y)`` pairs to our ``(y, x)``
    coordinates; ``"xy"`` keeps them as the official code stores them.
    ``stride=s`` subsamples the list instead of truncating it: every ``s``-th of
    its first ``n − 2`` rows, then the identity rows (``⌈(n − 2)/s⌉ + 2`` rows) —
    the low and the high block keep their share and their extent (for ``n = 416``,
    ``s = 4``: 32 low + 72 high + 2).
    """
    if order not in ("xy", "yx"):
        raise ValueError(f"order must be 'xy' or 'yx', got {order!r}")
    if stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride}")
    chosen = []
    for base in (list(low), list(high)):
        mirrored = base + [-v for v in base]
        for x, y in itertools.product(mirrored, repeat=2):
            if x > 0 or (x == 0 and y > 0):
                chosen.append((x, y))
    if n is None:
        n = len(chosen) + 2
    if n - 2 > len(chosen):
        raise ValueError(f"the reference list has only {len(chosen) + 2} frequencies, asked for {n}")
    rows = chosen[: n - 2][::stride] + [(1, 0), (0, 1)]
    return tuple((y, x) for x, y in rows) if order == "yx" else tuple(rows)


def uniform_pool(bandlimit: int) -> np.ndarray:
    """The SIREN baseline's candidates ``[0, B] × [−B, B]`` as official ``(x, y)`` rows, shape ``((B+1)(2B+1), 2)``."""
    return np.asarray([(x, y) for x in range(bandlimit + 1) for y in range(-bandlimit, bandlimit + 1)], np.int32)


def uniform_frequencies(n: int, bandlimit: int, *, seed: int = 0, order: str = "yx") -> tuple:
    """TUNER's SIREN baseline: ``n`` distinct ``(x, y)`` drawn uniformly from
    ``[0, B] × [−B, B]`` (like the official sampler, ``(0, 0)`` and both
    ``(0, ±k)`` stay in the pool), returned in ``order`` (default our ``(y, x)``)."""
    if order not in ("xy", "yx"):
        raise ValueError(f"order must be 'xy' or 'yx', got {order!r}")
    pool = [tuple(int(v) for v in k) for k in uniform_pool(bandlimit)]
    if n > len(pool):
        raise ValueError(f"cannot draw {n} distinct frequencies below bandlimit {bandlimit} (at most {len(pool)})")
    idx = np.random.default_rng(seed).choice(len(pool), size=n, replace=False)
    rows = [pool[i] for i in idx]
    return tuple((y, x) for x, y in rows) if order == "yx" else tuple(rows)


def _canonical(k) -> bool:
    """True for the representative of ``±k`` whose first non-zero entry is positive."""
    for v in k:
        if v != 0:
            return v > 0
    return False


def _half_space(values_per_axis):
    """Canonical points of the product ``values_0 × values_1 × …`` (itertools order)."""
    return [k for k in itertools.product(*values_per_axis) if _canonical(k)]


def per_axis(value, dim: int, name: str = "bandlimit") -> tuple:
    """``value`` (one int, or one int per axis) as a ``dim``-tuple of ints."""
    if isinstance(value, (tuple, list, np.ndarray)):
        values = tuple(int(v) for v in value)
        if len(values) != dim:
            raise ValueError(f"{name} has {len(values)} values {values}, need one per axis ({dim})")
        return values
    return (int(value),) * dim


def _dimension(bandlimit, low_limit, dim):
    """``dim``, or the length of a per-axis ``bandlimit``/``low_limit`` (else 2)."""
    if dim is not None:
        return int(dim)
    for v in (bandlimit, low_limit):
        if isinstance(v, (tuple, list, np.ndarray)):
            return len(v)
    return 2


def _show(values: tuple):
    """One number when every axis agrees (the scalar form), else the tuple."""
    return values[0] if len(set(values)) == 1 else values


def _axes(bandlimit, low_limit, dim):
    """``(B, l)`` as per-axis tuples; ``l`` defaults to ``B_i // 3`` per axis."""
    dim = _dimension(bandlimit, low_limit, dim)
    bands = per_axis(bandlimit, dim, "bandlimit")
    lows = (tuple(default_low_limit(b) for b in bands) if low_limit is None
            else per_axis(low_limit, dim, "low_limit"))
    return bands, lows


def _valid(bands, lows) -> bool:
    return all(0 < lo < b for b, lo in zip(bands, lows))


def sampled_frequencies(n: int, bandlimit, low_limit=None, *, dim: int | None = None,
                        low_fraction: float = LOW_FRACTION, seed: int = 0) -> tuple:
    """``n`` integer frequency vectors in ``ℤ^dim`` following TUNER's sampling.

    ``bandlimit`` ``B`` and ``low_limit`` ``l`` are one int (every axis) or one
    int per axis; ``l_i`` defaults to ``max(1, B_i // 3)``; ``dim`` defaults to
    the length of a per-axis value, else 2.  The identity columns come first,
    then ``≈ low_fraction·(n − dim)`` vectors from the low half-box
    ``|k_i| ≤ l_i ∀i`` (identity excluded), then the rest from the coarse grid
    ``∏_i {0, ±g_i1, …, ±g_im_i}`` (``g_im_i = B_i``) outside the low box, with
    ``g_ij = round(l_i + j(B_i − l_i)/m_i)``, ``m_i = min(m, B_i − l_i)`` and ``m``
    the smallest common grid size holding enough points.  Needs
    ``0 < l_i < B_i`` on every axis.  Cached (the arguments are normalised to
    tuples first, so lists are fine).
    """
    bands, lows = _axes(bandlimit, low_limit, dim)
    return _sampled(int(n), bands, lows, float(low_fraction), int(seed))


@functools.lru_cache(maxsize=64)   # pure; recipes rebuild the model for every hp
def _sampled(n: int, bands: tuple, lows: tuple, low_fraction: float, seed: int) -> tuple:
    dim = len(bands)
    if not _valid(bands, lows):
        raise ValueError(f"need 0 < low_limit < bandlimit, got {_show(lows)}, {_show(bands)}")
    if n <= dim:
        raise ValueError(f"need more than {dim} frequencies, got {n}")
    rng = np.random.default_rng(seed)
    identity, low_pool = _low_pool(lows)
    n_low = min(round(low_fraction * (n - dim)), len(low_pool))
    n_high = n - dim - n_low
    high_pool = []
    for m in range(1, max(b - lo for b, lo in zip(bands, lows)) + 1):
        high_pool = _high_pool(bands, lows, m)
        if len(high_pool) >= n_high:
            break
    if len(high_pool) < n_high:
        most = _max_sampled(bands, lows, low_fraction)
        raise ValueError(f"cannot place {n} frequencies below bandlimit {_show(bands)} (low limit {_show(lows)}, "
                         f"{dim}-D): at most {most} fit; ask for ≤ {most} (--width) or raise the bandlimit")

    def pick(pool, count):
        idx = rng.choice(len(pool), size=count, replace=False)
        return [pool[i] for i in sorted(idx)]

    return tuple(identity + pick(low_pool, n_low) + pick(high_pool, n_high))


def _low_pool(lows: tuple):
    """The identity columns, and the canonical points of the low box ``|k_i| ≤ l_i`` without them."""
    dim = len(lows)
    identity = [tuple(int(i == j) for j in range(dim)) for i in range(dim)]
    return identity, [k for k in _half_space([range(-lo, lo + 1) for lo in lows]) if k not in identity]


def _high_grid(band: int, low: int, m: int) -> list:
    """One axis's coarse grid ``{g_1 < … < g_m' = B}`` above ``l`` (``m' = min(m, B − l)``)."""
    m = min(m, band - low)
    return sorted({round(low + j * (band - low) / m) for j in range(1, m + 1)})


def _high_pool(bands: tuple, lows: tuple, m: int):
    """Canonical points of ``∏_i {0, ±g_i}`` outside the low box."""
    values = []
    for band, low in zip(bands, lows):
        grid = _high_grid(band, low, m)
        values.append([0] + grid + [-g for g in grid])
    return [k for k in _half_space(values) if any(abs(v) > lo for v, lo in zip(k, lows))]


def max_sampled_frequencies(bandlimit, low_limit=None, *, dim: int | None = None,
                            low_fraction: float = LOW_FRACTION) -> int:
    """The largest ``n`` :func:`sampled_frequencies` can place below ``bandlimit`` (0 if none).

    Same arguments (one int or one per axis).  The low share
    ``n_low = min(round(low_fraction·(n − dim)), L)`` is fixed by ``n``; the
    rest must fit on the finest high grid (``m_i = B_i − l_i``: every integer in
    ``(l_i, B_i]``, a superset of every coarser grid).  Counted, not enumerated:
    ``L = (∏(2l_i + 1) − 1)/2 − dim`` low and ``H = (∏(2(B_i − l_i) + 1) − 1)/2``
    high half-space points; ``n − dim − n_low`` never decreases with ``n``, so
    the feasible ``n`` are a prefix, found by bisection."""
    bands, lows = _axes(bandlimit, low_limit, dim)
    return _max_sampled(bands, lows, float(low_fraction))


@functools.lru_cache(maxsize=64)
def _max_sampled(bands: tuple, lows: tuple, low_fraction: float) -> int:
    if not _valid(bands, lows):
        return 0
    if not 0.0 <= low_fraction <= 1.0:
        raise ValueError(f"low_fraction must be in [0, 1], got {low_fraction}")
    dim = len(bands)
    n_low_pool = (int(np.prod([2 * lo + 1 for lo in lows], dtype=object)) - 1) // 2 - dim
    n_high_pool = (int(np.prod([2 * (b - lo) + 1 for b, lo in zip(bands, lows)], dtype=object)) - 1) // 2

    def fits(x):   # x = n − dim frequencies after the identity
        return x - min(round(low_fraction * x), n_low_pool) <= n_high_pool

    lo, hi = 0, n_low_pool + n_high_pool     # fits(0); the answer is the largest x ≤ hi that fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return dim + lo if lo > 0 else 0


def is_low(frequencies, low_limit) -> np.ndarray:
    """Boolean mask: ``|k_i| ≤ l_i`` on every axis (TUNER's low band; one ``l`` for all axes
    is ``|k|∞ ≤ l``)."""
    k = np.abs(np.asarray(frequencies))
    lows = per_axis(low_limit, k.shape[-1], "low_limit")
    return np.all(k <= np.asarray(lows), axis=-1)


def row_bounds(frequencies, low_limit, c_low: float, c_high: float) -> np.ndarray:
    """Per-input-row bound ``c_j``: ``c_low`` inside the low box (:func:`is_low`), ``c_high`` outside."""
    return np.where(is_low(frequencies, low_limit), c_low, c_high).astype(np.float32)


__all__ = ["REFERENCE_LOW_LIMIT", "default_bandlimit", "default_low_limit", "is_low", "max_sampled_frequencies",
           "per_axis", "reference_frequencies", "row_bounds", "sampled_frequencies", "uniform_frequencies"]
