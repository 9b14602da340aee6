"""BACON, band-limited coordinate networks (Lindell, Van Veen, Park & Wetzstein, CVPR 2022).

BACON is a multiplicative filter network (:mod:`spectral_inr.models.mfn`) whose sine filters
``g_i(x) = sin(xΩ_i + φ_i)`` have *frozen, quantised* frequencies::

    z_0 = g_0(x),   z_{i+1} = (z_i W_i + b_i) ⊙ g_{i+1}(x),   y_i = z_i V_i + c_i

Since ``sin a · sin b = ½[cos(a − b) − cos(a + b)]``, the output after layer ``i`` holds only
frequencies that are signed sums of one row of each ``Ω_l``, ``l ≤ i`` (or of fewer: the biases
``b_l``): along every axis its spectrum stops at ``Σ_{l ≤ i} max|Ω_l|``.
Training moves the phases ``φ`` and the linear maps, never ``Ω``, so the band limit holds at
init and after any number of steps.

Band-limit rule (computational-imaging/bacon ``modules.py``, ``BACON``/``MultiscaleBACON``
``__init__`` and ``FourierLayer``).  The official code takes a sample rate ``frequency`` per
axis (``train_img.py``: ``frequency=(res, res)``, ``res`` = the training image's side) and a
``quantization_interval`` ``q = 2π/P`` (``2π`` for their coordinates in ``[−0.5, 0.5]``: period
``P = 1``, the domain).  Filter ``l`` gets the per-axis bound
``input_scale_l = round(π·frequency·s_l/q)·q`` with ``s_l = input_scales[l]``, or
``s_l = 1/(hidden_layers + 1)`` without them, and draws every entry of ``Ω_l`` from the
discrete uniform ``{−input_scale_l, −input_scale_l + q, …, input_scale_l}`` (``torch.randint``),
frozen (``requires_grad = False``); the phases are ``U(−π, π)`` and trained.  In whole
periods: filter ``l`` draws integer ``k ∈ {−K_l, …, K_l}``, ``Ω = 2π·k/P``, with

    ``K_l = round(N·s_l/2)``,  ``N`` = samples per period (= ``frequency·P``),

so when ``Σ s_l = 1`` the last output stops at about ``N/2`` cycles per period — the Nyquist
rate of ``N`` samples.  (Rounding is per layer: the single-scale default ``s_l = 1/5`` at
``N = 256`` gives ``K_l = 26`` and a limit of 130, not 128.)  For Python numbers ``K_l`` is
computed with the official float64 expression of ``train_img.py``'s setting (``frequency = N``,
``q = 2π``): ``round((π·N·s_l)/(2π))``, or ``round((π·N/(depth+1))/(2π))`` for the uniform
scales — so exact ties ``N·s_l/2 ∈ ℤ + ½`` go where the official round-off sends them
(``N = 88``, ``s = 1/8``: 5, not 6).  Traced values (vmapped sweeps) use the same expression in
float32 and may decide such ties differently.

Here ``resolution`` is ``N`` (one int, or one per axis) and ``period`` is ``P`` in the
library's coordinates.  ``period=None`` makes ``P = 2N/(N − 1)`` per axis: the ``N`` samples of
``linspace(−1, 1, N)`` (the library's grid, endpoints included) then fill exactly one period,
spaced ``P/N`` — the same torus of ``N`` samples as the official pixel centres in
``[−0.5, 0.5]`` with period 1.  (The official network is this one under the affine map of the
coordinates; the shift only moves the ``U(−π, π)`` phases, whose law modulo 2π it keeps.)  Use
``period=2.0`` for pixel-centre grids (``coordinate_grid(kind="centers")``).  The frozen integers
``k`` live in the ``constants`` collection, drawn at ``init`` from the ``params`` key, so vmapped
seeds draw different frequencies.

Multi-scale (``MultiscaleBACON``): one linear head per output layer (1-indexed over the filters;
``output_layers``), each band-limited by its own cumulative sum.  ``train_img.py``'s image net:
depth (``hidden_layers``) 4, ``input_scales = [1/8, 1/8, 1/4, 1/4, 1/4]``, ``output_layers =
[1, 2, 4]`` — limits ``N/8, N/4, N/2`` cycles per period, so the last head (layer 4) is the
full-band one; ``utils.write_multiscale_image_summary`` reports the PSNR of ``pred_img[-1]``, this
output.  The official image loss (``loss_functions.multiscale_image_mse`` with
``use_resized=False``) is ``torch.stack([(y_i − img)² for y_i in outputs]).mean()`` — the *mean*
over the heads of each head's MSE against the same full-resolution image
(:func:`multiscale_mse`).

Our choices: ``__call__`` returns the finest head ``(..., out_features)`` (what the library's
engine trains and evaluates; training it alone drops the coarse heads from the loss, a
deviation); ``all_scales=True`` returns every head stacked ``(S, ..., out_features)``, coarse to
fine, for :func:`multiscale_mse`.  Only the heads in ``output_layers`` are created (the official
``MultiscaleBACON`` builds one per filter and leaves the others unused) and filters after the last
output layer are not evaluated (no effect on any output).  The SDF/NeRF-only ``reuse_filters``
and ``output_act`` options are not implemented.

Initialisation (``modules.py`` ``mfn_weights_init`` and PyTorch defaults): hidden and output
kernels ``U(±√(6/width))`` (BACON's ``MFNBase`` ignores its ``weight_scale``), hidden and output
biases PyTorch's ``U(±1/√width)``, phases ``U(−π, π)``.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr import ops
from spectral_inr.models import initializers as inits
from spectral_inr.models.layers import SineLayer

PerAxis = Union[float, Sequence[float]]

#: train_img.py's multi-scale image net (used by ``input_scales=None`` / ``output_layers=None`` at depth 4).
IMAGE_INPUT_SCALES = (1 / 8, 1 / 8, 1 / 4, 1 / 4, 1 / 4)   # train_img.py init_model: input_scales
IMAGE_OUTPUT_LAYERS = (1, 2, 4)                           # train_img.py init_model: output_layers
MFN_WEIGHT_BOUND = 6.0   # modules.py mfn_weights_init: U(±√(6/fan_in)) for hidden and output kernels

#: The official image protocol: ``experiments/config/img/bacon.ini`` (hidden_features 256, hidden_layers 4,
#: res 256, lr 5e-3, multiscale true, num_steps 5001, centered true, batch_size 1 = the whole image) and
#: ``train_img.py`` (``frequency=(res, res)``, ``quantization_interval=2π``, the scales and outputs above;
#: the image centre-cropped to a square and resized to ``res`` (PIL ANTIALIAS), RGB in [0, 1], coordinates the
#: pixel centres in (−0.5, 0.5); validation on the same image resized to ``2·res``).  ``training.py``:
#: ``torch.optim.Adam(lr, amsgrad=True)``, constant learning rate (``use_lr_scheduler`` left False).
#: Loss: :func:`multiscale_mse` (``loss_functions.multiscale_image_mse``, ``use_resized=False``).
#: On the library's ``linspace(−1, 1, res)`` grid the default ``period=None`` reproduces their torus of ``res``
#: samples; a TUNER-style Kodak run sets ``resolution`` to the crop's side (512 or 128).
IMAGE_PROTOCOL = dict(width=256, depth=4, resolution=256, multiscale=True, input_scales=IMAGE_INPUT_SCALES,
                      output_layers=IMAGE_OUTPUT_LAYERS, lr=5e-3, optimizer="adam-amsgrad", steps=5001,
                      batch="full", validation_resolution=512)
#: The 1-D runs (``train_1d.py`` with ``config/1d/bacon_freq{1,2}.ini``): single-scale ``BACON``, hidden 128,
#: 4 hidden layers, ``frequency=[max_freq]`` — 16.5 (bacon_freq1) or 8.0 (bacon_freq2) samples per unit on the
#: domain (−0.5, 0.5) = one period (``quantization_interval=2π``) — lr 1e-2, 1001 steps; the target
#: ``dataio.sines1`` sampled at 1000 points, trained on every 1000/18-th.  Here: ``resolution`` = that rate,
#: ``period=2.0`` (the domain [−1, 1]; the default ``2N/(N − 1)`` assumes N grid samples).
SIGNAL_1D_PROTOCOL = dict(width=128, depth=4, resolutions=(16.5, 8.0), period=2.0, multiscale=False, lr=1e-2,
                          optimizer="adam-amsgrad", steps=1001)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _per_axis(v, dim: int, name: str, xp=jnp):
    """One value per input axis: a scalar is broadcast, a sequence must have ``dim`` entries."""
    if isinstance(v, (tuple, list)):
        if len(v) != dim:
            raise ValueError(f"Bacon: {name} has {len(v)} entries for {dim}-d inputs")
        return xp.stack([xp.asarray(a, xp.float32) for a in v])
    return xp.broadcast_to(xp.asarray(v, xp.float32), (dim,))


def multiscale_mse(outputs, target):
    """The official multi-scale loss: mean over the heads of each head's MSE against ``target``.

    ``outputs``: ``(S, ..., C)`` from ``Bacon.apply(..., all_scales=True)``; ``target``: ``(..., C)``.
    All heads have the same shape, so this is the plain mean of ``(outputs − target)²``.
    """
    return jnp.mean(jnp.square(outputs - target))


class QuantizedSineFilter(nn.Module):
    """``sin(xΩ + φ)`` with frozen ``Ω = 2π·k/P``, ``k_{a,j} ~ U{−K_a, …, K_a}`` per axis ``a``.

    ``k`` (int32, ``(d, features)``) is drawn at ``init`` from the ``params`` key into the
    ``constants`` collection; the phases ``φ ~ U(−π, π)`` are the only parameters.
    """

    features: int
    quanta: jax.Array    # K, one per axis, shape (d,)
    period: jax.Array    # P, one per axis, shape (d,)

    def frequencies(self, d: int) -> jax.Array:
        k_max = jnp.asarray(self.quanta).astype(jnp.int32)[:, None]
        return self.variable("constants", "k", lambda: jax.random.randint(
            self.make_rng("params"), (d, self.features), -k_max, k_max + 1, jnp.int32)).value

    @nn.compact
    def __call__(self, x):
        d = x.shape[-1]
        k = self.frequencies(d)
        omega = (2.0 * math.pi / jnp.asarray(self.period, x.dtype))[:, None] * k.astype(x.dtype)
        phase = self.param("phase", inits.uniform_bias(math.pi), (self.features,), d)
        return ops.sin(x @ omega + phase)


def _uniform(bound: float):
    def init(key, shape, dtype=jnp.float32):
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return init


class Bacon(nn.Module):
    """BACON (Lindell et al., CVPR 2022): a band-limited multiplicative filter network.

    Attributes:
      out_features: signal channels.
      width: hidden width (official ``hidden_size``).
      depth: hidden linear layers (official ``hidden_layers``); ``depth + 1`` filters.
      resolution: ``N``, samples per period, one int or one per axis (official ``frequency``, the
        image side in ``train_img.py``); the last output's band limit is about ``N/2`` cycles per period.
      multiscale: ``MultiscaleBACON`` (a head per output layer) or ``BACON`` (one head at the end).
      input_scales: ``s_l``, the share of the band of filter ``l`` (``depth + 1`` values).  ``None``:
        ``train_img.py``'s ``(1/8, 1/8, 1/4, 1/4, 1/4)`` for the multi-scale net at depth 4, else
        ``modules.py``'s uniform ``1/(depth + 1)`` (single-scale ``BACON`` always uses the latter;
        explicit scales there are our extension).
      output_layers: the multi-scale heads, 1-indexed filter numbers in ``1 … depth``.  ``None``:
        ``(1, 2, 4)`` at depth 4 (``train_img.py``), else every layer (``modules.py``).
      period: ``P`` in the input's units, one or one per axis; ``None``: ``2N/(N − 1)`` (see the
        module docstring).  Frequencies are multiples of ``2π/P``.

    ``resolution`` and ``period`` may be JAX tracers (vmapped sweeps); the rest is static.
    Call ``apply(variables, x)`` for the finest output ``(..., out_features)`` or
    ``apply(variables, x, all_scales=True)`` for every head ``(S, ..., out_features)``.
    """

    out_features: int = 3
    width: int = 256
    depth: int = 4
    resolution: PerAxis = 256
    multiscale: bool = True
    input_scales: Optional[Sequence[float]] = None
    output_layers: Optional[Sequence[int]] = None
    period: Optional[PerAxis] = None

    def __post_init__(self):
        for name in ("out_features", "width", "depth"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"Bacon: {name} must be a positive int, got {v!r}")
        for name in ("resolution", "period"):
            v = getattr(self, name)
            for a in (v if isinstance(v, (tuple, list)) else (v,)):
                if _is_number(a) and (a <= 0 or (name == "resolution" and self.period is None and a <= 1)):
                    raise ValueError(f"Bacon: {name} must be positive (resolution > 1 without a period), got {v!r}")
        scales = self.layer_scales()
        if any(_is_number(s) and s < 0 for s in scales):
            raise ValueError(f"Bacon: input_scales must be >= 0, got {scales}")
        if len(scales) != self.depth + 1:
            raise ValueError(f"Bacon: input_scales needs depth + 1 = {self.depth + 1} values, got {len(scales)}")
        if not self.multiscale and self.output_layers is not None:
            raise ValueError("Bacon: output_layers needs multiscale=True (single-scale BACON has one head)")
        heads = self.heads()
        if not heads or list(heads) != sorted(set(heads)) or heads[0] < 1 or heads[-1] > self.depth:
            raise ValueError(f"Bacon: output_layers must be increasing layer numbers in 1..{self.depth}, got {heads}")
        super().__post_init__()

    # --- the band-limit rule ------------------------------------------------------
    def layer_scales(self) -> tuple:
        """``s_l`` for the ``depth + 1`` filters (see ``input_scales``)."""
        if self.input_scales is not None:
            return tuple(self.input_scales)
        if self.multiscale and self.depth == len(IMAGE_INPUT_SCALES) - 1:
            return IMAGE_INPUT_SCALES
        return (1.0 / (self.depth + 1),) * (self.depth + 1)

    def heads(self) -> tuple:
        """The output layers (1-indexed filter numbers); ``(depth,)`` for single-scale BACON."""
        if not self.multiscale:
            return (self.depth,)
        if self.output_layers is not None:
            return tuple(int(i) for i in self.output_layers)
        if self.depth == IMAGE_OUTPUT_LAYERS[-1]:
            return IMAGE_OUTPUT_LAYERS
        return tuple(range(1, self.depth + 1))

    def _uniform_scales(self) -> bool:
        return self.input_scales is None and self.layer_scales() != IMAGE_INPUT_SCALES

    def _is_concrete(self) -> bool:
        res = self.resolution if isinstance(self.resolution, (tuple, list)) else (self.resolution,)
        return all(_is_number(v) for v in res) and all(_is_number(v) for v in self.layer_scales())

    def quanta(self, dim: int) -> np.ndarray:
        """``K_l ≈ round(N·s_l/2)`` per filter and axis, int ``(depth + 1, dim)``, by the official float64
        expression (see the module docstring); Python numbers only."""
        if not self._is_concrete():
            raise ValueError("Bacon.quanta needs a concrete resolution and input_scales")
        res = [float(v) for v in np.asarray(_per_axis(self.resolution, dim, "resolution", np))]
        q = 2.0 * math.pi                       # train_img.py: quantization_interval=2*np.pi
        if self._uniform_scales():              # modules.py: (np.pi * freq / (hidden_layers + 1)) / q
            rows = [[round((math.pi * n / (self.depth + 1)) / q) for n in res]] * (self.depth + 1)
        else:                                   # modules.py: (np.pi * freq * scale) / q
            rows = [[round((math.pi * n * float(s)) / q) for n in res] for s in self.layer_scales()]
        return np.asarray(rows, np.int64)

    def _quanta(self, dim: int) -> jax.Array:
        """:meth:`quanta` for concrete values, else the same expression in float32 (traced sweeps)."""
        if self._is_concrete():
            return jnp.asarray(self.quanta(dim), jnp.int32)
        res = _per_axis(self.resolution, dim, "resolution")
        scales = jnp.stack([jnp.asarray(s, jnp.float32) for s in self.layer_scales()])
        return jnp.round((jnp.pi * res[None, :] * scales[:, None]) / (2.0 * jnp.pi)).astype(jnp.int32)

    def band_limits(self, dim: int) -> np.ndarray:
        """Per head and axis, the highest frequency in cycles per period: ``Σ_{l ≤ i} K_l``, ``(S, dim)``."""
        cumulative = np.cumsum(self.quanta(dim), axis=0)
        return cumulative[list(self.heads())]

    def periods(self, dim: int) -> jax.Array:
        """``P`` per axis (``2N/(N − 1)`` without ``period``)."""
        if self.period is not None:
            return _per_axis(self.period, dim, "period")
        n = _per_axis(self.resolution, dim, "resolution")
        return 2.0 * n / (n - 1.0)

    # --- the network -------------------------------------------------------------
    @nn.compact
    def __call__(self, x, all_scales: bool = False, train: bool = False):
        d = x.shape[-1]
        quanta, period = self._quanta(d), self.periods(d)
        heads = self.heads()
        bound = math.sqrt(MFN_WEIGHT_BOUND / self.width)

        def linear(features, name):
            return SineLayer(features, None, kernel_init=_uniform(bound), bias_init=inits.torch_default_bias,
                             name=name)

        def filt(i):
            return QuantizedSineFilter(self.width, quanta[i], period, name=f"filter_{i}")(x)

        z = filt(0)
        outputs = []
        for i in range(1, heads[-1] + 1):
            z = filt(i) * linear(self.width, f"linear_{i - 1}")(z)
            if i in heads:
                outputs.append(linear(self.out_features, f"output_{i}" if self.multiscale else "output")(z))
        # train=True: the engine's training pass (Fitter(train_kwargs={"train": True})) takes every head for
        # multiscale_mse; its evaluation (train=False) the finest
        return jnp.stack(outputs) if all_scales or train else outputs[-1]
