"""The CLI's models for any signal, from the per-model defaults in :mod:`spectral_inr.protocols.cli`.

``model_fn(name, signal, …)`` returns ``hp -> module`` for the engine, where
``hp["omega0"]`` (hidden ω0, TUNER's ω_G) may be a traced sweep value.  What
depends on the signal: the first ω0 (SIREN on audio: 3000), SIREN²'s noise
scales (the signal's spectral centroid), TUNER's bandlimit (smallest side // 6;
per axis on video and volumes, see :func:`tuner_bandlimit`) and width (416, or
as many integer frequencies as fit below that bandlimit).
"""
from __future__ import annotations

import warnings
from typing import Callable, Optional

import optax

from spectral_inr import models, optim
from spectral_inr.models import tuner_frequencies
from spectral_inr.protocols import cli as defaults
from spectral_inr.protocols.cli import SIGNAL_MODELS
from spectral_inr.protocols import tuner as tuner_protocol
from spectral_inr.protocols.tuner import OFFICIAL as TUNER_KODAK
from spectral_inr.signals import Signal
from spectral_inr.train.fitter import Fitter, default_optimizer


def check_model(name: str) -> None:
    """A ``ValueError`` naming the signal models unless ``name`` is one."""
    if name not in SIGNAL_MODELS:
        if name in models.MODELS:
            raise ValueError(f"model {name!r} is a classifier, not a signal model; use one of {', '.join(SIGNAL_MODELS)}")
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(SIGNAL_MODELS)}")


def _check_positive(**values) -> None:
    for label, v in values.items():
        if isinstance(v, tuple) and any(x <= 0 for x in v):
            raise ValueError(f"--{label} must be positive, got {','.join(map(str, v))}")
        if v is not None and not isinstance(v, tuple) and v <= 0:
            raise ValueError(f"--{label} must be positive, got {v}")


AXIS_NAMES = {"audio": ("t",), "image": ("y", "x"), "video": ("t", "y", "x"), "volume": ("z", "y", "x")}


def _show(values) -> str:
    return ",".join(map(str, values)) if isinstance(values, tuple) else str(values)


def tuner_bandlimit(signal: Signal, bandlimit=None):
    """TUNER's bandlimit for ``signal``: an int (every axis) or a tuple with one int per grid axis.

    ``bandlimit``: one int, or one per grid axis (a one-element list is the int);
    any other count, or a value below 2 (the sampler needs ``0 < B // 3 < B``),
    is an error.  Default: audio and images ``smallest side // 6``, one int (as
    before; below 2 the signal is too small); video and volumes per axis
    ``B_i = max(2, n_i // 6)``: 2 is the smallest the sampler takes, so a short
    axis (an 8-frame clip: ``B_t = 2``) keeps frequencies ``0, ±1`` (low) and
    ``±2`` (high) instead of failing or going constant, and 2 is at most Nyquist
    for ``n_i ≥ 4`` samples.  Each axis above its Nyquist limit ``n_i // 2`` gets
    a warning (an int on a 1-D/2-D grid: today's one warning for the smallest side).
    """
    shape = tuple(signal.shape)
    axes = AXIS_NAMES.get(signal.kind, tuple(str(i) for i in range(len(shape))))
    if isinstance(bandlimit, (tuple, list)):
        values = tuple(int(b) for b in bandlimit)
        if len(values) not in (1, len(shape)):
            raise ValueError(f"--bandlimit takes one value or one per grid axis ({signal.kind} grid axes: "
                             f"{','.join(axes)}), got {len(values)}: {_show(values)}")
        bandlimit = values[0] if len(values) == 1 else values
    _check_positive(bandlimit=bandlimit)
    if bandlimit is not None:
        if min(bandlimit if isinstance(bandlimit, tuple) else (bandlimit,)) < defaults.MIN_BANDLIMIT:
            raise ValueError(f"--bandlimit {_show(bandlimit)}: TUNER needs at least {defaults.MIN_BANDLIMIT} "
                             f"on every axis (0 < bandlimit // 3 < bandlimit)")
        band = bandlimit
    elif len(shape) >= 3:
        band = tuple(max(defaults.MIN_BANDLIMIT, n // tuner_protocol.BANDLIMIT_DIVISOR) for n in shape)
    else:
        band = tuner_frequencies.default_bandlimit(min(shape))
        if band < defaults.MIN_BANDLIMIT:
            raise ValueError(f"signal too small for TUNER: bandlimit {band} (need ≥ 2; sides of ≥ 12 samples)")
    if not isinstance(band, tuple) and len(shape) < 3:
        side = min(shape)
        if band > side // 2:
            warnings.warn(f"bandlimit {band} is above the signal's Nyquist limit ({side // 2} cycles for {side} "
                          "samples): those frequencies alias on the grid", UserWarning)
        return band
    per_axis = band if isinstance(band, tuple) else (band,) * len(shape)
    for b, n, axis in zip(per_axis, shape, axes):
        if b > n // 2:
            warnings.warn(f"bandlimit {b} on axis {axis} is above the signal's Nyquist limit there ({n // 2} "
                          f"cycles for {n} samples): those frequencies alias on the grid", UserWarning)
    return band


def model_fn(name: str, signal: Signal, *, width: Optional[int] = None, depth: Optional[int] = None,
             first_omega0: Optional[float] = None, bandlimit=None,
             learned_bounds: bool = False, noise_scales=None, sigma: Optional[float] = None) -> Callable:
    """``hp -> flax module`` for model ``name`` fitted to ``signal`` (``bandlimit``: one int or one per grid
    axis, TUNER only)."""
    check_model(name)
    _check_positive(width=width, depth=depth, bandlimit=tuple(bandlimit) if isinstance(bandlimit, list) else bandlimit)
    m = SIGNAL_MODELS[name]
    out, dim = signal.channels, len(signal.shape)
    depth = depth or m.depth
    if name == "tuner":
        band = tuner_bandlimit(signal, bandlimit)
        # the paper's 416, or as many frequencies as fit below the bandlimit; an explicit width must fit
        n = width or min(m.width, tuner_frequencies.max_sampled_frequencies(band, dim=dim))
        return lambda hp: models.TunerSampled(out, band, n_frequencies=n, dim=dim, width=n, depth=depth,
                                              omega_g=hp.get("omega0", m.omega0), learned_bounds=learned_bounds)
    kw = dict(out_features=out, width=width or m.width, depth=depth)
    if name == "ffn":
        return lambda hp: models.FourierFeatureMLP(sigma=sigma or m.sigma, num_features=m.features, **kw)
    omega = lambda hp: hp.get("omega0", m.omega0)  # noqa: E731  (a traced sweep value or the default)
    scale = lambda hp: hp.get("scale", m.scale)  # noqa: E731
    if name == "gauss":
        return lambda hp: models.Gauss(scale=scale(hp), **kw)
    if name in ("wire", "wire2d"):
        ctor = models.Wire if name == "wire" else models.Wire2d
        return lambda hp: ctor(omega0=omega(hp), s0=scale(hp), **kw)
    if name == "relu-pe":   # WIRE's scripts: the Nyquist rule on the signal's own side (sidelength = max(H, W))
        return lambda hp: models.ReluPe(sidelength=max(signal.shape), **kw)
    if name in ("fourier-net", "gabor-net"):
        ctor = models.FourierNet if name == "fourier-net" else models.GaborNet
        return lambda hp: ctor(**kw)
    if name == "bacon":   # N samples per period on each grid axis: the band limit is the grid's Nyquist limit
        return lambda hp: models.Bacon(resolution=tuple(float(n) for n in signal.shape), **kw)
    if name in ("hosc", "sinc"):
        ctor = models.Hosc if name == "hosc" else models.Sinc
        return lambda hp: ctor(omega0=omega(hp), **kw)
    first = first_omega0 or defaults.first_omega0(name, signal.kind)
    if name == "siren-rff":
        return lambda hp: models.SirenRff(sigma=sigma or m.sigma, omega0=omega(hp), first_omega0=first,
                                          in_features=dim, **kw)
    if name == "siren2":
        scales = noise_scales or models.siren2_noise_scales(signal.values, signal.kind)
        # per-member scales (a sweep over signals) come in hp as "s0", "s1"
        return lambda hp: models.Siren2(omega0=hp.get("omega0", m.omega0), first_omega0=first,
                                        noise_scales=(hp["s0"], hp["s1"]) if "s0" in hp else scales, **kw)
    ctor = models.Siren if name == "siren" else models.Finer
    return lambda hp: ctor(omega0=hp.get("omega0", m.omega0), first_omega0=first, **kw)


def optimizer_fn(name: str, model_fn: Callable, *, learned_bounds: bool = False) -> Callable:
    """``hp -> optax`` for model ``name``: Adam with ``hp["lr"]`` injected, and for
    TUNER (fixed bounds) the bound projection as the last link, with ``c_low``,
    ``c_high``, ``c_deep`` from ``hp`` when swept (defaults: the model's)."""
    if name == "bacon":   # BACON's training.py: Adam(amsgrad=True)
        return lambda hp: optax.inject_hyperparams(optax.amsgrad)(learning_rate=hp["lr"])
    if name != "tuner" or learned_bounds:
        return default_optimizer
    groups = models.tuner_bound_groups(model_fn({}))
    omega_g = SIGNAL_MODELS["tuner"].omega0
    return lambda hp: optax.chain(
        default_optimizer(hp),
        optim.tuner_bounds(groups, c_low=hp.get("c_low", tuner_protocol.C_LOW),
                           c_high=hp.get("c_high", tuner_protocol.C_HIGH),
                           c_deep=hp.get("c_deep", tuner_protocol.C_DEEP), omega_g=hp.get("omega0", omega_g)))


def regularizer_fn(name: str, *, learned_bounds: bool = False) -> Optional[Callable]:
    """TUNER's learned-bounds penalty (the Kodak protocol's ``λ·Σ c``, ``λ = 2e-5``), else ``None``."""
    if name == "tuner" and learned_bounds:
        return lambda params, hp: models.learned_bounds_penalty(params, TUNER_KODAK.learned_lambda,
                                                               reduction=TUNER_KODAK.learned_penalty)
    return None


def fitter(name: str, signal: Signal, *, batch_size: Optional[int] = None, shuffle: str = "fixed",
           field_loss: Optional[Callable] = None, **model_kwargs) -> Fitter:
    """The engine's :class:`~spectral_inr.train.Fitter` for model ``name`` on ``signal`` (``field_loss``: a loss
    through the model's derivatives instead of the value MSE, e.g. :mod:`spectral_inr.poisson`'s)."""
    mfn = model_fn(name, signal, **model_kwargs)
    lb = model_kwargs.get("learned_bounds", False)
    # BACON trains every head on the target (its multiscale_image_mse) and is evaluated on the finest
    multiscale = dict(loss_fn=models.multiscale_mse, train_kwargs={"train": True}) if name == "bacon" else {}
    if multiscale and field_loss is not None:
        raise ValueError("bacon trains on values (its multi-scale loss): not with --supervise gradient/laplacian")
    return Fitter(mfn, optimizer_fn(name, mfn, learned_bounds=lb), regularizer=regularizer_fn(name, learned_bounds=lb),
                  field_loss=field_loss, batch_size=batch_size, shuffle=shuffle, **multiscale)
