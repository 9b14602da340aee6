"""Fitters for shapes: a field ``f: [−1, 1]³ → R`` trained as a signed distance (SIREN's loss on an
oriented point cloud) or as occupancy logits (binary cross-entropy on labelled points).

The models are the CLI's signal models with one output on a 3-D input
(:func:`spectral_inr.recipes.signal.model_fn` on a stand-in ``resolution³`` volume): SIREN and
FINER unchanged, TUNER with its integer frequencies below a per-axis bandlimit ``resolution // 6``
(the bandlimit it would get on the marching-cubes grid the shape is evaluated on, as for a volume),
Fourier features as on any signal.  SIREN² is not a shape model: its noise scales come from the
spectrum of a sampled signal, which a point cloud does not have.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import jax
import numpy as np

from spectral_inr.recipes import signal as signal_recipe
from spectral_inr.train import field_losses
from spectral_inr.train.fitter import Fitter

SHAPE_MODELS = ("siren", "tuner", "finer", "ffn")


@dataclasses.dataclass(frozen=True)
class _Grid:
    """What :func:`signal_recipe.model_fn` reads of a signal, for a shape evaluated on ``side³`` points."""

    side: int
    kind: str = "volume"
    channels: int = 1

    @property
    def shape(self):
        return (self.side,) * 3


def check_model(name: str) -> None:
    """A ``ValueError`` unless ``name`` can fit a shape."""
    if name == "siren2":
        raise ValueError("siren2 is not a shape model: its noise scales come from a sampled signal's spectrum; "
                         f"use one of {', '.join(SHAPE_MODELS)}")
    signal_recipe.check_model(name)


def model_fn(name: str, *, resolution: int = 128, **model_kwargs):
    """``hp -> module`` for a one-output field on [−1, 1]³ (``model_kwargs``: width, depth,
    first_omega0, bandlimit, learned_bounds — as :func:`signal_recipe.model_fn`)."""
    check_model(name)
    return signal_recipe.model_fn(name, _Grid(resolution), **model_kwargs)


def fitter(name: str, task: str, *, batch_size: Optional[int], resolution: int = 128,
           sdf_loss: field_losses.SdfLoss = field_losses.SdfLoss(), **model_kwargs) -> Fitter:
    """The engine's Fitter for ``task`` (``"sdf"``: inputs are surface points, targets their normals,
    :class:`~spectral_inr.train.field_losses.SdfLoss`; ``"occupancy"``: inputs are points, targets
    labels in {0, 1}, BCE on logits).  Minibatches are drawn uniformly with replacement each step
    (``dataio.PointCloud``: ``np.random.choice`` of on-surface points)."""
    mfn = model_fn(name, resolution=resolution, **model_kwargs)
    lb = model_kwargs.get("learned_bounds", False)
    common = dict(optimizer_fn=signal_recipe.optimizer_fn(name, mfn, learned_bounds=lb),
                  regularizer=signal_recipe.regularizer_fn(name, learned_bounds=lb), batch_size=batch_size,
                  shuffle="uniform" if batch_size is not None else "fixed")
    if task == "sdf":
        return Fitter(mfn, field_loss=sdf_loss, **common)
    if task == "occupancy":
        return Fitter(mfn, loss_fn=field_losses.bce_with_logits, **common)
    raise ValueError(f"task must be 'sdf' or 'occupancy', got {task!r}")


def parameter_count(fn, hp=None) -> int:
    """Trainable parameters of ``fn(hp)`` on a 3-D input (shapes only, nothing computed)."""
    shapes = jax.eval_shape(lambda: fn(hp or {}).init(jax.random.PRNGKey(0), np.zeros((1, 3), np.float32)))
    return sum(int(np.prod(a.shape)) for a in jax.tree_util.tree_leaves(shapes["params"]))


def matched_width(name: str, target: int, *, depth: int, resolution: int = 128, low: int = 8,
                  high: int = 4096) -> int:
    """The width at which model ``name`` of ``depth`` has the parameter count closest to ``target``
    (bisection on the monotone count; TUNER's width is also capped by the frequencies that fit)."""
    count = lambda w: parameter_count(model_fn(name, resolution=resolution, width=w, depth=depth))
    while high - low > 1:
        mid = (low + high) // 2
        try:
            c = count(mid)
        except ValueError:   # TUNER: more frequencies than fit below the bandlimit
            high = mid
            continue
        low, high = (mid, high) if c <= target else (low, mid)
    return min((low, high), key=lambda w: abs(_safe(count, w) - target))


def _safe(count, w):
    try:
        return count(w)
    except ValueError:
        return float("inf")
