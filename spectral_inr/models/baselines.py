"""The baseline zoo, part one: Gauss, HOSC, sinc, SIREN-RFF and ReLU+PE (issue 21).

Every model is a :class:`~spectral_inr.models.mlp.SinusoidalMLP` of
:class:`~spectral_inr.models.layers.SineLayer` s (after an encoding layer where the
method has one), initialised as its authors' code does.  Conventions as in
:mod:`spectral_inr.models.presets`: ``depth`` hidden nonlinear layers of ``width``
units, then a linear output of ``out_features``.  Hyper-parameters (``scale``,
``omega0``, ``beta``, ``sigma``) may be traced values of a vmapped sweep; only
Python numbers are range-checked.  Random matrices live in the ``constants``
collection, drawn from the ``params`` key, so vmapped seeds differ.

Reference code (read for the facts cited below; nothing copied):

* WIRE — vishwa91/wire ``modules/gauss.py``, ``modules/relu.py``, ``modules/models.py``.
* FINER — liuzhen0212/FINER ``models.py`` (``Gauss``, ``PEMLP``), ``train_image.py``.
* SIREN² — hemanthgrylls/SIREN-square ``modules/networks.py`` (``GAUSS``, ``SIREN_RFF``,
  ``RFF``, ``ReLU_PE``, ``PosEncoding``), ``learn_images.py``, ``learn_audios.py``.

PyTorch's ``nn.Linear`` default (``kaiming_uniform_(a=√5)``) is ``W ~ U(±1/√fan_in)``
with bias ``U(±1/√fan_in)``: :func:`~spectral_inr.models.initializers.torch_default_kernel`
and :func:`~spectral_inr.models.initializers.torch_default_bias`.
"""
from __future__ import annotations

import functools
import math
from typing import Optional, Sequence, Union

from spectral_inr.models import activations as act
from spectral_inr.models import initializers as inits
from spectral_inr.models.layers import (NERF_PE_SIDELENGTH, FourierFeatures, NerfPositionalEncoding, SineLayer)
from spectral_inr.models.mlp import SinusoidalMLP
from spectral_inr.models.presets import _check_positive, _is_number, _siren_stack

# Architecture defaults shared by the zoo: FINER's train_image.py (--hidden_layers 3 after the
# first layer, --hidden_features 256) and SIREN²'s networks.py (n_HLs=4 sine layers).
BASELINE_WIDTH = 256
BASELINE_DEPTH = 4

GAUSS_SCALE = 30.0
"""FINER ``models.py`` ``Gauss(scale=30.0)`` / ``train_image.py --scale 30`` / ``run_gauss.sh SCALE=30``;
SIREN² ``networks.py`` ``GAUSS(scale=30.0)``.  (WIRE's ``GaussLayer``/``get_INR`` default is 10.)"""

HOSC_OMEGA0 = 30.0          # our choice: SIREN's ω0 (no authors' code found)
HOSC_BETA = act.HOSC_BETA   # our choice, see activations.HOSC_BETA
SINC_OMEGA0 = 30.0          # our choice: SIREN's ω0 (no authors' code found)

SIREN_RFF_SIGMA = 30.0          # SIREN² networks.py RFF: torch.normal(mean=0, std=30.0)
SIREN_RFF_OMEGA0 = 30.0         # SIREN² networks.py SIREN_RFF(w0=30)
SIREN_RFF_FIRST_OMEGA0 = 3000.0  # SIREN² networks.py SIREN_RFF(first_w0=3000)

FINER_PEMLP = {"num_frequencies": 10, "base_frequency": 1.0}
"""FINER's ``PEMLP`` encoding (``models.py``: ``N_freqs=10``, ``freq_bands = 2**linspace(0, N−1, N)``,
no π; ``train_image.py --N_freqs 10``): ``ReluPe(**FINER_PEMLP)``."""


def _torch_default_stack(encoding, out_features, width, depth, omega, activation):
    """``[encoding] + depth × act(ω·(xW + b)) + linear``, every dense layer PyTorch's default init."""
    layers = [] if encoding is None else [encoding]
    layers += [SineLayer(width, omega, activation, inits.torch_default_kernel(), inits.torch_default_bias)
               for _ in range(depth)]
    layers.append(SineLayer(out_features, None, kernel_init=inits.torch_default_kernel(),
                            bias_init=inits.torch_default_bias))
    return SinusoidalMLP(tuple(layers))


def Gauss(out_features: int = 3, width: int = BASELINE_WIDTH, depth: int = BASELINE_DEPTH,
          scale: float = GAUSS_SCALE) -> SinusoidalMLP:
    """Gaussian-activated MLP (Ramasinghe & Lucey 2022) as WIRE, FINER and SIREN² run it.

    ``h ← exp(−(s·(hW + b))²)`` for ``depth`` layers, then ``y = hW + b``.  Every layer,
    the output included, keeps PyTorch's ``nn.Linear`` default init ``W, b ~ U(±1/√fan_in)``
    (no custom init in WIRE ``modules/gauss.py`` ``INR``, FINER ``models.py`` ``Gauss``,
    SIREN² ``networks.py`` ``GAUSS``).  Default ``s = 30`` (FINER, SIREN²; WIRE: 10).
    """
    _check_positive(out_features=out_features, width=width, depth=depth, scale=scale)
    return _torch_default_stack(None, out_features, width, depth, scale, act.gauss)


def Hosc(out_features: int = 3, width: int = BASELINE_WIDTH, depth: int = BASELINE_DEPTH,
         omega0: float = HOSC_OMEGA0, beta: float = HOSC_BETA) -> SinusoidalMLP:
    """HOSC (Serrano et al., arXiv 2401.10967): ``h ← tanh(β·sin(ω0·(hW + b)))``, linear output.

    The paper presents HOSC as a drop-in replacement of SIREN's sine; we found no
    authors' code, so the init is SIREN's (our choice): first kernel ``U(±1/d)``, later
    kernels (output included) ``U(±√(6/n)/ω0)``, biases ``U(±1/√fan_in)`` — which keeps
    ``ω0·z`` at unit scale, where ``tanh(β sin ·)`` has its full range.  ``ω0 = 30``
    (SIREN's) and ``β = 8`` are our choices too (see :data:`HOSC_BETA`).
    """
    _check_positive(beta=beta)
    activation = functools.partial(act.hosc, beta=beta)
    return _siren_stack(out_features, width, depth, omega0, omega0, activation)


def Sinc(out_features: int = 3, width: int = BASELINE_WIDTH, depth: int = BASELINE_DEPTH,
         omega0: float = SINC_OMEGA0) -> SinusoidalMLP:
    """Sinc-activated MLP (Saratchandran et al., ICML 2024, arXiv 2402.05427):
    ``h ← sinc(ω0·(hW + b))`` with the normalised ``sinc(u) = sin(πu)/(πu)``, linear output.

    No authors' code found: the init is SIREN's (our choice; ``sinc(ω z)`` is a sine of
    frequency ``πω`` under a ``1/(πωz)`` envelope, and SIREN's ``U(±√(6/n)/ω0)`` keeps the
    hidden ``ω0·z`` at unit scale, i.e. on the main lobe and first side lobes, whatever
    ``ω0``): first kernel ``U(±1/d)``, later kernels ``U(±√(6/n)/ω0)``, biases
    ``U(±1/√fan_in)``.  ``ω0 = 30`` is our choice as well.
    """
    return _siren_stack(out_features, width, depth, omega0, omega0, act.sinc)


def SirenRff(out_features: int = 1, width: int = BASELINE_WIDTH, depth: int = BASELINE_DEPTH,
             sigma: float = SIREN_RFF_SIGMA, num_features: Optional[int] = None,
             omega0: float = SIREN_RFF_OMEGA0, first_omega0: float = SIREN_RFF_FIRST_OMEGA0,
             in_features: int = 1) -> SinusoidalMLP:
    """SIREN on random Fourier features, SIREN²'s baseline (hemanthgrylls/SIREN-square
    ``modules/networks.py`` ``RFF`` + ``SIREN_RFF``).

    ``γ(x) = [cos(xB), sin(xB)]`` with ``B ~ N(0, σ²)`` of shape ``(d, m)`` — no ``2π``,
    cosines first, ``m = width // 2`` (``n_rff_features = HL_dim//2``) unless
    ``num_features`` is given; ``B`` is fixed (a registered buffer there, the
    ``constants`` collection here).  Then ``sin(ω_first·(γW + b))``, ``depth − 1`` layers
    ``sin(ω0·(hW + b))`` and a linear output.

    Init as ``SIREN_RFF.__init__``: the first sine layer's kernel ``U(±1/d)`` with ``d``
    the *coordinate* dimension ``in_features`` (``uniform_(-1.0/in_dim, 1.0/in_dim)``, not
    ``1/fan_in = 1/(2m)``), every later kernel, the output's included, ``U(±√(6/n)/ω0)``
    (``n = width``); biases keep PyTorch's ``U(±1/√fan_in)``.  Defaults are the class's
    (audio): ``σ = 30``, ``ω0 = 30``, ``ω_first = 3000``, ``depth = n_HLs = 4``,
    ``in_features = 1``; the encoding rejects coordinates of another dimension.
    """
    if num_features is None:
        num_features = width // 2
    _check_positive(out_features=out_features, width=width, depth=depth, sigma=sigma, num_features=num_features,
                    omega0=omega0, first_omega0=first_omega0, in_features=in_features)
    layers = [FourierFeatures(int(num_features), sigma, two_pi=False, in_features=int(in_features)),
              SineLayer(width, first_omega0, act.sine, inits.uniform_kernel(1.0 / in_features),
                        inits.torch_default_bias)]
    layers += [SineLayer(width, omega0, act.sine, inits.siren_hidden_uniform(omega0), inits.torch_default_bias)
               for _ in range(depth - 1)]
    layers.append(SineLayer(out_features, None, kernel_init=inits.siren_hidden_uniform(omega0),
                            bias_init=inits.torch_default_bias))
    return SinusoidalMLP(tuple(layers))


def ReluPe(out_features: int = 3, width: int = BASELINE_WIDTH, depth: int = BASELINE_DEPTH,
           num_frequencies: Optional[int] = None, sidelength: Union[int, Sequence[int]] = NERF_PE_SIDELENGTH,
           base_frequency: float = math.pi) -> SinusoidalMLP:
    """ReLU MLP on NeRF's positional encoding, the PE baseline of WIRE (``modules/relu.py``
    ``INR(pos_encode=True)``), SIREN² (``networks.py`` ``ReLU_PE``) and FINER (``PEMLP``).

    ``γ(x) = [x, sin(f_k x_i), cos(f_k x_i)]``, ``f_k = base·2^k`` for ``k < L``
    (:class:`~spectral_inr.models.layers.NerfPositionalEncoding`), then ``depth`` layers
    ``relu(hW + b)`` and a linear output, all PyTorch's default init.  Default: WIRE's /
    SIREN²'s encoding, ``base = π`` and ``L`` from the Nyquist rule on ``sidelength``
    (:func:`~spectral_inr.models.layers.nerf_num_frequencies`: ``⌊log2(n/4)⌋`` for 1-D/2-D,
    10 for 3-D; ``sidelength = 512`` as both codes default, 7 octaves).  FINER's PEMLP:
    ``ReluPe(**FINER_PEMLP)`` (``f_k = 2^k``, ``L = 10``).
    """
    _check_positive(out_features=out_features, width=width, depth=depth, base_frequency=base_frequency)
    if num_frequencies is not None and (not _is_number(num_frequencies) or num_frequencies < 0):
        raise ValueError(f"num_frequencies must be a non-negative int or None, got {num_frequencies}")
    side = int(sidelength) if _is_number(sidelength) else tuple(int(v) for v in sidelength)
    encoding = NerfPositionalEncoding(None if num_frequencies is None else int(num_frequencies), side,
                                      base_frequency)
    return _torch_default_stack(encoding, out_features, width, depth, 1.0, act.relu)
