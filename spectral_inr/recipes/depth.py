"""The depth study (:class:`~spectral_inr.protocols.depth.DepthStudy`) → one Fitter per (signal, method, depth).

Kodak: TUNER (and its variant) through :func:`~spectral_inr.recipes.tuner.tuner_protocol_fitter` on the
study's Kodak protocol at the budget width; SIREN and FINER through :func:`~spectral_inr.recipes.signal.fitter`
(ω0 = 30, the Kodak protocol's batching), as ``exp-kodak``'s extra rows; every method at the Kodak
protocol's Adam rate.  Audio: SIREN and FINER (the audio protocol's ``finer++`` row: first-layer bias
U(±5), first ω0 3000 capped below the grid's Nyquist limit) through :mod:`~spectral_inr.recipes.siren2`;
TUNER is :func:`~spectral_inr.models.TunerSampled` below the clip's bandlimit (as ``spectral-inr fit``
builds it, :func:`~spectral_inr.recipes.signal.tuner_bandlimit`) with the audio protocol's optimiser at
TUNER's own rate and the bound projection chained after it.
"""
from __future__ import annotations

import optax

from spectral_inr import models, optim
from spectral_inr.protocols import tuner as tuner_protocol
from spectral_inr.protocols.cli import OMEGA0
from spectral_inr.recipes import siren2, tuner
from spectral_inr.recipes.signal import fitter as signal_fitter
from spectral_inr.recipes.signal import tuner_bandlimit
from spectral_inr.signals import Signal
from spectral_inr.train.fitter import Fitter

#: the audio protocol's row that stands for FINER on audio (at first ω0 30 plain FINER stays at silence)
AUDIO_METHOD = {"siren": "siren", "finer": "finer++"}


def is_tuner(method: str) -> bool:
    return method.startswith("tuner")


def fitter(study, signal_name: str, method: str, hidden: int, signal: Signal) -> tuple[Fitter, dict]:
    """``(fitter, hp)``: the Fitter for ``method`` with ``hidden`` hidden layers at the budget width on
    ``signal`` (one of the study's ``signal_name``), and the hyper-parameters every member carries."""
    if method not in study.methods + study.variants:
        raise ValueError(f"unknown method {method!r}; the study has {', '.join(study.methods + study.variants)}")
    width = study.width(signal_name, method, hidden)
    if signal_name == "kodak":
        p = study.kodak
        if is_tuner(method):
            return tuner.tuner_protocol_fitter(study.tuner_kodak(method, hidden), "tuner",
                                               out_features=signal.channels), {}
        f = signal_fitter(method, signal, width=width, depth=hidden + 1, batch_size=p.batch_size, shuffle=p.shuffle)
        return f, {"lr": p.lr, "omega0": OMEGA0}
    p = study.audio
    n = signal.shape[0]
    if not is_tuner(method):
        return siren2.fitter(AUDIO_METHOD[method], study.audio_at(method, hidden), n), {"lr": p.lr}
    n_freq = study.shape("audio", method)["n_frequencies"]
    model = models.TunerSampled(signal.channels, tuner_bandlimit(signal), n_frequencies=n_freq, dim=1, width=width,
                                depth=hidden, omega_g=tuner_protocol.OMEGA_G)
    clamp = optim.tuner_bounds(tuner.bound_groups(model, clamp_deep=method == "tuner"), c_low=tuner_protocol.C_LOW,
                               c_high=tuner_protocol.C_HIGH, c_deep=tuner_protocol.C_DEEP,
                               omega_g=tuner_protocol.OMEGA_G)
    adam = siren2.optimizer_fn(p)
    return Fitter(lambda hp: model, lambda hp: optax.chain(adam(hp), clamp)), {"lr": study.audio_tuner_lr}


def clamp_bounds(study, signal_name: str, method: str):
    """``(c_low, c_high, c_deep or None)``: what the projection keeps ``|ω_G·W|`` under (``None``: the
    layers past the first are not projected)."""
    if signal_name == "kodak":
        low, high = study.kodak.clamp_bounds
        deep = study.kodak.c_deep
    else:
        low, high, deep = tuner_protocol.C_LOW, tuner_protocol.C_HIGH, tuner_protocol.C_DEEP
    return low, high, (deep if method == "tuner" else None)
