"""Statistical checks of initial weights shared by the model tests."""
import math

import numpy as np
from scipy import stats


def ks(sample, cdf):
    """The Kolmogorov–Smirnov statistic of ``sample`` against ``cdf``."""
    return stats.kstest(np.ravel(sample), cdf, method="asymp").statistic


def check_uniform(sample, bound, what):
    """``sample ~ U(±bound)``: inside, reaching near the bound, KS below the 0.1 % critical value 1.95/√n."""
    s = np.asarray(sample, np.float64).ravel()
    n = s.size
    assert np.all(np.abs(s) <= bound * (1 + 1e-6)), f"{what}: outside ±{bound}"
    delta = -math.log(1e-6) / n          # P(max|s| < (1−δ)·bound) = (1−δ)^n < 1e-6 for i.i.d. draws
    assert np.abs(s).max() >= (1 - delta) * bound, f"{what}: max {np.abs(s).max()} far below {bound}"
    statistic = ks(s, stats.uniform(loc=-bound, scale=2 * bound).cdf)
    assert statistic < 1.95 / math.sqrt(n), f"{what}: KS {statistic} vs U(±{bound})"
