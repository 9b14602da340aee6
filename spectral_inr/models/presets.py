"""Model presets: each builds a :class:`SinusoidalMLP` from ``SineLayer``s.

Shared conventions: ``width`` is the hidden width, ``depth`` the number of
hidden sine layers (so SIREN "3×256" is ``depth=3, width=256``: three sine
layers then a linear output), ``out_features`` the signal channels.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from spectral_inr.models import activations as act
from spectral_inr.models import initializers as inits
from spectral_inr.models import siren2_scales
from spectral_inr.models import tuner_frequencies
from spectral_inr.models.layers import (FourierFeatures, IntegerFrequencyEncoding, PositionalEncoding, SineLayer,
                                        UniformIntegerFrequencies)
from spectral_inr.models.mlp import SinusoidalMLP
from spectral_inr.protocols.tuner import C_DEEP, C_HIGH, C_LOW, OMEGA_G


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating))


def _check_positive(**values):
    """Reject non-positive Python numbers; traced values (vmapped sweeps) pass through."""
    for name, v in values.items():
        if v is None or (_is_number(v) and v <= 0):
            raise ValueError(f"{name} must be positive, got {v}")


def _siren_stack(out_features, width, depth, omega0, first_omega0, activation,
                 first_bias_init=inits.torch_default_bias, noise_stds=(0.0, 0.0)):
    _check_positive(out_features=out_features, width=width, depth=depth, omega0=omega0, first_omega0=first_omega0)

    def kernel(i):
        base = inits.siren_first_uniform() if i == 0 else inits.siren_hidden_uniform(omega0)
        std = noise_stds[i] if i < len(noise_stds) else 0.0
        no_noise = _is_number(std) and std == 0
        return base if no_noise else inits.with_gaussian_noise(base, std)

    layers = [SineLayer(width, first_omega0 if i == 0 else omega0, activation, kernel(i),
                        first_bias_init if i == 0 else inits.torch_default_bias)
              for i in range(depth)]
    layers.append(SineLayer(out_features, None, kernel_init=kernel(depth)))
    return SinusoidalMLP(tuple(layers))


def Siren(out_features: int = 3, width: int = 256, depth: int = 3, omega0: float = 30.0,
          first_omega0: float = 30.0) -> SinusoidalMLP:
    """SIREN (Sitzmann et al. 2020): ``sin(ω0·(Wx+b))`` layers, linear output.

    First layer ``W ~ U(±1/fan_in)`` with ``first_omega0`` (audio: 3000); later
    layers ``W ~ U(±√(6/fan_in)/ω0)``; biases PyTorch's ``U(±1/√fan_in)``.
    """
    return _siren_stack(out_features, width, depth, omega0, first_omega0, act.sine)


SIREN2_SCHEMES = ("repo", "notebook")
SIREN2_NOTEBOOK_DECAY = 100.0   # WINNER_play_with_weights.ipynb: SIREN_square(a=100)


def Siren2(out_features: int = 3, width: int = 256, depth: int = 3, omega0: float = 30.0,
           first_omega0: float = 30.0, noise_scales: Sequence[float] = (0.0, 0.0), scheme: str = "repo",
           decay: float = SIREN2_NOTEBOOK_DECAY) -> SinusoidalMLP:
    """SIREN² / WINNER (arXiv 2509.09719): SIREN with Gaussian noise added to the
    uniform kernels at init; biases untouched.  Two schemes of the authors' code:

    * ``"repo"`` (``modules/networks.py`` ``SIREN_square``): layer-0 and layer-1
      kernels get ``N(0, (S/ω0)²)``, ``S = noise_scales = (S0, S1)``.  Use
      :func:`siren2_for_signal` to take ``(S0, S1)`` from the target's spectral
      centroid.
    * ``"notebook"`` (``WINNER_play_with_weights.ipynb``, "official
      implementation of SIREN^2"): no noise on the input layer; hidden kernel
      ``k = 0 … depth − 1`` (``net[2], net[4], …``, the last being the linear
      output) gets std ``S0 / decay^k`` — ``S0 = noise_scales[0]`` is the std
      itself (the notebook suggests ``1/ω0`` for audio), ``decay = a = 100``;
      ``noise_scales[1]`` is unused.  The notebook's audio default is
      ``first_omega0 = 3000``.
    """
    if scheme not in SIREN2_SCHEMES:
        raise ValueError(f"scheme must be one of {SIREN2_SCHEMES}, got {scheme!r}")
    s0, s1 = noise_scales
    if any(_is_number(s) and s < 0 for s in (s0, s1)):
        raise ValueError(f"noise scales must be >= 0, got {noise_scales}")
    if scheme == "repo":
        stds = (s0 / omega0, s1 / omega0)
    else:
        stds = (0.0,) + tuple(s0 / decay ** k for k in range(depth))
    return _siren_stack(out_features, width, depth, omega0, first_omega0, act.sine, noise_stds=stds)


def siren2_for_signal(signal, kind: str, **kwargs) -> SinusoidalMLP:
    """SIREN² with noise scales from ``signal`` (see :mod:`siren2_scales`)."""
    return Siren2(noise_scales=siren2_scales.noise_scales(signal, kind), **kwargs)


def Finer(out_features: int = 3, width: int = 256, depth: int = 3, omega0: float = 30.0,
          first_omega0: float = 30.0, first_bias_scale: Optional[float] = None,
          stop_gradient_scale: bool = True) -> SinusoidalMLP:
    """FINER (Liu et al., CVPR 2024): ``sin(ω0·(|z|+1)·z)`` with SIREN init.

    ``first_bias_scale=k`` draws the first-layer bias from ``U(−k, k)`` (FINER++
    uses larger k to widen the initial spectrum); the scale ``|z|+1`` is under
    stop-gradient unless ``stop_gradient_scale=False``.
    """
    activation = act.finer if stop_gradient_scale else act.finer_full_gradient
    first_bias = inits.torch_default_bias if first_bias_scale is None else inits.uniform_bias(first_bias_scale)
    return _siren_stack(out_features, width, depth, omega0, first_omega0, activation, first_bias)


# TUNER's defaults: config_init.yml's ω_G and bounds (spectral_inr.protocols.tuner)
TUNER_OMEGA_G, TUNER_C_LOW, TUNER_C_HIGH, TUNER_C_DEEP = OMEGA_G, C_LOW, C_HIGH, C_DEEP


def Tuner(out_features: int = 3, frequencies: Optional[Sequence[Sequence[int]]] = None,
          low_limit: int | Sequence[int] | None = None, *, period: float = 3.0, width: int = 416, depth: int = 1,
          omega_g: float = TUNER_OMEGA_G, c_low: float = TUNER_C_LOW, c_high: float = TUNER_C_HIGH,
          c_deep: float = TUNER_C_DEEP, hidden_init: str = "normal", learned_bounds: bool = False,
          phase_init: str = "official") -> SinusoidalMLP:
    """TUNER (Novello et al., arXiv 2407.21121) on an explicit frequency list.

    Input layer ``sin(2π·k·x/p + φ)`` with the frozen integer ``frequencies`` ``k``
    and period ``p`` (default 3: the paper's ablation scripts), then ``depth``
    hidden layers ``sin(ω_G(Wx+b))`` and a linear output.  The first hidden
    matrix starts ``W_j· ~ N(0, (0.3·c_j/ω_G)²)`` (``hidden_init="normal"``) or
    SIREN-uniform (``"siren"``), with ``c_j = c_low`` for input frequencies
    in the low box ``|k_i| ≤ l_i ∀i`` (``low_limit``: one int, i.e. ``|k|∞ ≤ l``,
    or one int per input axis) and ``c_high`` otherwise.  The two other ways to choose
    the frequencies have their own presets: :func:`TunerReference` (the authors'
    Kodak list, period 4) and :func:`TunerSampled` (the paper's recipe below a
    bandlimit, in any dimension).

    Bounds ``|ω_G·W_ij| ≤ c_j`` are kept by :func:`spectral_inr.optim.tuner_bounds`
    (with :func:`tuner_bound_groups`) or, with ``learned_bounds=True``, by the
    reparametrisation ``W = c_j·tanh(ω_G·V)/ω_G`` with trainable ``c_j``.

    Phases start as PyTorch's default bias ``U(±1/√d)`` (``phase_init="official"``:
    DianaPat/TUNER ``train_mrnet.py`` builds its ``Initializer`` with
    ``bias_init=False``) or ``U(±π/2)`` (``"half-pi"``: the ``Initializer``'s
    own default, ``initialize_bias``).
    """
    if frequencies is None:
        raise ValueError("Tuner needs frequencies (or use TunerReference / TunerSampled)")
    if low_limit is None:
        raise ValueError("explicit frequencies need an explicit low_limit")
    frequencies = tuple(tuple(int(v) for v in k) for k in frequencies)
    if not _is_number(low_limit):   # per axis: a hashable tuple (flax attribute), one int per input axis
        low_limit = tuner_frequencies.per_axis(low_limit, len(frequencies[0]), "low_limit")
    _check_positive(out_features=out_features, width=width, depth=depth, omega_g=omega_g, period=period)
    rows = tuner_frequencies.row_bounds(frequencies, low_limit, c_low, c_high)
    layers = [IntegerFrequencyEncoding(frequencies, period, low_limit=low_limit, phase_init=_phase_init(phase_init))]
    for i in range(depth):
        bound = (tuple(rows.tolist()) if i == 0 else float(c_deep))
        if learned_bounds:
            # V ~ N(0, (0.3/ω_G)²): c·tanh(ω_G·V)/ω_G ≈ N(0, (0.3·c/ω_G)²), the fixed-bound init.
            kernel = inits.normal(inits.TUNER_INIT_STD_FACTOR / omega_g)
            layers.append(SineLayer(width, omega_g, act.sine, kernel, learned_bound=bound))
        else:
            if hidden_init == "normal":
                kernel = inits.tuner_hidden_normal(rows if i == 0 else [c_deep] * width, omega_g)
            elif hidden_init == "siren":
                kernel = inits.siren_hidden_uniform(omega_g)
            else:
                raise ValueError(f"hidden_init must be 'normal' or 'siren', got {hidden_init!r}")
            layers.append(SineLayer(width, omega_g, act.sine, kernel))
    layers.append(SineLayer(out_features, None, kernel_init=inits.siren_hidden_uniform(omega_g)))
    return SinusoidalMLP(tuple(layers))


def TunerReference(out_features: int = 3, *, n_frequencies: int = 416, low_limit: int = tuner_frequencies.REFERENCE_LOW_LIMIT,
                   period: float = 4.0, stride: int = 1, **kwargs) -> SinusoidalMLP:
    """TUNER on the authors' Kodak list (:func:`tuner_frequencies.reference_frequencies`):
    its first ``n_frequencies`` rows (416: the poster's network; ``stride`` > 1: every
    ``stride``-th of them plus the identity rows), low limit 10 (``config_init.yml``
    ``block_limits``) and period 4 (``config_init.yml``).
    Other keywords (``width`` 416, ``depth`` 1, ``omega_g``, bounds, …) as :func:`Tuner`."""
    frequencies = tuner_frequencies.reference_frequencies(n=n_frequencies, stride=stride)
    return Tuner(out_features, frequencies, low_limit, period=period, **kwargs)


def TunerSampled(out_features: int = 3, bandlimit: int | Sequence[int] = 85, *,
                 n_frequencies: Optional[int] = None, low_limit: int | Sequence[int] | None = None,
                 dim: int | None = None, seed: int = 0, period: float = 3.0, width: int = 416,
                 **kwargs) -> SinusoidalMLP:
    """TUNER with frequencies sampled by the paper's recipe below ``bandlimit`` in ``ℤ^dim``
    (:func:`tuner_frequencies.sampled_frequencies`): low limit ``B // 3``
    (:func:`tuner_frequencies.default_low_limit`), ``n_frequencies`` = ``width``
    (as many input neurons as hidden ones) capped at what fits below the
    bandlimit, period 3.  The default bandlimit 85 is ``512 // 6`` (Kodak's side).
    ``bandlimit`` and ``low_limit`` are one int or one int per axis (e.g. video
    ``(8, 40, 40)`` for ``(t, y, x)``); ``dim`` defaults to their length, else 2.
    Other keywords as :func:`Tuner`."""
    if not _is_number(bandlimit):
        bandlimit = tuple(int(b) for b in bandlimit)
    if low_limit is None:
        low_limit = tuner_frequencies.default_low_limit(bandlimit)
    elif not _is_number(low_limit):
        low_limit = tuple(int(v) for v in low_limit)
    if n_frequencies is None:
        n_frequencies = min(width, tuner_frequencies.max_sampled_frequencies(bandlimit, low_limit, dim=dim)) or width
    frequencies = tuner_frequencies.sampled_frequencies(n_frequencies, bandlimit, low_limit, dim=dim, seed=seed)
    return Tuner(out_features, frequencies, low_limit, period=period, width=width, **kwargs)


TUNER_PHASE_INITS = {"official": inits.torch_default_bias, "half-pi": inits.uniform_bias(np.pi / 2)}


def _phase_init(name: str):
    try:
        return TUNER_PHASE_INITS[name]
    except KeyError:
        raise ValueError(f"phase_init must be one of {tuple(TUNER_PHASE_INITS)}, got {name!r}") from None


def TunerSiren(out_features: int = 3, frequencies: Optional[Sequence[Sequence[int]]] = None, *,
               bandlimit: int = 85, period: float = 4.0, width: int = 416, depth: int = 1,
               omega0: float = 30.0) -> SinusoidalMLP:
    """TUNER's SIREN baseline (DianaPat/TUNER ``train_siren.py``): frozen integer
    input frequencies ``sin(2π⟨k, x⟩/p + φ)`` drawn uniformly from the half box
    up to ``bandlimit``, then ``depth`` SIREN layers ``sin(ω0(Wx + b))`` with
    ``W ~ U(±√(6/n)/ω0)``, no bounds, and a linear output.  Phases start
    ``U(±1/√d)`` (PyTorch's default).  Without ``frequencies`` each seed draws its
    own ``width`` rows at init (:class:`~spectral_inr.models.layers.UniformIntegerFrequencies`,
    2-D); with them (e.g. :func:`tuner_frequencies.uniform_frequencies`), every seed shares that list.
    """
    _check_positive(out_features=out_features, width=width, depth=depth, omega0=omega0, period=period)
    if frequencies is None:
        _check_positive(bandlimit=bandlimit)
        encoding = UniformIntegerFrequencies(period=period, phase_init=inits.torch_default_bias, n=width,
                                             bandlimit=int(bandlimit))
    else:
        frequencies = tuple(tuple(int(v) for v in k) for k in frequencies)
        encoding = IntegerFrequencyEncoding(frequencies, period, phase_init=inits.torch_default_bias)
    layers = [encoding]
    layers += [SineLayer(width, omega0, act.sine, inits.siren_hidden_uniform(omega0)) for _ in range(depth)]
    layers.append(SineLayer(out_features, None, kernel_init=inits.siren_hidden_uniform(omega0)))
    return SinusoidalMLP(tuple(layers))


def tuner_bound_groups(model: SinusoidalMLP) -> dict:
    """Which TUNER bound applies to each hidden kernel of a :func:`Tuner` model.

    Returns ``{"layers_i": {"kernel": groups}}`` where ``groups`` is an int array
    broadcastable to the kernel: 0 → ``c_low``, 1 → ``c_high`` (rows of the first
    hidden matrix, by the input frequency's band: inside the low box
    ``|k_i| ≤ l_i`` or not, :func:`tuner_frequencies.is_low`), 2 → ``c_deep`` (deeper hidden
    layers).  The output layer is not bounded.  Feed it to
    :func:`spectral_inr.optim.tuner_bounds`.
    """
    encoding = model.layers[0]
    if not isinstance(encoding, IntegerFrequencyEncoding) or encoding.low_limit is None:
        raise ValueError("tuner_bound_groups needs a Tuner model (integer-frequency first layer)")
    groups = {}
    hidden = [i for i, layer in enumerate(model.layers) if isinstance(layer, SineLayer) and layer.omega is not None]
    for n, i in enumerate(hidden):
        if n == 0:
            rows = np.where(tuner_frequencies.is_low(encoding.frequencies, encoding.low_limit), 0, 1)[:, None]
        else:
            rows = np.asarray(2)
        groups[f"layers_{i}"] = {"kernel": rows.astype(np.int32)}
    return groups


def FourierFeatureMLP(out_features: int = 3, width: int = 256, depth: int = 3, num_features: int = 256,
                      sigma: float = 10.0, positional: bool = False) -> SinusoidalMLP:
    """Fourier features + ReLU MLP (Tancik et al. 2020), the baseline row.

    ``positional=False``: random ``B ~ N(0, σ²)`` (fixed, in the ``constants``
    collection); ``True``: deterministic log-linear frequencies ``σ^{j/m}``.
    Dense layers use PyTorch's default init.
    """
    _check_positive(out_features=out_features, width=width, depth=depth, num_features=num_features, sigma=sigma)
    encoding = (PositionalEncoding(num_features, sigma) if positional else FourierFeatures(num_features, sigma))
    layers = [encoding]
    layers += [SineLayer(width, 1.0, act.relu, inits.torch_default_kernel()) for _ in range(depth)]
    layers.append(SineLayer(out_features, None, kernel_init=inits.torch_default_kernel()))
    return SinusoidalMLP(tuple(layers))
