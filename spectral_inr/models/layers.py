"""The one sinusoidal block and the frozen input encodings.

``SineLayer`` computes ``act(ω·(xW + b))``; SIREN, SIREN², FINER, TUNER's hidden
layers and the Harmonic MLP's layers are all this layer with different
``activation``, ``omega`` and initializers.  ``omega=None`` gives a linear layer
(the output layer of every INR).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence, Union

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr import ops
from spectral_inr.models import activations as act
from spectral_inr.models import initializers as inits

Omega = Union[float, Sequence[float], None]


class SineLayer(nn.Module):
    """``y = act(z, ω)`` with ``z = xW + b``.

    Attributes:
      features: output width.
      omega: frequency factor ``ω`` (scalar or one per output neuron); ``None``
        makes the layer linear (``y = z``).
      activation: ``act(z, ω)``, see :mod:`spectral_inr.models.activations`.
      kernel_init, bias_init: see :mod:`spectral_inr.models.initializers`.
      learned_bound: TUNER's learned bounds.  If set (one value per input row,
        or a scalar), the kernel is reparametrised as
        ``W = c_j·tanh(ω·V)/ω`` with ``c_j = softplus(ρ_j) > 0`` trainable and
        initialised to the given value, so ``|ω·W_ij| ≤ c_j`` always holds.
        ``kernel_init`` then initialises ``V``.  The ``ω`` inside the tanh (the
        official code's ``tanh(ω0·W)·bound``) keeps SIREN's gradient scale: Adam
        moves ``ω·W`` by about ``ω·lr`` per step, as in an unbounded layer —
        without it the hidden layer would learn ``ω``× slower.
    """

    features: int
    omega: Omega = 30.0
    activation: Callable = act.sine
    kernel_init: Callable = inits.siren_hidden_uniform(30.0)
    bias_init: Callable = inits.torch_default_bias
    use_bias: bool = True
    learned_bound: Union[float, Sequence[float], None] = None

    @nn.compact
    def __call__(self, x):
        fan_in = x.shape[-1]
        kernel = self.param("kernel", self.kernel_init, (fan_in, self.features))
        if self.learned_bound is not None:
            kernel = self.bounded_kernel(kernel, fan_in)
        z = x @ kernel
        if self.use_bias:
            z = z + self.param("bias", self.bias_init, (self.features,), fan_in)
        if self.omega is None:
            return z
        return self.activation(z, jnp.asarray(self.omega, z.dtype))

    def bounded_kernel(self, raw, fan_in):
        c0 = jnp.broadcast_to(jnp.asarray(self.learned_bound, jnp.float32), (fan_in,))
        rho = self.param("bound", lambda _: jnp.asarray(_softplus_inverse_array(c0)))
        c = jax.nn.softplus(rho)
        return c[:, None] * jnp.tanh(self.omega * raw) / self.omega


def _softplus_inverse_array(c):
    return c + jnp.log(-jnp.expm1(-c))


class IntegerFrequencyEncoding(nn.Module):
    """TUNER's input layer: ``sin(ω·x + φ)``, ``ω = 2π·k/p``, ``k ∈ ℤ^d`` frozen.

    The integer frequencies are a static attribute (a tuple of tuples), so they
    are not a parameter and cannot be trained; the phases ``φ`` are trained and
    start ``~ phase_init`` (here ``U(−π/2, π/2)``, the TUNER ``Initializer``'s
    default; :func:`~spectral_inr.models.Tuner` passes the official run's
    PyTorch default ``U(±1/√d)``).  Every neuron is periodic
    with period ``p`` along each axis; ``p = 3 > 2`` keeps the two ends of
    ``linspace(−1, 1)`` distinct (``p = 2`` would alias them).
    """

    frequencies: tuple  # tuple[tuple[int, ...], ...], shape (n, d)
    period: float = 3.0
    low_limit: int | tuple | None = None  # TUNER's low band (bounds): |k_i| ≤ l_i, one int or one per axis
    phase_init: Callable = inits.uniform_bias(math.pi / 2)

    def omega(self, dtype=jnp.float32):
        """The frozen angular frequencies ``2π·k/p``, shape ``(n, d)``."""
        return (2.0 * math.pi / self.period) * jnp.asarray(self.frequencies, dtype)

    @nn.compact
    def __call__(self, x):
        n = len(self.frequencies)
        phase = self.param("phase", self.phase_init, (n,), x.shape[-1])
        return ops.sin(x @ self.omega(x.dtype).T + phase)


class UniformIntegerFrequencies(IntegerFrequencyEncoding):
    """TUNER's SIREN baseline input layer with its own draw per seed: ``sin(ω·x + φ)``,
    ``ω = 2π·k/p``, ``k`` = ``n`` distinct rows of the half box ``[0, B] × [−B, B]``
    (``(y, x)`` order, :func:`~spectral_inr.models.tuner_frequencies.uniform_frequencies`'s pool),
    drawn at ``init`` from the ``params`` key and kept frozen in the ``constants`` collection —
    so vmapped seeds draw different frequencies, as separate runs of ``train_siren.py`` do.
    """

    frequencies: tuple = ()        # unused: the draw replaces it
    n: int = 416
    bandlimit: int = 85

    def pool(self):
        b = self.bandlimit
        return np.asarray([(y, x) for x in range(b + 1) for y in range(-b, b + 1)], np.int32)

    def omega(self, dtype=jnp.float32):
        pool = self.pool()
        if self.n > len(pool):
            raise ValueError(f"cannot draw {self.n} distinct frequencies below bandlimit {self.bandlimit} "
                             f"(at most {len(pool)})")
        k = self.variable("constants", "k", lambda: jnp.asarray(pool)[
            jax.random.choice(self.make_rng("params"), len(pool), (self.n,), replace=False)]).value
        return (2.0 * math.pi / self.period) * k.astype(dtype)

    @nn.compact
    def __call__(self, x):
        phase = self.param("phase", self.phase_init, (self.n,), x.shape[-1])
        return ops.sin(x @ self.omega(x.dtype).T + phase)


class FourierFeatures(nn.Module):
    """Random Fourier features (Tancik et al. 2020): ``γ(x) = [cos 2πxB, sin 2πxB]``.

    ``B ~ N(0, σ²)`` of shape ``(d, num_features)`` is drawn at ``init`` from the
    ``params`` key and stored in the ``constants`` collection: it is fixed,
    never seen by the optimizer, yet differs between vmapped seeds.
    """

    num_features: int = 256
    sigma: float = 10.0

    @nn.compact
    def __call__(self, x):
        b = self.variable(
            "constants",
            "B",
            lambda: self.sigma
            * jax.random.normal(self.make_rng("params"), (x.shape[-1], self.num_features), x.dtype),
        ).value
        proj = 2.0 * math.pi * x @ b
        return jnp.concatenate([jnp.cos(proj), jnp.sin(proj)], axis=-1)


class PositionalEncoding(nn.Module):
    """Deterministic positional encoding (Tancik et al. 2020):
    ``γ(x) = [cos 2πσ^{j/m} x_i, sin 2πσ^{j/m} x_i]`` for ``j < m`` and every axis ``i``."""

    num_frequencies: int = 64
    sigma: float = 10.0

    @nn.compact
    def __call__(self, x):
        freqs = self.sigma ** (jnp.arange(self.num_frequencies, dtype=x.dtype) / self.num_frequencies)
        proj = 2.0 * math.pi * (x[..., :, None] * freqs).reshape(*x.shape[:-1], -1)
        return jnp.concatenate([jnp.cos(proj), jnp.sin(proj)], axis=-1)
