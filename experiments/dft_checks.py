"""The DFT experiments' checks of a learned layer against the DFT (ours: tolerances and test vectors)."""
from __future__ import annotations

import numpy as np

from experiments.dft_models import (
    complex_of_real_block,
    dft_matrix,
    real_block,
    stack_complex,
    unstack_complex,
)

MATRIX_ATOL = 1e-4          # |learned − true| per matrix entry (entries have modulus 1)
PRED_ATOL, PRED_RTOL = 1e-3, 1e-5   # predictions on fresh inputs (outputs ~ N(0, 32) per component)
FRESH = 1000                # fresh test vectors
TOLERANCES = {"matrix_atol": MATRIX_ATOL, "pred_atol": PRED_ATOL, "pred_rtol": PRED_RTOL}


def fresh_vectors(n: int, count: int = FRESH):
    """``count`` fresh random complex vectors (seed 12345, not the training data's) and their FFTs, stacked."""
    rng = np.random.default_rng(12345)
    z = rng.standard_normal((count, n)) + 1j * rng.standard_normal((count, n))
    return stack_complex(z), stack_complex(np.fft.fft(z))


def check_dense(kernel: np.ndarray, fresh_x: np.ndarray, fresh_y: np.ndarray) -> dict:
    """A Dense kernel ``K`` (``y = x @ K``) against the DFT: as a real block matrix, as a complex matrix, and
    by its predictions on fresh vectors."""
    m = np.asarray(kernel, np.float64).T                   # y = x @ K  ⇒  matrix = Kᵀ
    n = m.shape[0] // 2
    target = real_block(dft_matrix(n))
    f_learned = complex_of_real_block(m)
    pred = fresh_x.astype(np.float64) @ np.asarray(kernel, np.float64)
    z_pred = unstack_complex(pred)
    z_true = unstack_complex(fresh_y)
    return {
        "matrix_max_abs_err": float(np.abs(m - target).max()),
        "matrix_allclose": bool(np.allclose(m, target, rtol=0, atol=MATRIX_ATOL)),
        "complex_max_abs_err": float(np.abs(f_learned - dft_matrix(n)).max()),
        "complex_allclose": bool(np.allclose(f_learned, dft_matrix(n), rtol=0, atol=MATRIX_ATOL)),
        "pred_max_abs_err": float(np.abs(z_pred - z_true).max()),
        "pred_allclose": bool(np.allclose(z_pred, z_true, rtol=PRED_RTOL, atol=PRED_ATOL)),
    }


def sci(v) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.2e}"
