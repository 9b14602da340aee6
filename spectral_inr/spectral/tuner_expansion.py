"""TUNER's amplitude–phase expansion (Novello et al., arXiv 2407.21121, Thms 1–2).

Network (one hidden layer; Flax kernels are ``(fan_in, fan_out)``)::

    h_j(x) = sin θ_j,   θ_j = ⟨ω_j, x⟩ + φ_j,   ω_j = 2π k_j / p,  k_j ∈ ℤ^d
    f(x)   = Σ_i a_i sin(ω_G (Σ_j W_ji h_j(x) + b_i)) + c.

Jacobi–Anger, ``e^{i z sin θ} = Σ_{n∈ℤ} J_n(z) e^{inθ}``, applied to every
``j`` with ``z_ji = ω_G W_ji`` and multiplied by ``e^{i ω_G b_i}``::

    e^{i ω_G(Σ_j W_ji sin θ_j + b_i)} = Σ_{k∈ℤ^m} [∏_j J_{k_j}(ω_G W_ji)] e^{i(⟨k,θ⟩ + ω_G b_i)}

and, the ``J`` being real, the imaginary part gives (Theorem 1)::

    sin(ω_G(Σ_j W_ji sin θ_j + b_i)) = Σ_k α_ki sin(⟨β_k, x⟩ + ⟨k, φ⟩ + ω_G b_i),
    α_ki = ∏_j J_{k_j}(ω_G W_ji),   β_k = Σ_j k_j ω_j = 2π n_k / p,  n_k = Σ_j k_j k_j^int ∈ ℤ^d.

Every generated frequency is an integer combination of the input ones (so
the network stays ``p``-periodic) and, since ``|J_n(z)| ≤ (|z|/2)^{|n|}/|n|!``
(Theorem 2), ``|α_ki| ≤ ∏_j (|ω_G W_ji|/2)^{|k_j|} / |k_j|!``.

We keep ``|k|₁ ≤ K``, stored sparsely: each ``k`` as at most ``K`` (index,
order) pairs.  Summing the hidden neurons, each ``k`` contributes
``Im(C_k e^{i⟨β_k, x⟩})`` to ``f`` with
``C_k = e^{i⟨k,φ⟩} Σ_i a_i α_ki e^{i ω_G b_i}``.
"""
from __future__ import annotations

import functools
import itertools
import math
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr.models.layers import IntegerFrequencyEncoding, SineLayer
from spectral_inr.spectral.bessel import bessel_j, integer_power
from spectral_inr.spectral.diagnostics import effective_kernel

__all__ = ["TunerExpansion", "multi_indices", "tuner_expansion", "tuner_expansion_from_model",
           "evaluate_expansion", "periodic_grid", "predicted_fft", "tuner_spectrum_check"]


class TunerExpansion(NamedTuple):
    """The truncated expansion; ``T`` terms, ``n`` hidden neurons, ``C`` outputs."""

    index: np.ndarray       # (T, K) int: input neurons j in the support of k (padding: order 0)
    order: np.ndarray       # (T, K) int: k_j at those neurons
    frequency: np.ndarray   # (T, d) int: n_k = Σ_j k_j·k_j^int  (β_k = 2π n_k / p)
    alpha: jax.Array        # (T, n): α_ki = ∏_j J_{k_j}(ω_G W_ji)
    bound: jax.Array        # (T, n): ∏_j (|ω_G W_ji|/2)^{|k_j|} / |k_j|!
    coef: jax.Array         # (T, C) complex: C_k
    offset: jax.Array       # (C,): output bias c
    period: float


def multi_indices(m: int, max_order: int):
    """All ``k ∈ ℤ^m`` with ``|k|₁ ≤ K``, sparse: ``(index, order)``, each ``(T, K)``.

    Row ``t`` means ``k_{index[t,s]} = order[t,s]`` (zero elsewhere); unused
    slots have order 0.  The first row is ``k = 0``.
    ``T = Σ_{s≤K} C(m, s)·#{o ∈ (ℤ∖0)^s : |o|₁ ≤ K}``.
    """
    K = int(max_order)
    if K < 0:
        raise ValueError("max_order must be >= 0")
    width = max(K, 1)
    idx_blocks = [np.zeros((1, width), np.int32)]
    ord_blocks = [np.zeros((1, width), np.int32)]
    nonzero = [v for v in range(-K, K + 1) if v != 0]
    for s in range(1, min(K, m) + 1):
        orders = np.array([o for o in itertools.product(nonzero, repeat=s) if sum(map(abs, o)) <= K], np.int32)
        combos = np.array(list(itertools.combinations(range(m), s)), np.int32)
        idx = np.repeat(combos, len(orders), axis=0)
        ords = np.tile(orders, (len(combos), 1))
        pad = ((0, 0), (0, width - s))
        idx_blocks.append(np.pad(idx, pad))
        ord_blocks.append(np.pad(ords, pad))
    return np.concatenate(idx_blocks), np.concatenate(ord_blocks)


def tuner_expansion(params, frequencies, period: float, omega_g: float, max_order: int = 2,
                    kernel: Optional[jax.Array] = None) -> TunerExpansion:
    """Expansion of a one-hidden-layer TUNER from its ``params``.

    ``params``: ``{"layers_0": {"phase"}, "layers_1": {"kernel", "bias"},
    "layers_2": {"kernel", "bias"}}``; ``frequencies``: the ``(m, d)`` integer
    input frequencies; ``kernel`` overrides ``layers_1/kernel`` (e.g. the
    effective kernel of a learned-bound layer).  The multi-indices are
    enumerated in numpy, the coefficients by one jitted JAX function.
    """
    k_int = np.asarray(frequencies, np.int64)
    index, order = multi_indices(k_int.shape[0], max_order)
    freq = np.einsum("ts,tsd->td", order, k_int[index]).astype(np.int32)
    w = params["layers_1"]["kernel"] if kernel is None else kernel
    alpha, bound, coef = _coefficients(params["layers_0"]["phase"], w, params["layers_1"]["bias"],
                                       params["layers_2"]["kernel"], index, order, omega_g, int(max_order))
    return TunerExpansion(index, order, freq, alpha, bound, coef, params["layers_2"]["bias"], float(period))


@functools.partial(jax.jit, static_argnums=(7,))
def _coefficients(phi, w, b, a, index, order, omega_g, K):
    """``α`` (sign and log-magnitude, so the sparse product over ``j ∉ supp k``
    is ``∏_j J_0 / ∏_{j∈supp} J_0``), Theorem 2's bound, and ``C_k``."""
    z = omega_g * w                                                          # (m, n)
    table = bessel_j(np.arange(-K, K + 1)[:, None, None], z[None])          # (2K+1, m, n)
    tiny = jnp.finfo(table.dtype).tiny
    j0 = table[K]
    log0 = jnp.log(jnp.maximum(jnp.abs(j0), tiny))
    neg0 = (j0 < 0).astype(jnp.int32)
    jk = table[order + K, index]                                             # (T, K, n)
    log_mag = log0.sum(0) + (jnp.log(jnp.maximum(jnp.abs(jk), tiny)) - log0[index]).sum(1)
    parity = neg0.sum(0) + ((jk < 0).astype(jnp.int32) - neg0[index]).sum(1)
    alpha = jnp.where(parity % 2 == 1, -1.0, 1.0) * jnp.exp(log_mag)

    absk = jnp.abs(order)
    fact = jnp.asarray([math.factorial(v) for v in range(K + 1)], z.dtype)[absk][..., None]
    bound = jnp.prod(integer_power(jnp.abs(z[index]) / 2, absk[..., None], K) / fact, axis=1)

    k_phase = jnp.sum(order * phi[index], axis=1)                            # ⟨k, φ⟩
    neuron = a * jnp.exp(1j * omega_g * b)[:, None]                         # (n, C)
    coef = jnp.exp(1j * k_phase)[:, None] * (alpha.astype(neuron.dtype) @ neuron)
    return alpha, bound, coef


def _tuner_parts(model):
    layers = list(model.layers)
    ok = (len(layers) == 3 and isinstance(layers[0], IntegerFrequencyEncoding)
          and isinstance(layers[1], SineLayer) and layers[1].omega is not None
          and isinstance(layers[2], SineLayer) and layers[2].omega is None)
    if not ok or np.ndim(layers[1].omega) != 0:
        raise ValueError("the expansion needs a one-hidden-layer TUNER (encoding, sine layer, linear output)"
                         " with a scalar ω_G")
    return layers


def tuner_expansion_from_model(model, variables, max_order: int = 2) -> TunerExpansion:
    """:func:`tuner_expansion` for a ``Tuner(depth=1, ...)`` model (learned bounds handled)."""
    enc, hidden, _ = _tuner_parts(model)
    params = variables.get("params", variables)
    kernel = effective_kernel(hidden, {"params": params["layers_1"]})
    return tuner_expansion(params, enc.frequencies, enc.period, float(hidden.omega), max_order, kernel)


def evaluate_expansion(exp: TunerExpansion, x):
    """``f̂(x) = c + Σ_k Im(C_k e^{i 2π⟨n_k, x⟩/p})`` at points ``x`` ``(N, d)`` → ``(N, C)``."""
    theta = (2.0 * math.pi / exp.period) * (x @ jnp.asarray(exp.frequency, x.dtype).T)   # (N, T)
    return exp.offset + jnp.sin(theta) @ exp.coef.real + jnp.cos(theta) @ exp.coef.imag


def periodic_grid(n: int, period: float, dim: int = 1, start: Optional[float] = None) -> np.ndarray:
    """``n^dim`` points ``x_a = start + p·t_a/n`` spanning one period per axis
    (``start = −p/2`` by default), shape ``(n,)*dim + (dim,)``, "ij" order."""
    start = -period / 2 if start is None else start
    axis = start + period * np.arange(n) / n
    return np.stack(np.meshgrid(*([axis] * dim), indexing="ij"), -1).astype(np.float32)


def predicted_fft(exp: TunerExpansion, n: int, start: Optional[float] = None, channel: int = 0):
    """The DFT (``jnp.fft.fftn``) of ``f̂`` sampled on :func:`periodic_grid`.

    On that grid ``e^{i2π⟨n_k,x⟩/p} = e^{iγ_k} e^{i2π⟨n_k,t⟩/n}`` with
    ``γ_k = 2π⟨n_k, x_start⟩/p``, so term ``k`` puts
    ``n^d·C_k e^{iγ_k}/(2i)`` in bin ``n_k mod n`` and its conjugate (negated)
    in bin ``−n_k mod n``; ``c`` goes to DC.  Aliasing is thus reproduced.
    """
    d = exp.frequency.shape[1]
    start = -exp.period / 2 if start is None else start
    nd = float(n) ** d
    gamma = (2.0 * math.pi / exp.period) * start * exp.frequency.sum(1)
    ck = exp.coef[:, channel] * jnp.exp(1j * gamma)
    plus = np.ravel_multi_index(tuple((exp.frequency % n).T), (n,) * d)
    minus = np.ravel_multi_index(tuple((-exp.frequency % n).T), (n,) * d)
    spec = jnp.zeros(n ** d, ck.dtype)
    spec = spec.at[plus].add(nd * ck / 2j).at[minus].add(-nd * jnp.conj(ck) / 2j)
    spec = spec.at[0].add(nd * exp.offset[channel])
    return spec.reshape((n,) * d)


def tuner_spectrum_check(model, variables, n: int = 64, max_order: int = 2, channel: int = 0,
                         exclude_dc: bool = True, rtol: float = 1e-5) -> dict:
    """Predicted vs measured spectrum of a one-hidden-layer TUNER on one period.

    Returns a dict with ``energy_fraction`` (share of the measured
    ``Σ|F|²`` in bins hit by a predicted frequency; DC left out of both sums
    when ``exclude_dc``), ``bins_fraction`` (share of bins hit — the chance
    level of ``energy_fraction``), ``relative_error`` ``‖F̂ − F‖/‖F‖`` (=
    relative L2 error of the truncated series on the grid, by Parseval),
    ``bound_holds`` (``|α| ≤ bound·(1+rtol)`` for every term and neuron),
    ``max_bound_ratio``, and the arrays ``measured``, ``predicted``, ``mask``
    (bins hit), ``expansion``.
    """
    exp = tuner_expansion_from_model(model, variables, max_order)
    d = exp.frequency.shape[1]
    grid = jnp.asarray(periodic_grid(n, exp.period, d).reshape(-1, d))
    mask = np.zeros((n,) * d, bool)
    for sign in (1, -1):
        mask[tuple((sign * exp.frequency % n).T)] = True
    keep = np.ones_like(mask)
    if exclude_dc:
        keep[(0,) * d] = False

    @jax.jit
    def compare(variables, alpha, bound, coef, offset):
        exp_t = exp._replace(alpha=alpha, bound=bound, coef=coef, offset=offset)
        measured = jnp.fft.fftn(model.apply(variables, grid)[:, channel].reshape((n,) * d))
        predicted = predicted_fft(exp_t, n, channel=channel)
        energy = jnp.abs(measured) ** 2
        fraction = jnp.sum(jnp.where(mask & keep, energy, 0.0)) / jnp.sum(jnp.where(keep, energy, 0.0))
        error = jnp.linalg.norm(predicted - measured) / jnp.linalg.norm(measured)
        tiny = jnp.finfo(bound.dtype).tiny
        ratio = jnp.max(jnp.abs(alpha) / jnp.maximum(bound, tiny))
        holds = jnp.all(jnp.abs(alpha) <= bound * (1 + rtol) + tiny)
        return measured, predicted, fraction, error, ratio, holds

    measured, predicted, fraction, error, ratio, holds = compare(variables, exp.alpha, exp.bound, exp.coef, exp.offset)
    return {
        "energy_fraction": float(fraction),
        "bins_fraction": float((mask & keep).sum() / keep.sum()),
        "relative_error": float(error),
        "bound_holds": bool(holds),
        "max_bound_ratio": float(ratio),
        "measured": measured, "predicted": predicted, "mask": mask, "expansion": exp,
    }
