"""Models and data for the DFT experiment (``experiments/dft.py``).

Complex vectors ``z ∈ ℂ^N`` are stored as real ``[Re z, Im z] ∈ ℝ^{2N}`` (the
*stacked* layout), so a real linear layer ``ℝ^{2N} → ℝ^{2N}`` can represent
any complex (indeed any ℝ-linear) map, and the N-point DFT ``F`` appears in it
as the block matrix ``[[Re F, −Im F], [Im F, Re F]]``.

:class:`Butterfly` is the radix-2 decimation-in-time Cooley–Tukey FFT with
every 2×2 butterfly made a trainable complex matrix: a fixed bit-reversal
permutation, then ``log2 N`` stages of ``N/2`` independent 2×2 complex blocks —
``(N/2)·log2 N·4`` complex (``·8`` real) parameters, 640 for ``N = 32`` against
``(2N)² = 4096`` for the dense layer.
"""
from __future__ import annotations

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


# --- data ------------------------------------------------------------------------------------------
def stack_complex(z: np.ndarray) -> np.ndarray:
    """``(..., N)`` complex → ``(..., 2N)`` real ``[Re, Im]`` (float32)."""
    return np.concatenate([z.real, z.imag], axis=-1).astype(np.float32)


def unstack_complex(x) -> np.ndarray:
    """Inverse of :func:`stack_complex` (numpy, complex128)."""
    x = np.asarray(x, np.float64)
    n = x.shape[-1] // 2
    return x[..., :n] + 1j * x[..., n:]


def dft_dataset(num_samples: int, n: int = 32, seed: int = 0):
    """Random complex inputs (standard normal real and imaginary parts) and their ``np.fft.fft``,
    both in the stacked real layout: ``(num_samples, 2n)`` float32 each."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((num_samples, n)) + 1j * rng.standard_normal((num_samples, n))
    return stack_complex(z), stack_complex(np.fft.fft(z, axis=-1))


def dft_matrix(n: int = 32) -> np.ndarray:
    """The unnormalised DFT matrix ``F[k, j] = exp(−2πi·jk/n)`` (``np.fft.fft(z) == F @ z``)."""
    k = np.arange(n)
    return np.exp(-2j * np.pi * np.outer(k, k) / n)


def real_block(f: np.ndarray) -> np.ndarray:
    """``(n, n)`` complex ``F`` → ``(2n, 2n)`` real ``[[Re F, −Im F], [Im F, Re F]]`` acting on stacked vectors."""
    return np.block([[f.real, -f.imag], [f.imag, f.real]])


def complex_of_real_block(m: np.ndarray) -> np.ndarray:
    """The complex matrix read off a ``(2n, 2n)`` real matrix (its first block column:
    ``Re F = M[:n, :n]``, ``Im F = M[n:, :n]``)."""
    n = m.shape[0] // 2
    return m[:n, :n] + 1j * m[n:, :n]


# --- the butterfly network --------------------------------------------------------------------------
def bit_reversal(n: int) -> np.ndarray:
    """The bit-reversal permutation of ``range(n)`` (``n`` a power of two)."""
    bits = int(np.log2(n))
    if 2 ** bits != n:
        raise ValueError(f"n must be a power of two, got {n}")
    return np.array([int(format(i, f"0{bits}b")[::-1], 2) for i in range(n)]) if bits else np.zeros(1, int)


def butterfly_pairs(n: int, stage: int):
    """``(top, bottom)`` index arrays of the ``n/2`` pairs mixed at ``stage`` (half-span ``h = 2**stage``),
    and the twiddle exponent ``j`` of each pair (``w = exp(−2πi·j/(2h))``)."""
    h = 2 ** stage
    top = np.array([b + j for b in range(0, n, 2 * h) for j in range(h)])
    twiddle = np.array([j for _ in range(0, n, 2 * h) for j in range(h)])
    return top, top + h, twiddle


def fft_butterfly_weights(n: int = 32) -> np.ndarray:
    """The exact radix-2 FFT blocks ``[[1, w], [1, −w]]``: complex ``(log2 n, n/2, 2, 2)``."""
    stages = int(np.log2(n))
    out = np.zeros((stages, n // 2, 2, 2), np.complex128)
    for s in range(stages):
        _, _, j = butterfly_pairs(n, s)
        w = np.exp(-2j * np.pi * j / (2 * 2 ** s))
        out[s, :, 0, 0], out[s, :, 0, 1], out[s, :, 1, 0], out[s, :, 1, 1] = 1, w, 1, -w
    return out


def fft_butterfly_params(n: int = 32) -> dict:
    """The ``params`` collection of :class:`Butterfly` that computes ``np.fft.fft`` exactly."""
    w = fft_butterfly_weights(n)
    return {"re": jnp.asarray(w.real, jnp.float32), "im": jnp.asarray(w.imag, jnp.float32)}


def _butterfly_init(std: float) -> Callable:
    def init(key, shape, dtype=jnp.float32):
        return std * jax.random.normal(key, shape, dtype)
    return init


class Butterfly(nn.Module):
    """``log2 n`` trainable butterfly factors after a fixed bit-reversal: a learnable radix-2 FFT.

    Input and output are stacked ``(…, 2n)`` real vectors.  Parameters ``re``,
    ``im``: ``(log2 n, n/2, 2, 2)`` — per stage and pair, the complex 2×2 block
    ``[[a, b], [c, d]]`` mapping ``(z_top, z_bottom) → (a·z_top + b·z_bottom, c·z_top + d·z_bottom)``.

    Attributes:
      n: transform size (a power of two).
      init_std: std of the random normal init of each real and imaginary part;
        the default ``1/2`` gives each complex entry variance ``1/2``, so a stage
        preserves the signal variance at init.
    """

    n: int = 32
    init_std: float = 0.5

    @nn.compact
    def __call__(self, x):
        n = self.n
        stages = int(np.log2(n))
        shape = (stages, n // 2, 2, 2)
        re = self.param("re", _butterfly_init(self.init_std), shape)
        im = self.param("im", _butterfly_init(self.init_std), shape)
        w = jax.lax.complex(re, im)
        z = jax.lax.complex(x[..., :n], x[..., n:])
        batch = z.shape[:-1]
        # bit reversal as a reshape/transpose: index bits (b4..b0) -> (b0..b4)
        z = z.reshape(batch + (2,) * stages)
        z = jnp.transpose(z, tuple(range(len(batch))) + tuple(range(len(batch) + stages - 1, len(batch) - 1, -1)))
        for s in range(stages):
            h = 2 ** s
            # position b·2h + t·h + j  ->  (block b, top/bottom t, offset j); pair index b·h + j
            z = z.reshape(batch + (n // (2 * h), 2, h))
            ws = w[s].reshape(n // (2 * h), h, 2, 2)
            a, b = z[..., 0, :], z[..., 1, :]
            z = jnp.stack([ws[..., 0, 0] * a + ws[..., 0, 1] * b, ws[..., 1, 0] * a + ws[..., 1, 1] * b], axis=-2)
        z = z.reshape(batch + (n,))
        return jnp.concatenate([z.real, z.imag], axis=-1)


def num_params(params) -> int:
    return int(sum(np.size(p) for p in jax.tree_util.tree_leaves(params)))
