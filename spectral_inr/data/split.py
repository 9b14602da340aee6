"""Random train/test split of sample indices."""

from __future__ import annotations

import numpy as np

__all__ = ["train_test_split"]


def train_test_split(n_pixels: int, test_fraction: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n_pixels)`` into random disjoint train/test index sets.

    TUNER-style random split (default 95 % train / 5 % test). A permutation is
    drawn with ``np.random.default_rng(seed)``; its first ``round(test_fraction *
    n_pixels)`` entries are the test set, the rest the train set. Both are
    returned sorted (int64), are disjoint, cover every index once, and depend
    only on ``(n_pixels, test_fraction, seed)``.
    """
    if isinstance(n_pixels, bool) or not isinstance(n_pixels, (int, np.integer)) or n_pixels < 1:
        raise ValueError(f"train_test_split: n_pixels must be a positive int, got {n_pixels!r}")
    test_fraction = float(test_fraction)
    if not 0.0 <= test_fraction <= 1.0:
        raise ValueError(f"train_test_split: test_fraction must be in [0, 1], got {test_fraction!r}")
    n = int(n_pixels)
    n_test = int(round(test_fraction * n))
    perm = np.random.default_rng(seed).permutation(n).astype(np.int64)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])
