"""Fit any signal model of the CLI to an image through its values, its gradient or its Laplacian.

``supervise="value"`` is the ordinary fit; ``"gradient"`` trains on SIREN's ``gradients_mse``
against :func:`~spectral_inr.poisson.targets.gradient_targets` and ``"laplacian"`` on
``laplace_mse`` against :func:`~spectral_inr.poisson.targets.laplacian_targets`
(:mod:`spectral_inr.train.field_losses`), per channel.  The model, its optimizer (TUNER's bound
projection included) and its defaults are :func:`spectral_inr.recipes.signal.fitter`'s: only the
loss and the targets change.
"""
from __future__ import annotations

import numpy as np

from spectral_inr.poisson.targets import gradient_targets, laplacian_targets
from spectral_inr.protocols.cli import SUPERVISIONS
from spectral_inr.signals import Signal
from spectral_inr.train import Fitter, field_losses

LOSSES = {"gradient": field_losses.gradient_mse, "laplacian": field_losses.laplacian_mse}


def check_supervision(signal: Signal, supervise: str) -> None:
    """A ``ValueError`` (one line) unless ``supervise`` is one of :data:`SUPERVISIONS` and applies to
    ``signal``: derivative supervision is for images only."""
    if supervise not in SUPERVISIONS:
        raise ValueError(f"--supervise must be one of {', '.join(SUPERVISIONS)}, got {supervise!r}")
    if supervise != "value" and signal.kind != "image":
        raise ValueError(f"--supervise {supervise} applies to images, not {signal.kind} ({signal.path}); "
                         "fit it with --supervise value")


def targets(signal: Signal, supervise: str) -> np.ndarray:
    """The flat float32 targets of ``signal`` under ``supervise``: values ``(N, C)``, gradients
    ``(N, C, 2)`` or Laplacians ``(N, C)``, row-major over the grid like ``signal.coords()``."""
    check_supervision(signal, supervise)
    if supervise == "value":
        return signal.targets()
    t = gradient_targets(signal.values) if supervise == "gradient" else laplacian_targets(signal.values)
    return t.reshape((signal.size,) + t.shape[2:]).astype(np.float32)


def field_loss(supervise: str):
    """The engine's ``field_loss`` for ``supervise`` (``None`` for values)."""
    return LOSSES.get(supervise)


def fitter(name: str, signal: Signal, supervise: str = "value", **kwargs) -> Fitter:
    """:func:`spectral_inr.recipes.signal.fitter` of model ``name`` on ``signal``, trained through
    ``supervise`` (``kwargs``: the recipe's, e.g. ``width``, ``depth``, ``bandlimit``)."""
    from spectral_inr.recipes import signal as recipe

    check_supervision(signal, supervise)
    return recipe.fitter(name, signal, field_loss=field_loss(supervise), **kwargs)
