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


def default_low_limit(bandlimit: int) -> int:
    """TUNER's low limit ``l = B // 3`` (at least 1) for bandlimit ``B``."""
    return max(1, bandlimit // 3)


def reference_frequencies(low=REFERENCE_LOW, high=REFERENCE_HIGH, n: int | None = 416, order: str = "yx") -> tuple:
    """The authors' deterministic 2-D list (see module docstring), shape ``(n, 2)``.

    ``order="yx"`` (default) swaps the official ``(x, y)`` pairs to our ``(y, x)``
    coordinates; ``"xy"`` keeps them as the official code stores them.
    """
    if order not in ("xy", "yx"):
        raise ValueError(f"order must be 'xy' or 'yx', got {order!r}")
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
    rows = chosen[: n - 2] + [(1, 0), (0, 1)]
    return tuple((y, x) for x, y in rows) if order == "yx" else tuple(rows)


def uniform_frequencies(n: int, bandlimit: int, *, seed: int = 0, order: str = "yx") -> tuple:
    """TUNER's SIREN baseline: ``n`` distinct ``(x, y)`` drawn uniformly from
    ``[0, B] × [−B, B]`` (like the official sampler, ``(0, 0)`` and both
    ``(0, ±k)`` stay in the pool), returned in ``order`` (default our ``(y, x)``)."""
    if order not in ("xy", "yx"):
        raise ValueError(f"order must be 'xy' or 'yx', got {order!r}")
    pool = [(x, y) for x in range(bandlimit + 1) for y in range(-bandlimit, bandlimit + 1)]
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


def _half_space(values, dim):
    return [k for k in itertools.product(values, repeat=dim) if _canonical(k)]


@functools.lru_cache(maxsize=64)   # pure; recipes rebuild the model for every hp
def sampled_frequencies(n: int, bandlimit: int, low_limit: int | None = None, *, dim: int = 2,
                        low_fraction: float = LOW_FRACTION, seed: int = 0) -> tuple:
    """``n`` integer frequency vectors in ``ℤ^dim`` following TUNER's sampling.

    The identity columns come first, then ``≈ low_fraction·(n − dim)`` vectors
    from the low half-box ``|k|∞ ≤ low_limit``, then the rest from a coarse grid
    ``{0, ±g_1, …, ±g_m}^dim`` with ``g_m = bandlimit`` and ``|k|∞ > low_limit``,
    where ``m`` is the smallest grid size holding enough points.
    """
    if low_limit is None:
        low_limit = default_low_limit(bandlimit)
    if not (0 < low_limit < bandlimit):
        raise ValueError(f"need 0 < low_limit < bandlimit, got {low_limit}, {bandlimit}")
    if n <= dim:
        raise ValueError(f"need more than {dim} frequencies, got {n}")
    rng = np.random.default_rng(seed)
    identity, low_pool = _low_pool(low_limit, dim)
    n_low = min(int(round(low_fraction * (n - dim))), len(low_pool))
    n_high = n - dim - n_low
    high_pool = []
    for m in range(1, bandlimit - low_limit + 1):
        high_pool = _high_pool(bandlimit, low_limit, m, dim)
        if len(high_pool) >= n_high:
            break
    if len(high_pool) < n_high:
        most = max_sampled_frequencies(bandlimit, low_limit, dim=dim, low_fraction=low_fraction)
        raise ValueError(f"cannot place {n} frequencies below bandlimit {bandlimit} (low limit {low_limit}, "
                         f"{dim}-D): at most {most} fit; ask for ≤ {most} (--width) or raise the bandlimit")

    def pick(pool, count):
        idx = rng.choice(len(pool), size=count, replace=False)
        return [pool[i] for i in sorted(idx)]

    return tuple(identity + pick(low_pool, n_low) + pick(high_pool, n_high))


def _low_pool(low_limit: int, dim: int):
    identity = [tuple(int(i == j) for j in range(dim)) for i in range(dim)]
    return identity, [k for k in _half_space(range(-low_limit, low_limit + 1), dim) if k not in identity]


def _high_pool(bandlimit: int, low_limit: int, m: int, dim: int):
    grid = sorted({int(round(low_limit + j * (bandlimit - low_limit) / m)) for j in range(1, m + 1)})
    values = [0] + grid + [-g for g in grid]
    return [k for k in _half_space(values, dim) if max(map(abs, k)) > low_limit]


@functools.lru_cache(maxsize=64)
def max_sampled_frequencies(bandlimit: int, low_limit: int | None = None, *, dim: int = 2,
                            low_fraction: float = LOW_FRACTION) -> int:
    """The largest ``n`` :func:`sampled_frequencies` can place below ``bandlimit`` (0 if none).

    The low share ``n_low = min(round(low_fraction·(n − dim)), |low pool|)`` is fixed by ``n``; the rest
    must fit on the finest high grid (``m = bandlimit − low_limit``)."""
    if low_limit is None:
        low_limit = default_low_limit(bandlimit)
    if not (0 < low_limit < bandlimit):
        return 0
    _, low_pool = _low_pool(low_limit, dim)
    high = len(_high_pool(bandlimit, low_limit, bandlimit - low_limit, dim))
    best = 0
    for n in range(dim + 1, dim + len(low_pool) + high + 1):
        n_low = min(int(round(low_fraction * (n - dim))), len(low_pool))
        if n - dim - n_low <= high:
            best = n
    return best


def is_low(frequencies, low_limit: int) -> np.ndarray:
    """Boolean mask: ``|k|∞ ≤ low_limit`` per frequency (TUNER's low band)."""
    k = np.abs(np.asarray(frequencies))
    return k.max(axis=-1) <= low_limit


def row_bounds(frequencies, low_limit: int, c_low: float, c_high: float) -> np.ndarray:
    """Per-input-row bound ``c_j``: ``c_low`` on the low band, ``c_high`` above it."""
    return np.where(is_low(frequencies, low_limit), c_low, c_high).astype(np.float32)


__all__ = ["default_bandlimit", "default_low_limit", "reference_frequencies", "uniform_frequencies", "sampled_frequencies",
           "max_sampled_frequencies", "is_low",
           "row_bounds", "REFERENCE_LOW_LIMIT"]
