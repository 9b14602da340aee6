"""The one sinusoidal block and the frozen input encodings.

``SineLayer`` computes ``act(ω·(xW + b))``; SIREN, SIREN², FINER, TUNER's hidden
layers and the Harmonic MLP's layers are all this layer with different
``activation``, ``omega`` and initializers.  ``omega=None`` gives a linear layer
(the output layer of every INR).
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Sequence, Union

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr import ops
from spectral_inr.models import activations as act
from spectral_inr.models import initializers as inits
from spectral_inr.models import tuner_frequencies

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

    def omega(self, dtype=jnp.float32):
        pool = tuner_frequencies.uniform_pool(self.bandlimit)[:, ::-1].copy()   # (x, y) → our (y, x)
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

    ``two_pi=False`` drops the ``2π``: ``γ(x) = [cos xB, sin xB]`` (SIREN²'s ``RFF``,
    hemanthgrylls/SIREN-square ``modules/networks.py``).  ``in_features``, if set, is
    checked against the input's last axis (a preset whose next layer's init depends on
    the coordinate dimension sets it, so a wrong one fails instead of mis-initialising).
    """

    num_features: int = 256
    sigma: float = 10.0
    two_pi: bool = True
    in_features: Optional[int] = None

    @nn.compact
    def __call__(self, x):
        if self.in_features is not None and x.shape[-1] != self.in_features:
            raise ValueError(f"FourierFeatures built for {self.in_features}-D coordinates, got {x.shape[-1]}-D "
                             f"(pass in_features={x.shape[-1]} to the preset)")
        b = self.variable(
            "constants",
            "B",
            lambda: self.sigma
            * jax.random.normal(self.make_rng("params"), (x.shape[-1], self.num_features), x.dtype),
        ).value
        proj = (2.0 * math.pi * x if self.two_pi else x) @ b
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


NERF_PE_SIDELENGTH = 512
"""Default ``sidelength`` of the NeRF encoding's Nyquist rule: vishwa91/wire ``modules/models.py``
``get_INR(sidelength=512)`` and hemanthgrylls/SIREN-square ``modules/networks.py`` ``ReLU_PE(sidelength=512)``."""


def nerf_num_frequencies(in_features: int, sidelength: Union[int, Sequence[int]] = NERF_PE_SIDELENGTH) -> int:
    """How many octaves WIRE's and SIREN²'s ``PosEncoding`` use (vishwa91/wire ``modules/relu.py``
    ``PosEncoding.__init__``/``get_num_frequencies_nyquist``, copied unchanged into
    hemanthgrylls/SIREN-square ``modules/networks.py``; WIRE's edit of SIREN's
    ``PosEncodingNeRF``, vsitzmann/siren ``modules.py``, which takes the 1-D count from
    ``fn_samples`` and has no rule above 3-D):

    * 3-D coordinates: 10;
    * 2-D: ``⌊log2(n/4)⌋`` with ``n = min(sidelength)`` (an int means a square);
    * 1-D: the same with ``n = sidelength`` (WIRE's code overwrites ``fn_samples`` with
      ``sidelength``, so audio gets ``⌊log2(512/4)⌋ = 7`` unless the caller passes the
      sample count as ``sidelength``, which is SIREN's rule);
    * other dimensions: 4.

    ``n/4`` is what the code calls the Nyquist rate, ``1/(2·(2/n))``: the top frequency
    ``2^{L−1}π`` then stays at or below ``π·n/8`` — a quarter of the grid's Nyquist
    frequency ``π·n/2`` on ``[−1, 1]``.  The official code breaks below ``n = 4``
    (negative count); we return 0 there.
    """
    if in_features == 3:
        return 10
    if in_features not in (1, 2):
        return 4
    if isinstance(sidelength, (int, np.integer)):
        samples = int(sidelength)
    else:
        side = tuple(int(v) for v in sidelength)
        samples = side[0] if in_features == 1 else min(side[0], side[1])
    nyquist_rate = 1 / (2 * (2 * 1 / samples))
    return max(0, int(math.floor(math.log(nyquist_rate, 2))))


class NerfPositionalEncoding(nn.Module):
    """NeRF's positional encoding (Mildenhall et al. 2020) as the INR baselines use it:
    ``γ(x) = [x, sin(f_0 x_1), cos(f_0 x_1), …, sin(f_0 x_d), cos(f_0 x_d), sin(f_1 x_1), …]``
    with octaves ``f_k = base·2^k``, ``k < L`` — the order of WIRE's ``PosEncoding.forward``
    (frequency, then axis, then sin/cos); output width ``d·(2L + 1)``.

    ``base_frequency = π`` and ``num_frequencies=None`` (``L`` from
    :func:`nerf_num_frequencies` on the input's dimension and ``sidelength``) is WIRE's and
    SIREN²'s encoding.  FINER's ``PEMLP`` (liuzhen0212/FINER ``models.py``
    ``PositionalEncoding``, ``logscale=True``) is ``base_frequency=1, num_frequencies=10``
    (``f_k = 2^k``, no π); its feature order (all axes' sines, then cosines, per octave) is a
    permutation of this one, which the next dense layer's i.i.d. init cannot tell apart.
    ``include_input`` keeps ``x`` itself (all three codes do).
    """

    num_frequencies: Optional[int] = None
    sidelength: Union[int, Sequence[int]] = NERF_PE_SIDELENGTH
    base_frequency: float = math.pi
    include_input: bool = True

    def octaves(self, in_features: int) -> int:
        if self.num_frequencies is None:
            return nerf_num_frequencies(in_features, self.sidelength)
        return int(self.num_frequencies)

    @nn.compact
    def __call__(self, x):
        d = x.shape[-1]
        n = self.octaves(d)
        freqs = self.base_frequency * 2.0 ** jnp.arange(n, dtype=x.dtype)
        proj = x[..., None, :] * freqs[:, None]                       # (..., L, d)
        enc = jnp.stack([ops.sin(proj), ops.cos(proj)], axis=-1)      # (..., L, d, 2)
        enc = enc.reshape(*x.shape[:-1], n * d * 2)
        return jnp.concatenate([x, enc], axis=-1) if self.include_input else enc
