"""Evaluate every member of a sweep on its signal, vmapped over members.

Images: PSNR (prediction clipped to [0, 1]), SSIM on the full image, and
TUNER's gradient PSNR (autodiff gradient of the grayscale output vs the
Sobel magnitude of the target; see :func:`spectral_inr.metrics.gradient_psnr`).
With a train/test pixel split, PSNR and gradient PSNR are reported on each
subset (``psnr_train``, ``psnr_test``, …); SSIM needs the whole image.
Audio: waveform PSNR (peak 1) and SNR.  Video and volumes: slab by slab in
bounded memory, per-frame curves, no predictions returned
(:mod:`spectral_inr.evaluation_nd`).  ``best_psnr`` is the best training
PSNR seen during the fit (``−10·log10`` of the lowest training loss; the
"best over training" of SIREN²).
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr import metrics
from spectral_inr.signals import Signal
from spectral_inr.train import Fitter, SweepResult, stack


def predict_members(fitter: Fitter, result: SweepResult, signal: Signal, params=None) -> np.ndarray:
    """Every member's output on the whole grid, ``(K, *signal.values.shape)``."""
    hp = _hp(result)
    params = result.state.params if params is None else params
    out = jax.jit(jax.vmap(fitter.predict, in_axes=(0, 0, 0, None)))(params, result.state.model_state, hp,
                                                                     jnp.asarray(signal.coords()))
    return np.asarray(out).reshape(len(result.members), *signal.values.shape)


def _hp(result: SweepResult) -> dict:
    """The members' hyper-parameters stacked exactly as :func:`sweep` passed them to the model."""
    stacked = stack(result.members)
    stacked.pop("seed", None)
    return {k: jnp.asarray(v) for k, v in stacked.items()}


def _gradients(fitter: Fitter, result: SweepResult, signal: Signal, params, luma="bt601") -> np.ndarray:
    grid = jnp.asarray(signal.grid())

    def one(p, ms, hp):
        model = fitter.model_fn(hp)
        apply = lambda x: model.apply({"params": p, **ms}, x)
        return metrics.network_gradient(apply, grid, chunk_size=4096, luma=luma)

    return np.asarray(jax.jit(jax.vmap(one))(params, result.state.model_state, _hp(result)))


def evaluate(fitter: Fitter, result: SweepResult, signal: Union[Signal, Sequence[Signal]],
             split: Optional[Sequence[np.ndarray]] = None, params=None, tuner_metric: bool = False,
             max_values: int | None = None) -> dict:
    """``{metric: [value per member]}`` plus the predictions under ``"_predictions"``.

    ``signal`` is shared by all members, or a list with one signal per member
    (a sweep with ``member_targets=True``); all share one grid.  With
    ``tuner_metric=True`` images also get ``gradient_psnr_tuner``: the official
    TUNER convention on the full image (``metrics.gradient_psnr(...,
    convention="tuner")`` of the Rec. 709 gray output's gradient).

    Video and volumes go to :func:`spectral_inr.evaluation_nd.evaluate_nd`: no ``"_predictions"``
    (:func:`~spectral_inr.evaluation_nd.reconstruct` rebuilds a member), per-frame curves under
    ``"_curves"``, predictions in slabs of at most ``max_values`` floats (default
    :data:`~spectral_inr.evaluation_nd.DEFAULT_MAX_VALUES`).
    """
    per_member = isinstance(signal, (list, tuple))
    signals = list(signal) if per_member else [signal] * len(result.members)
    signal = signals[0]
    if signal.kind in ("video", "volume"):
        from spectral_inr import evaluation_nd

        return evaluation_nd.evaluate_nd(fitter, result, signals, split=split, params=params,
                                         tuner_metric=tuner_metric, per_member=per_member,
                                         max_values=max_values or evaluation_nd.DEFAULT_MAX_VALUES)
    targets = [s.values for s in signals]
    preds = predict_members(fitter, result, signal, params)
    out: dict = {"best_psnr": [float(metrics.psnr_from_mse(b)) for b in result.state.best_loss]}
    if signal.kind == "audio":
        out["psnr"] = [float(metrics.waveform_psnr(p, t)) for p, t in zip(preds, targets)]
        out["snr"] = [float(metrics.snr(p, t)) for p, t in zip(preds, targets)]
        out["_predictions"] = preds
        return out
    clipped = np.clip(preds, 0.0, 1.0)
    params = result.state.params if params is None else params
    if tuner_metric:   # BT.601 (ours) and Rec. 709 (TUNER's) gray gradients from one Jacobian pass
        both = _gradients(fitter, result, signal, params, luma=("bt601", "bt709"))
        grads, tuner_grads = both[:, 0], both[:, 1]
    else:
        grads = _gradients(fitter, result, signal, params)
    if tuner_metric:
        out["gradient_psnr_tuner"] = [float(metrics.gradient_psnr(g, t, convention="tuner"))
                                      for g, t in zip(tuner_grads, targets)]
    h, w = signal.shape
    masks = {"": None}
    if split is not None:
        train_idx, test_idx = split
        masks = {"_train": _mask(train_idx, h, w), "_test": _mask(test_idx, h, w)}
    for suffix, mask in masks.items():
        sel = (lambda a: a) if mask is None else (lambda a: a[mask])
        out[f"psnr{suffix}"] = [float(metrics.psnr(sel(p), sel(t))) for p, t in zip(clipped, targets)]
        out[f"gradient_psnr{suffix}"] = [float(metrics.gradient_psnr(g, t, mask=mask))
                                         for g, t in zip(grads, targets)]
    out["ssim"] = [float(metrics.ssim(p, t)) for p, t in zip(clipped, targets)] if min(h, w) >= 11 else []
    out["_predictions"] = clipped
    return out


def _mask(idx, h, w):
    m = np.zeros(h * w, bool)
    m[np.asarray(idx)] = True
    return m.reshape(h, w)


def summarize(values: Sequence[float]) -> dict:
    """``{"per_seed": [...], "mean": m, "std": s}`` (population std)."""
    arr = np.asarray(values, np.float64)
    finite = arr[np.isfinite(arr)]
    return {"per_seed": [float(v) for v in arr],
            "mean": float(finite.mean()) if finite.size else float("nan"),
            "std": float(finite.std()) if finite.size else float("nan")}


def reconstruct(fitter: Fitter, result: SweepResult, signal: Signal, member: int, params=None) -> np.ndarray:
    """Member ``member``'s output on the whole grid, shaped like ``signal.values`` (images and N-D
    signals clipped to [0, 1]); video and volumes are predicted slab by slab
    (:func:`spectral_inr.evaluation_nd.reconstruct`)."""
    if signal.kind in ("video", "volume"):
        from spectral_inr import evaluation_nd

        return evaluation_nd.reconstruct(fitter, result, signal, member, params)
    pred = predict_members(fitter, result, signal, params)[member]
    return pred if signal.kind == "audio" else np.clip(pred, 0.0, 1.0)
