"""SIREN²'s audio protocol (:class:`~spectral_inr.protocols.AudioFit`) → Fitter, one per method.

Methods (``AudioFit.methods``): ``siren`` (first ω0 3000); ``siren2`` (the
repository's scheme: noise ``S0/ω0``, ``S1/ω0`` on the first two kernels, from the
clip's spectral centroid — per member in ``hp["s0"]``, ``hp["s1"]``; first ω0
30); ``siren2-notebook`` (the notebook's scheme, first ω0 3000); ``finer++``
(first-layer bias U(±5), first ω0 3000 capped below the grid's Nyquist limit,
:meth:`AudioFit.finer_omega0`); ``finer++-repo`` (the repository's first ω0 30); SIREN²'s baselines
``gauss`` (s 30), ``wire`` (ω0 = s0 = 10, the class defaults), ``relu-pe`` (sidelength 512: 7 octaves),
``siren-rff`` (σ 30, first ω0 3000) — all ``n_HLs`` layers of ``HL_dim``, the same Adam and decay.
"""
from __future__ import annotations

from typing import Callable, Optional

import optax

from spectral_inr import models
from spectral_inr.train.fitter import Fitter


def optimizer_fn(p) -> Callable:
    """Adam ``hp["lr"]`` with SIREN²'s staircase decay (``StepLR(step_size, gamma)``)."""
    return lambda hp: optax.adam(optax.exponential_decay(hp["lr"], p.decay_every, p.decay, staircase=True))


def model_fn(method: str, p, n: Optional[int] = None) -> Callable:
    """``hp -> module`` for ``method`` on a clip of ``n`` samples (default ``p.samples``)."""
    kw = dict(out_features=1, width=p.width, depth=p.depth, omega0=p.omega0)
    if method == "siren":
        return lambda hp: models.Siren(first_omega0=p.siren_first_omega0, **kw)
    if method == "siren2":
        return lambda hp: models.Siren2(first_omega0=p.siren2_first_omega0, noise_scales=(hp["s0"], hp["s1"]), **kw)
    if method == "siren2-notebook":
        return lambda hp: models.Siren2(first_omega0=p.notebook_first_omega0, noise_scales=(p.notebook_s0, 0.0),
                                        scheme="notebook", decay=p.notebook_decay, **kw)
    if method == "gauss":
        return lambda hp: models.Gauss(out_features=1, width=p.width, depth=p.depth, scale=p.gauss_scale)
    if method == "wire":
        return lambda hp: models.Wire(out_features=1, width=p.width, depth=p.depth, omega0=p.wire_omega0,
                                      s0=p.wire_s0)
    if method == "relu-pe":
        return lambda hp: models.ReluPe(out_features=1, width=p.width, depth=p.depth, sidelength=p.pe_sidelength)
    if method == "siren-rff":
        return lambda hp: models.SirenRff(sigma=p.rff_sigma, first_omega0=p.rff_first_omega0, **kw)
    if method not in ("finer++", "finer++-repo"):
        raise ValueError(f"unknown audio method {method!r}; choose one of {', '.join(p.methods)}")
    first = p.finer_omega0(n or p.samples) if method == "finer++" else p.finer_repo_first_omega0
    return lambda hp: models.Finer(first_omega0=first, first_bias_scale=p.finer_bias_scale, **kw)


#: learn_audios.py: ``batch_size = min(n, 256*256)`` for these (``min(n, 512*512)``, i.e. full, for the others)
MINIBATCH_METHODS = ("finer++", "finer++-repo", "gauss", "wire", "relu-pe")


def batch_size(method: str, p, n: int) -> Optional[int]:
    """Full batch, except FINER's, Gauss's, WIRE's and ReLU+PE's minibatches of ``p.finer_batch`` (``learn_audios.py``)."""
    if method in MINIBATCH_METHODS and p.finer_batch is not None and p.finer_batch < n:
        return p.finer_batch
    return None


def fitter(method: str, p, n: int) -> Fitter:
    """The engine's Fitter for ``method`` on clips of ``n`` samples under protocol ``p``."""
    return Fitter(model_fn(method, p, n), optimizer_fn(p), batch_size=batch_size(method, p, n))


def member_scales(clip_values) -> dict:
    """``{"s0", "s1"}``: SIREN²'s noise scales for one clip, as member hyper-parameters."""
    s0, s1 = models.siren2_noise_scales(clip_values, "audio")
    return {"s0": s0, "s1": s1}
