"""WIRE: wavelet implicit neural representations (Saragadam et al., CVPR 2023, arXiv 2301.05187).

Every layer is ``ψ(z)`` of a linear map ``z``, with the complex Gabor wavelet

    ψ(z) = exp(j·ω0·z − |s0·z|²)

(``ComplexGaborLayer.forward`` of vishwa91/wire ``modules/wire.py``).  The first layer has
real weights on the real coordinates (``is_first`` → ``dtype=torch.float``), so ``z`` is
real there and ``ψ`` turns it complex; every later layer — hidden Gabor layers and the
linear output — has complex weights and biases (``torch.cfloat``), and the network
returns the real part of the complex output (``INR.forward``: ``output.real``).  The
hidden width is the nominal width divided by √2, ``int(width/√2)`` (``INR.__init__``: a
complex weight is two real numbers, so this keeps the parameter count of a real MLP).
SIREN² (hemanthgrylls/SIREN-square ``modules/networks.py`` ``WIRE``) and FINER
(liuzhen0212/FINER ``models.py`` ``Wire``) copy this class unchanged except for the
default ``ω0``/``s0``; their values are the :data:`WIRE_SETTINGS` below.

**Why not** :class:`~spectral_inr.models.layers.SineLayer`: its parameters are one real
kernel and bias and its activation one ``act(z, ω)``; WIRE's layers after the first take
complex inputs and have complex weights, a second hyper-parameter ``s0``, and (WIRE-2D)
a second linear map.

**Parameters are real.**  A complex weight ``W = W_re + j·W_im`` is stored as two real
leaves ``kernel_re``, ``kernel_im`` (and ``bias_re``, ``bias_im``), the layout of
PyTorch's ``torch.view_as_real``.  ``torch.optim.Adam`` updates a complex parameter
through ``view_as_real`` — two real parameters, each with its own second moment — and
that is what a plain ``optax.adam`` does on these leaves, step for step.  A plain
``optax.adam`` on *complex* leaves does not: JAX's gradient of a real loss with respect
to ``z = x + jy`` is ``∂L/∂x − j·∂L/∂y`` (the conjugate), so the imaginary parts would
climb the loss, and optax's second moment is one ``|g|²`` shared by the real and the
imaginary part (``tests/test_models_wire.py`` shows both against ``torch.optim.Adam``).
Real leaves also keep every other real-only tool of the library (masks, TUNER links,
checkpoints, float64 test casts) working unchanged.

Initialisation is PyTorch's ``nn.Linear`` default in every layer:
``kaiming_uniform_(a=√5)`` gives ``W ~ U(±1/√fan_in)`` and the bias ``U(±1/√fan_in)``;
for a ``cfloat`` tensor ``uniform_`` fills ``view_as_real``, i.e. real and imaginary
parts i.i.d. ``U(±1/√fan_in)`` (checked against torch in the tests).  ``ω0``/``s0`` are
fixed (the official ``trainable=False``: ``nn.Parameter(…, requires_grad=False)``).

``ω0`` and ``s0`` may be JAX tracers (vmapped sweeps): nothing branches on their values.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from spectral_inr.models import initializers as inits
from spectral_inr.models.mlp import SinusoidalMLP

Scalar = Any  # a Python float or a JAX scalar (possibly a tracer)


# ---------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------
def gabor(z, omega0, s0):
    """WIRE's complex Gabor wavelet ``ψ(z) = exp(j·ω0·z − |s0·z|²)`` (real or complex ``z``).

    vishwa91/wire ``modules/wire.py`` ``ComplexGaborLayer.forward``:
    ``torch.exp(1j*omega - scale.abs().square())`` with ``omega = ω0·z``, ``scale = s0·z``.
    ``|s0·z|²`` is computed as ``Re² + Im²`` (the same value, without the square root of ``|·|``).
    """
    sz = s0 * z
    return jnp.exp(1j * omega0 * z - (jnp.square(jnp.real(sz)) + jnp.square(jnp.imag(sz))))


def gabor2d(z, y, omega0, s0):
    """WIRE-2D: ``exp(j·ω0·z) · exp(−s0²·(|z|² + |y|²))`` with a second linear map ``y``.

    vishwa91/wire ``modules/wire2d.py`` ``ComplexGaborLayer2D.forward``.
    """
    arg = jnp.square(jnp.real(z)) + jnp.square(jnp.imag(z)) + jnp.square(jnp.real(y)) + jnp.square(jnp.imag(y))
    return jnp.exp(1j * omega0 * z) * jnp.exp(-(s0 * s0) * arg)


# ---------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------
def _linear(module: nn.Module, x, features: int, complex_weights: bool, prefix: str = ""):
    """``x @ W + b`` with PyTorch's default ``nn.Linear`` init; complex ``W`` and ``b`` kept
    as real ``*_re``/``*_im`` leaves (each part ``U(±1/√fan_in)``)."""
    fan_in = x.shape[-1]
    kernel_init, bias_init = inits.torch_default_kernel(), inits.torch_default_bias
    if not complex_weights:
        kernel = module.param(prefix + "kernel", kernel_init, (fan_in, features))
        return x @ kernel + module.param(prefix + "bias", bias_init, (features,), fan_in)
    kernel = jax.lax.complex(module.param(prefix + "kernel_re", kernel_init, (fan_in, features)),
                             module.param(prefix + "kernel_im", kernel_init, (fan_in, features)))
    bias = jax.lax.complex(module.param(prefix + "bias_re", bias_init, (features,), fan_in),
                           module.param(prefix + "bias_im", bias_init, (features,), fan_in))
    return x @ kernel + bias


class GaborLayer(nn.Module):
    """``ψ(xW + b)``: WIRE's ``ComplexGaborLayer`` (``two_d=False``) or WIRE-2D's
    ``ComplexGaborLayer2D`` (``two_d=True``: a second map ``y = xW' + b'`` in the window).

    Attributes:
      features: output width.
      omega0, s0: the wavelet's frequency ``ω0`` and window scale ``s0`` (floats or tracers).
      complex_weights: ``False`` for the first layer (real weights on real coordinates,
        the official ``is_first``), ``True`` after it.
      two_d: WIRE-2D's second linear map (its leaves are prefixed ``orth_``).
    """

    features: int
    omega0: Scalar = 20.0
    s0: Scalar = 30.0
    complex_weights: bool = True
    two_d: bool = False

    @nn.compact
    def __call__(self, x):
        z = _linear(self, x, self.features, self.complex_weights)
        if not self.two_d:
            return gabor(z, self.omega0, self.s0)
        y = _linear(self, x, self.features, self.complex_weights, prefix="orth_")
        return gabor2d(z, y, self.omega0, self.s0)


class ComplexLinearReal(nn.Module):
    """WIRE's output layer: a complex ``nn.Linear`` (PyTorch default init), then the real part.

    ``bias_im`` never reaches the output, so its gradient is zero and it never moves; it
    is kept because the official model has it (parameter counts match).
    """

    features: int

    @nn.compact
    def __call__(self, x):
        return jnp.real(_linear(self, x, self.features, complex_weights=True))


# ---------------------------------------------------------------------------
# width rules
# ---------------------------------------------------------------------------
WIDTH_RULES = ("sqrt2", "half", "none")


def hidden_width(width: int, rule: str) -> int:
    """The hidden width the official code builds from a nominal ``width``.

    ``"sqrt2"``: ``int(width/√2)`` (``modules/wire.py`` ``INR.__init__``; also SIREN²'s
    ``WIRE`` and FINER's ``Wire``); ``"half"``: ``int(width/2)`` (``modules/wire2d.py``:
    two complex maps per layer); ``"none"``: ``width`` itself.
    """
    if rule == "sqrt2":
        return int(width / math.sqrt(2))
    if rule == "half":
        return int(width / 2)
    if rule == "none":
        return int(width)
    raise ValueError(f"width_rule must be one of {WIDTH_RULES}, got {rule!r}")


def _check(out_features, width, depth, omega0, s0):
    for name, v in dict(out_features=out_features, width=width, depth=depth).items():
        if not isinstance(v, (int, np.integer)) or v <= 0:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    for name, v in dict(omega0=omega0, s0=s0).items():   # traced values (sweeps) pass through
        if v is None or (isinstance(v, (int, float, np.integer, np.floating)) and v <= 0):
            raise ValueError(f"{name} must be positive, got {v}")


# ---------------------------------------------------------------------------
# presets
# ---------------------------------------------------------------------------
# wire_image_denoise.py l.38: "We suggest omega0 = 4 and sigma0 = 4 for denoising, and
# omega0=20, sigma0=30 for image representation".
WIRE_OMEGA0 = 20.0
WIRE_S0 = 30.0


def Wire(out_features: int = 3, width: int = 256, depth: int = 3, omega0: Scalar = WIRE_OMEGA0,
         s0: Scalar = WIRE_S0, first_omega0: Optional[Scalar] = None, width_rule: str = "sqrt2") -> SinusoidalMLP:
    """WIRE (vishwa91/wire ``modules/wire.py`` ``INR``).

    ``depth`` Gabor layers (the official ``hidden_layers + 1``: WIRE's "2 hidden layers" is
    ``depth=3``) of hidden width :func:`hidden_width` ``(width, width_rule)`` — ``int(width/√2)``
    by default, as the official code — then a complex linear output whose real part is
    returned.  ``first_omega0`` (default ``omega0``) is the first layer's ``ω0`` (the official
    ``first_omega_0``; every official script sets both equal); ``s0`` is shared by all layers.
    Defaults: the authors' suggestion for image representation (``ω0 = 20, s0 = 30``) on
    their 2 × 256 network.  Other sources' values: :func:`wire_for` and :data:`WIRE_SETTINGS`.
    """
    return _wire(out_features, width, depth, omega0, s0, first_omega0, width_rule, two_d=False)


def Wire2d(out_features: int = 3, width: int = 300, depth: int = 3, omega0: Scalar = 10.0, s0: Scalar = 10.0,
           first_omega0: Optional[Scalar] = None, width_rule: str = "half") -> SinusoidalMLP:
    """WIRE-2D (``modules/wire2d.py``, paper §4.4): each Gabor layer has a second linear map in
    its Gaussian window, ``exp(j·ω0·z)·exp(−s0²(|z|² + |y|²))``; hidden width ``int(width/2)``.
    Defaults: ``wire_ct.py`` (the one script that uses it: ``ω0 = s0 = 10``, 2 × 300)."""
    return _wire(out_features, width, depth, omega0, s0, first_omega0, width_rule, two_d=True)


def _wire(out_features, width, depth, omega0, s0, first_omega0, width_rule, two_d):
    first = omega0 if first_omega0 is None else first_omega0
    _check(out_features, width, depth, first, s0)
    _check(out_features, width, depth, omega0, s0)
    h = hidden_width(width, width_rule)
    if h < 1:
        raise ValueError(f"width {width} leaves no hidden unit under width_rule {width_rule!r}")
    layers = [GaborLayer(h, first, s0, complex_weights=False, two_d=two_d)]
    layers += [GaborLayer(h, omega0, s0, complex_weights=True, two_d=two_d) for _ in range(depth - 1)]
    layers.append(ComplexLinearReal(out_features))
    return SinusoidalMLP(tuple(layers))


# ---------------------------------------------------------------------------
# the sources' settings (model + training), as data
# ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class WireSetting:
    """One script's WIRE run.  ``epochs`` counts the official loop's iterations; the learning
    rate is ``lr · decay^(e/decay_every)`` at epoch ``e`` (``staircase``: ``⌊e/decay_every⌋``),
    never below ``lr · floor`` — ``LambdaLR(lambda x: f**min(x/niters, 1))`` is
    ``decay=f, decay_every=epochs, floor=f``; ``StepLR(step, γ)`` is ``decay=γ,
    decay_every=step, staircase=True``.  ``batch``: points per step (``None``: all);
    ``lr_times_batch_fraction``: the script multiplies ``lr`` by ``min(1, batch/N)``.
    """

    source: str
    omega0: float
    s0: float
    depth: int
    width: int
    lr: float
    epochs: int
    decay: float = 1.0
    decay_every: int = 1
    staircase: bool = False
    floor: float = 0.0
    batch: Optional[int] = None
    lr_times_batch_fraction: bool = False
    two_d: bool = False
    target_range: tuple = (0.0, 1.0)

    def model(self, out_features: int = 3) -> SinusoidalMLP:
        build = Wire2d if self.two_d else Wire
        return build(out_features, width=self.width, depth=self.depth, omega0=self.omega0, s0=self.s0)

    def initial_lr(self, n_points: Optional[int] = None) -> float:
        if self.lr_times_batch_fraction and self.batch is not None and n_points:
            return self.lr * min(1.0, self.batch / n_points)
        return self.lr

    def lr_schedule(self, n_points: Optional[int] = None, steps_per_epoch: int = 1) -> optax.Schedule:
        """The per-step schedule; the official schedulers step once per epoch, so with
        ``steps_per_epoch > 1`` the rate is held over each epoch's steps."""
        lr = self.initial_lr(n_points)
        per_epoch = optax.exponential_decay(lr, self.decay_every, self.decay, staircase=self.staircase,
                                            end_value=lr * self.floor if self.floor else None)
        return per_epoch if steps_per_epoch == 1 else (lambda step: per_epoch(step // steps_per_epoch))


_W = "vishwa91/wire@bf95232"
_S2 = "hemanthgrylls/SIREN-square@c3a60f5"
_F = "liuzhen0212/FINER@51a9254"

WIRE_SETTINGS = {
    # ω0, s0 from the comment l.38 ("omega0=20, sigma0=30 for image representation"); the rest is
    # the script's own run: lr 5e-3 (l.29) × min(1, maxpoints/HW) (l.89), 0.1^min(x/niters, 1)
    # per epoch (l.93), 2000 epochs (l.28), 2 hidden × 256 (l.43-44), 256² points per step (l.45).
    "wire-image": WireSetting(_W + " wire_image_denoise.py (comment l.38)", 20.0, 30.0, 3, 256, 5e-3, 2000,
                              decay=0.1, decay_every=2000, floor=0.1, batch=256 * 256, lr_times_batch_fraction=True),
    # the same script as run: omega0 = sigma0 = 5 (l.39-40).
    "wire-denoise": WireSetting(_W + " wire_image_denoise.py l.39-40", 5.0, 5.0, 3, 256, 5e-3, 2000,
                                decay=0.1, decay_every=2000, floor=0.1, batch=256 * 256, lr_times_batch_fraction=True),
    # omega0 8, sigma0 6 (l.41-42), lr 1e-2 (l.32), 0.2^min(x/niters, 1) per step (l.91), 2000 (l.31).
    "wire-sisr": WireSetting(_W + " wire_SISR.py l.31-46, l.91", 8.0, 6.0, 3, 256, 1e-2, 2000,
                             decay=0.2, decay_every=2000, floor=0.2),
    # omega0 10, sigma0 40 (l.37-38), lr 5e-3 (l.30), 0.2^… per epoch (l.91), 200 epochs (l.29),
    # batch 2e5 (l.43); 3-D input, 1 output.
    "wire-occupancy": WireSetting(_W + " wire_occupancy.py l.29-43, l.91", 10.0, 40.0, 3, 256, 5e-3, 200,
                                  decay=0.2, decay_every=200, floor=0.2, batch=200_000),
    # omega0 10, sigma0 5 (l.51-52), lr 5e-3 (l.35), no scheduler, 2000 epochs (l.34).
    "wire-multi-sr": WireSetting(_W + " wire_multi_sr.py l.34-65", 10.0, 5.0, 3, 256, 5e-3, 2000),
    # WIRE-2D: omega0 = sigma0 = 10 (l.38-39), 2 hidden × 300 (l.42-43), lr 5e-3 (l.26), 0.1^… (l.94), 5000 (l.25).
    "wire-ct": WireSetting(_W + " wire_ct.py l.25-43, l.94", 10.0, 10.0, 3, 300, 5e-3, 5000,
                           decay=0.1, decay_every=5000, floor=0.1, two_d=True),
    # SIREN²'s WIRE baseline: class defaults first/hidden ω0 10, scale 10 (networks.py l.393), built with
    # hidden_layers = n_HLs − 1 (learn_images.py l.49); n_HLs 5, HL_dim 256, lr 1e-4, StepLR(20, 0.998),
    # 4000 epochs (l.24-30; train_utils.py l.28-29), 256² points per step (l.88); target in [−1, 1].
    "siren2-image": WireSetting(_S2 + " learn_images.py l.24-49, l.88", 10.0, 10.0, 5, 256, 1e-4, 4000,
                                decay=0.998, decay_every=20, staircase=True, batch=256 * 256, target_range=(-1.0, 1.0)),
    # audio: n_HLs 4, HL_dim 222, lr 1e-4, StepLR(20, 0.99), 1000 epochs (learn_audios.py l.27-33),
    # batch min(N, 256²) (l.82-83); waveform / max|·| in [−1, 1].
    "siren2-audio": WireSetting(_S2 + " learn_audios.py l.27-59, l.82-83", 10.0, 10.0, 4, 222, 1e-4, 1000,
                                decay=0.99, decay_every=20, staircase=True, batch=256 * 256, target_range=(-1.0, 1.0)),
    # FINER's WIRE baseline: ω0 20, scale 10, lr 5e-3 (run_wire.sh l.3-6); hidden_layers 3, 256, 5000
    # full-batch epochs (train_image.py l.72-79), 0.1^min(it/N, 1) per step (l.96); target in [−1, 1] (l.33-35).
    "finer-image": WireSetting(_F + " run_wire.sh l.3-6, train_image.py l.72-96", 20.0, 10.0, 4, 256, 5e-3, 5000,
                               decay=0.1, decay_every=5000, floor=0.1, target_range=(-1.0, 1.0)),
}


def wire_for(setting: str, out_features: int = 3) -> SinusoidalMLP:
    """The WIRE model of one of :data:`WIRE_SETTINGS` (``"wire-image"``, ``"finer-image"``, …)."""
    try:
        return WIRE_SETTINGS[setting].model(out_features)
    except KeyError:
        raise ValueError(f"unknown WIRE setting {setting!r}; choose one of {', '.join(WIRE_SETTINGS)}") from None
