"""Multiplicative filter networks (Fathony, Sahu, Willmott & Kolter, ICLR 2021): FourierNet and GaborNet.

An MFN multiplies, instead of composing::

    z_0     = g_0(x)
    z_{i+1} = (z_i W_i + b_i) ⊙ g_{i+1}(x),      i = 0 … depth − 1
    y       = z_depth W_out + b_out

with ``depth + 1`` filters ``g_i`` of the *input* ``x`` and ``depth`` hidden linear maps
(``depth`` is the official ``n_layers``).  The filters are

* FourierNet: ``g(x) = sin(xΩ + φ)``;
* GaborNet:   ``g(x) = exp(−γ/2·‖x − μ‖²) ⊙ sin(xΩ + φ)`` (one ``γ_j``, ``μ_j`` per neuron).

Because ``sin a · sin b = ½[cos(a − b) − cos(a + b)]``, a FourierNet's output is a linear
combination of sinusoids whose frequencies are signed sums of filter frequencies (one row of
each ``Ω_i`` over a subset of the filters, the biases ``b_i`` letting earlier filters drop
out) — an exponentially large but explicit Fourier basis (a Gabor basis for GaborNet).

This is its own small module, not a stack of :class:`~spectral_inr.models.layers.SineLayer`:
the sine layers of SIREN-type networks are *composed* (each sees only the previous layer's
output), whereas every MFN filter sees the coordinates ``x`` and the layers are combined by an
elementwise *product* with a linear map of the running state.  ``SineLayer`` (with
``omega=None``) is still used for the linear maps.

Initialisation, from the official code (boschresearch/multiplicative-filter-networks,
``mfn/mfn.py``; Flax kernels are ``(fan_in, fan_out)``, the transpose of PyTorch's ``weight``):

* filter kernel ``Ω``: PyTorch's ``nn.Linear`` default ``U(±1/√d)`` (``d`` = input dims) times
  ``input_scale/√(depth+1)`` (``FourierLayer``: ``weight *= weight_scale`` with
  ``weight_scale = input_scale/np.sqrt(n_layers + 1)``); GaborNet also multiplies output
  column ``j`` by ``√γ_j`` (``GaborLayer``: ``weight *= weight_scale * sqrt(gamma[:, None])``);
* filter bias ``φ ~ U(−π, π)``;
* GaborNet: ``γ ~ Gamma(α/(depth+1), rate β)`` (``torch.distributions.Gamma(alpha, beta)`` with
  ``alpha / (n_layers + 1)``), ``μ ~ U(−1, 1)^d``; both trained, as ``Ω`` and ``φ`` are;
* hidden kernel ``W_i ~ U(±√(weight_scale/width))`` (``MFNBase``), hidden bias PyTorch's
  default ``U(±1/√width)``;
* output layer: PyTorch's default, kernel and bias ``U(±1/√width)``.

Every hyper-parameter that enters only the initialisation (``input_scale``, ``weight_scale``,
``alpha``, ``beta``) may be a JAX tracer (vmapped sweeps); ``width`` and ``depth`` set shapes.
"""
from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr import ops
from spectral_inr.models import initializers as inits
from spectral_inr.models.layers import SineLayer

# Official defaults (mfn/mfn.py FourierNet/GaborNet signatures).
INPUT_SCALE = 256.0   # input_scale=256.0
WEIGHT_SCALE = 1.0    # weight_scale=1.0
ALPHA = 6.0           # GaborNet alpha=6.0
BETA = 1.0            # GaborNet beta=1.0
DEPTH = 3             # n_layers=3

#: The official image-representation run (mfn/experiments/image_rep.py: cameraman resized to 256²,
#: grey values normalised to [−1, 1] (data.py ``Normalize(0.5, 0.5)``), coordinates
#: ``linspace(−1, 1, 256)`` per axis, the whole image as one batch, plain MSE, Adam (PyTorch
#: defaults) at a constant learning rate, no schedule; ``iterations`` counts full-batch steps).
IMAGE_PROTOCOL = dict(width=256, depth=3, input_scale=256.0, weight_scale=1.0, lr=1e-2, steps=10_000,
                      side=256, alpha=ALPHA, beta=BETA)
#: The official video run (mfn/experiments/video_rep.py): only width and lr differ from the image run.
VIDEO_PROTOCOL = dict(width=1024, depth=3, input_scale=256.0, weight_scale=1.0, lr=1e-3)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _check(cls, **values):
    """Reject non-positive Python numbers; traced values (vmapped sweeps) pass through."""
    for name, v in values.items():
        if _is_number(v) and v <= 0:
            raise ValueError(f"{cls}: {name} must be positive, got {v}")


def _scaled_uniform(scale):
    """PyTorch's ``nn.Linear`` default kernel ``U(±1/√fan_in)`` times ``scale`` (any shape-broadcastable array)."""

    def init(key, shape, dtype=jnp.float32):
        return inits.torch_default_kernel()(key, shape, dtype) * jnp.asarray(scale, dtype)

    return init


def _uniform(bound):
    def init(key, shape, dtype=jnp.float32):
        b = jnp.asarray(bound, dtype)
        return jax.random.uniform(key, shape, dtype, -b, b)

    return init


class FourierFilter(nn.Module):
    """``sin(xΩ + φ)``; ``Ω ~ U(±1/√d)·scale``, ``φ ~ U(−π, π)``, both trained."""

    features: int
    scale: float

    @nn.compact
    def __call__(self, x):
        d = x.shape[-1]
        kernel = self.param("kernel", _scaled_uniform(self.scale), (d, self.features))
        bias = self.param("bias", inits.uniform_bias(math.pi), (self.features,), d)
        return ops.sin(x @ kernel + bias)


class GaborFilter(nn.Module):
    """``exp(−γ/2·‖x − μ‖²) ⊙ sin(xΩ + φ)``.

    ``γ ~ Gamma(alpha, rate beta)`` per neuron, ``μ ~ U(−1, 1)^d`` (stored ``(features, d)``:
    one centre per row), ``Ω ~ U(±1/√d)·scale·√γ_j`` (column ``j``), ``φ ~ U(−π, π)``; all trained.
    ``‖x − μ‖²`` is expanded as ``‖x‖² + ‖μ‖² − 2x·μ`` (one matmul), as the official ``GaborLayer``.
    """

    features: int
    scale: float
    alpha: float
    beta: float

    @nn.compact
    def __call__(self, x):
        d = x.shape[-1]
        gamma = self.param("gamma", lambda k, s: jax.random.gamma(k, jnp.asarray(self.alpha, jnp.float32), s)
                           / jnp.asarray(self.beta, jnp.float32), (self.features,))
        mu = self.param("mu", lambda k, s: jax.random.uniform(k, s, jnp.float32, -1.0, 1.0), (self.features, d))
        kernel = self.param("kernel", lambda k, s: _scaled_uniform(self.scale * jnp.sqrt(gamma))(k, s), (d, self.features))
        bias = self.param("bias", inits.uniform_bias(math.pi), (self.features,), d)
        sq = jnp.sum(x * x, axis=-1, keepdims=True) + jnp.sum(mu * mu, axis=-1) - 2.0 * (x @ mu.T)
        return ops.sin(x @ kernel + bias) * jnp.exp(-0.5 * sq * gamma)


class _MFN(nn.Module):
    """The multiplicative recursion over ``depth + 1`` filters (see the module docstring)."""

    def filters(self):
        raise NotImplementedError

    def hidden(self, i):
        bound = jnp.sqrt(jnp.asarray(self.weight_scale, jnp.float32) / self.width)
        return SineLayer(self.width, None, kernel_init=_uniform(bound), bias_init=inits.torch_default_bias,
                         name=f"linear_{i}")

    @nn.compact
    def __call__(self, x):
        g = self.filters()
        z = g[0](x)
        for i in range(1, self.depth + 1):
            z = g[i](x) * self.hidden(i - 1)(z)
        return SineLayer(self.out_features, None, kernel_init=inits.torch_default_kernel(),
                         bias_init=inits.torch_default_bias, name="output")(z)


class FourierNet(_MFN):
    """FourierNet (Fathony et al. 2021, Sec. 3.1): MFN with sine filters ``sin(xΩ + φ)``.

    ``depth`` hidden linear maps, ``depth + 1`` filters, filter kernels ``U(±1/√d)·input_scale/√(depth+1)``,
    hidden kernels ``U(±√(weight_scale/width))``; see :mod:`spectral_inr.models.mfn`.
    """

    out_features: int = 3
    width: int = 256
    depth: int = DEPTH
    input_scale: float = INPUT_SCALE
    weight_scale: float = WEIGHT_SCALE

    def __post_init__(self):
        _check("FourierNet", out_features=self.out_features, width=self.width, depth=self.depth,
               input_scale=self.input_scale, weight_scale=self.weight_scale)
        super().__post_init__()

    def filters(self):
        scale = self.input_scale / math.sqrt(self.depth + 1)
        return [FourierFilter(self.width, scale, name=f"filter_{i}") for i in range(self.depth + 1)]


class GaborNet(_MFN):
    """GaborNet (Fathony et al. 2021, Sec. 3.2): MFN with Gabor filters ``exp(−γ/2‖x−μ‖²)·sin(xΩ + φ)``.

    ``γ ~ Gamma(alpha/(depth+1), rate beta)``, ``μ ~ U(−1, 1)^d``, filter kernels
    ``U(±1/√d)·input_scale/√(depth+1)·√γ_j``; see :mod:`spectral_inr.models.mfn`.
    """

    out_features: int = 3
    width: int = 256
    depth: int = DEPTH
    input_scale: float = INPUT_SCALE
    alpha: float = ALPHA
    beta: float = BETA
    weight_scale: float = WEIGHT_SCALE

    def __post_init__(self):
        _check("GaborNet", out_features=self.out_features, width=self.width, depth=self.depth,
               input_scale=self.input_scale, alpha=self.alpha, beta=self.beta, weight_scale=self.weight_scale)
        super().__post_init__()

    def filters(self):
        scale = self.input_scale / math.sqrt(self.depth + 1)
        return [GaborFilter(self.width, scale, self.alpha / (self.depth + 1), self.beta, name=f"filter_{i}")
                for i in range(self.depth + 1)]
