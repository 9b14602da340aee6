"""Model recipes for a signal: the per-method defaults of the papers, as data.

``model_fn(name, signal, …)`` returns ``hp -> module`` for the engine, where
``hp["omega0"]`` (hidden ω0, TUNER's ω_G) may be a traced sweep value.
Defaults that differ between images and audio follow the papers:
SIREN's first ω0 is 30 for images and 3000 for audio; SIREN² keeps 30 and
takes its noise scales from the signal's spectral centroid; TUNER's bandlimit
is ``side // 6`` of the smallest side (or ``n // 6`` samples) and its width
416, or as many integer frequencies as fit below that bandlimit (small signals).
"""
from __future__ import annotations

import warnings
from typing import Callable, Optional

import optax

from spectral_inr import models, optim, protocols
from spectral_inr.models import presets
from spectral_inr.models import tuner_frequencies
from spectral_inr.signals import Signal

SIGNAL_MODELS = ("siren", "siren2", "finer", "tuner", "ffn")
_TUNER, _AUDIO = protocols.TUNER_KODAK["official"], protocols.SIREN2_AUDIO["official"]
DEFAULT_LR = {"siren": _AUDIO.lr, "siren2": _AUDIO.lr, "finer": _AUDIO.lr, "tuner": _TUNER.lr, "ffn": 1e-3}
DEFAULT_OMEGA0 = _TUNER.omega_g
TUNER_WIDTH = _TUNER.width                         # 416
AUDIO_FIRST_OMEGA0 = _AUDIO.siren_first_omega0   # SIREN audio (Sitzmann et al. 2020; SIREN² baseline)


def model_fn(name: str, signal: Signal, *, width: Optional[int] = None, depth: Optional[int] = None,
             first_omega0: Optional[float] = None, bandlimit: Optional[int] = None,
             learned_bounds: bool = False, noise_scales=None, sigma: float = 10.0) -> Callable:
    """``hp -> flax module`` for model ``name`` fitted to ``signal``."""
    if name not in SIGNAL_MODELS:
        if name in models.MODELS:
            raise ValueError(f"model {name!r} is a classifier, not a signal model; use one of {', '.join(SIGNAL_MODELS)}")
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(SIGNAL_MODELS)}")
    out, audio = signal.channels, signal.kind == "audio"
    for label, v in (("width", width), ("depth", depth), ("bandlimit", bandlimit)):
        if v is not None and v <= 0:
            raise ValueError(f"--{label} must be positive, got {v}")
    if name == "tuner":
        side = min(signal.shape)
        band = bandlimit or tuner_frequencies.default_bandlimit(side)
        if band < 2:
            raise ValueError(f"signal too small for TUNER: bandlimit {band} (need ≥ 2; sides of ≥ 12 samples)")
        if band > side // 2:
            warnings.warn(f"bandlimit {band} is above the signal's Nyquist limit ({side // 2} cycles for {side} "
                          "samples): those frequencies alias on the grid", UserWarning)
        low = max(1, band // 3)  # TUNER: l = B/3
        # default width: the paper's 416, or as many frequencies as fit below the bandlimit
        n = width or min(TUNER_WIDTH, tuner_frequencies.max_sampled_frequencies(band, low, dim=len(signal.shape)))
        freqs = tuner_frequencies.sampled_frequencies(n, band, low, dim=len(signal.shape))
        kw = dict(out_features=out, frequencies=freqs, low_limit=low, width=n, depth=depth or 1,
                  learned_bounds=learned_bounds)
        return lambda hp: models.Tuner(omega_g=hp.get("omega0", DEFAULT_OMEGA0), **kw)
    kw = dict(out_features=out, width=width or 256, depth=depth or 3)
    if name == "ffn":
        return lambda hp: models.FourierFeatureMLP(sigma=sigma, **kw)
    if name == "siren2":
        scales = noise_scales or models.siren2_noise_scales(signal.values, signal.kind)
        first = first_omega0 or DEFAULT_OMEGA0
        # per-member scales (a sweep over signals) come in hp as "s0", "s1"
        return lambda hp: models.Siren2(omega0=hp.get("omega0", DEFAULT_OMEGA0), first_omega0=first,
                                        noise_scales=(hp["s0"], hp["s1"]) if "s0" in hp else scales, **kw)
    first = first_omega0 or (AUDIO_FIRST_OMEGA0 if audio and name == "siren" else DEFAULT_OMEGA0)
    ctor = models.Siren if name == "siren" else models.Finer
    return lambda hp: ctor(omega0=hp.get("omega0", DEFAULT_OMEGA0), first_omega0=first, **kw)


def optimizer_fn(name: str, model_fn: Callable, *, learned_bounds: bool = False) -> Callable:
    """``hp -> optax`` for model ``name``: Adam with ``hp["lr"]`` injected, and for
    TUNER (fixed bounds) the bound projection as the last link, with ``c_low``,
    ``c_high`` from ``hp`` when swept (defaults 1.0 / 0.6)."""
    if name != "tuner" or learned_bounds:
        return lambda hp: optax.inject_hyperparams(optax.adam)(learning_rate=hp["lr"])
    groups = models.tuner_bound_groups(model_fn({}))
    return lambda hp: optax.chain(
        optax.inject_hyperparams(optax.adam)(learning_rate=hp["lr"]),
        optim.tuner_bounds(groups, c_low=hp.get("c_low", presets.TUNER_C_LOW),
                           c_high=hp.get("c_high", presets.TUNER_C_HIGH),
                           c_deep=hp.get("c_deep", presets.TUNER_C_DEEP),
                           omega_g=hp.get("omega0", DEFAULT_OMEGA0)))


def regularizer_fn(name: str, *, learned_bounds: bool = False) -> Optional[Callable]:
    """TUNER's learned-bounds penalty (the protocol's ``λ·Σ c``, ``λ = 2e-5``), else ``None``."""
    if name == "tuner" and learned_bounds:
        return lambda params, hp: optim.learned_bounds_penalty(params, _TUNER.learned_lambda,
                                                               reduction=_TUNER.learned_penalty)
    return None


def fitter(name: str, signal: Signal, *, batch_size: Optional[int] = None, shuffle: str = "fixed", **model_kwargs):
    """The engine's :class:`~spectral_inr.train.Fitter` for model ``name`` on ``signal``."""
    from spectral_inr.train import Fitter

    mfn = model_fn(name, signal, **model_kwargs)
    lb = model_kwargs.get("learned_bounds", False)
    return Fitter(mfn, optimizer_fn(name, mfn, learned_bounds=lb), regularizer=regularizer_fn(name, learned_bounds=lb),
                  batch_size=batch_size, shuffle=shuffle)


TUNER_PROTOCOL_METHODS = ("tuner", "tuner-learned", "tuner-siren")


def tuner_protocol_fitter(protocol, method: str, out_features: int = 3):
    """The engine's Fitter for a :class:`~spectral_inr.protocols.TunerKodak` protocol.

    ``"tuner"``: the reference frequency list, ``init_bounds`` at init and the
    ``clamp_bounds`` projection after every Adam step; ``"tuner-learned"``: the
    same network with learned bounds (initialised to ``init_bounds``) and the
    ``learned_penalty`` regulariser; ``"tuner-siren"``: the paper's SIREN baseline
    (uniform frozen integer frequencies up to ``baseline_bandlimit``, unbounded
    SIREN hidden layer, Adam ``baseline_lr``).  The learning rate is read from
    ``hp["lr"]`` (default: the protocol's).
    """
    from spectral_inr.train import Fitter

    p = protocol
    if method not in TUNER_PROTOCOL_METHODS:
        raise ValueError(f"method must be one of {TUNER_PROTOCOL_METHODS}, got {method!r}")
    if method == "tuner-siren":
        freqs = tuner_frequencies.uniform_frequencies(p.width, p.baseline_bandlimit)
        model = models.TunerSiren(out_features, freqs, period=p.period, width=p.width, depth=p.depth,
                                  omega0=p.omega_g)
        adam = lambda hp: optax.inject_hyperparams(optax.adam)(learning_rate=hp.get("lr", p.baseline_lr))
        return Fitter(lambda hp: model, adam, batch_size=p.batch_size, shuffle=p.shuffle)
    if p.frequencies != "reference":
        raise ValueError(f"unknown frequency list {p.frequencies!r}")
    learned = method == "tuner-learned"
    model = models.Tuner(out_features, tuner_frequencies.reference_frequencies(n=p.width), low_limit=p.low_limit,
                         period=p.period, width=p.width, depth=p.depth, omega_g=p.omega_g, c_low=p.init_bounds[0],
                         c_high=p.init_bounds[1], c_deep=p.c_deep, phase_init=p.phase_init, learned_bounds=learned)
    adam = lambda hp: optax.inject_hyperparams(optax.adam)(learning_rate=hp.get("lr", p.lr))
    if learned:
        reg = lambda params, hp: optim.learned_bounds_penalty(params, p.learned_lambda, reduction=p.learned_penalty)
        return Fitter(lambda hp: model, adam, regularizer=reg, batch_size=p.batch_size, shuffle=p.shuffle)
    groups = models.tuner_bound_groups(model)
    clamp = optim.tuner_bounds(groups, c_low=p.clamp_bounds[0], c_high=p.clamp_bounds[1], c_deep=p.c_deep,
                               omega_g=p.omega_g)
    return Fitter(lambda hp: model, lambda hp: optax.chain(adam(hp), clamp), batch_size=p.batch_size,
                  shuffle=p.shuffle)
