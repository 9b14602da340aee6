"""TUNER's Kodak protocol (:class:`~spectral_inr.protocols.TunerKodak`) → Fitter."""
from __future__ import annotations

import optax

from spectral_inr import models, optim
from spectral_inr.train.fitter import Fitter, default_optimizer

TUNER_PROTOCOL_METHODS = ("tuner", "tuner-learned", "tuner-siren")


def bound_groups(model, clamp_deep: bool = True) -> dict:
    """:func:`~spectral_inr.models.tuner_bound_groups`; without ``clamp_deep`` only the first hidden layer's
    entry (the layers past it then train unbounded)."""
    groups = models.tuner_bound_groups(model)
    return groups if clamp_deep else dict(list(groups.items())[:1])


def tuner_protocol_fitter(protocol, method: str, out_features: int = 3) -> Fitter:
    """The engine's Fitter for a :class:`~spectral_inr.protocols.TunerKodak` protocol.

    ``"tuner"``: the reference frequency list, ``init_bounds`` at init and the
    ``clamp_bounds`` projection after every Adam step (hidden layers past the
    first: ``c_deep``, or none when ``clamp_deep`` is false; ``n_frequencies``
    input neurons, default ``width``, every ``frequency_stride``-th of them); ``"tuner-learned"``: the same network with learned bounds (initialised to ``init_bounds``) and the
    ``learned_penalty`` regulariser; ``"tuner-siren"``: the paper's SIREN baseline
    (uniform frozen integer frequencies up to ``baseline_bandlimit``, unbounded
    SIREN hidden layer, Adam ``baseline_lr``).  The learning rate is read from
    ``hp["lr"]`` (default: the protocol's).
    """
    p = protocol
    if method not in TUNER_PROTOCOL_METHODS:
        raise ValueError(f"method must be one of {TUNER_PROTOCOL_METHODS}, got {method!r}")
    batching = dict(batch_size=p.batch_size, shuffle=p.shuffle)
    if method == "tuner-siren":
        # no list: each seed draws its own frequencies at init, as separate runs of train_siren.py do
        model = models.TunerSiren(out_features, bandlimit=p.baseline_bandlimit, period=p.period, width=p.width,
                                  depth=p.depth, omega0=p.omega_g)
        return Fitter(lambda hp: model, lambda hp: default_optimizer(hp, lr=p.baseline_lr), **batching)
    if p.frequencies != "reference":
        raise ValueError(f"unknown frequency list {p.frequencies!r}")
    learned = method == "tuner-learned"
    model = models.TunerReference(out_features, n_frequencies=p.n_frequencies or p.width, stride=p.frequency_stride,
                                  low_limit=p.low_limit,
                                  period=p.period, width=p.width, depth=p.depth, omega_g=p.omega_g,
                                  c_low=p.init_bounds[0], c_high=p.init_bounds[1], c_deep=p.c_deep,
                                  phase_init=p.phase_init, learned_bounds=learned)
    adam = lambda hp: default_optimizer(hp, lr=p.lr)
    if learned:
        reg = lambda params, hp: models.learned_bounds_penalty(params, p.learned_lambda, reduction=p.learned_penalty)
        return Fitter(lambda hp: model, adam, regularizer=reg, **batching)
    clamp = optim.tuner_bounds(bound_groups(model, p.clamp_deep), c_low=p.clamp_bounds[0], c_high=p.clamp_bounds[1],
                               c_deep=p.c_deep, omega_g=p.omega_g)
    return Fitter(lambda hp: model, lambda hp: optax.chain(adam(hp), clamp), **batching)
