"""How well a Poisson fit recovered its image: PSNR after the best constant offset, gradient PSNR,
how well it fits what it was trained on, and its error by radial frequency band.

A field trained on gradients is defined up to a constant (on its Laplacian, up to a harmonic
function), so the recovered image is the prediction plus the constant that minimises the squared
error, per channel: ``offset_c = mean(target_c − pred_c)`` (closed form).  PSNRs here are on the
unclipped ``pred + offset`` against the [0, 1] image (peak 1).

* ``psnr_offset``, ``ssim_offset`` (on ``pred + offset`` clipped to [0, 1], as the library's image SSIM);
* ``gradient_psnr``: the library's convention (:func:`spectral_inr.metrics.gradient_psnr`,
  ``"ours"``): the max-normalised magnitude of the gradient of the BT.601 gray output, in pixel
  units, against the max-normalised Sobel magnitude of the gray image (reflect-101 border) — the
  same number :func:`spectral_inr.evaluation.evaluate` reports for value fits, blind to the offset;
* ``gradient_snr``, ``laplacian_snr``: ``10·log10(Σ|t|² / Σ|d − t|²)`` of the network's gradient
  (Laplacian) ``d`` against the Poisson targets ``t`` of :mod:`spectral_inr.poisson.targets`,
  all channels: how well the fit matches what it was (or was not) supervised with;
* ``band_snr``: per radial frequency band of the 2-D DFT, ``10·log10(Σ|T_k|² / Σ|E_k|²)`` over the
  band's bins without DC, ``T`` the image and ``E`` the error ``pred + offset − image`` (all
  channels); ``band_error_share``: the fraction of the error's energy (DC excluded, i.e. of the MSE
  after the offset) in each band.  Bands by :func:`spectral_inr.spectral.spectra.band_index`
  (radius in fractions of the Nyquist frequency).
"""
from __future__ import annotations

from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr import metrics
from spectral_inr.models import tuner_frequencies
from spectral_inr.ops import derivatives
from spectral_inr.poisson.targets import gradient_targets, laplacian_targets
from spectral_inr.spectral.spectra import band_index

CHUNK = 4096   # points per derivative pass at evaluation (bounded memory on large images)


def best_offset(pred, target) -> np.ndarray:
    """Per-channel constant ``c`` minimising ``Σ (pred + c − target)²``: ``mean(target − pred)``, ``(C,)``.
    ``pred``, ``target``: ``(…, C)``."""
    d = np.asarray(target, np.float64) - np.asarray(pred, np.float64)
    return d.reshape(-1, d.shape[-1]).mean(0)


def recovered(pred, target) -> np.ndarray:
    """``pred + best_offset(pred, target)`` (float64, unclipped)."""
    return np.asarray(pred, np.float64) + best_offset(pred, target)


def offset_psnr(pred, target, data_range: float = 1.0) -> float:
    """PSNR (dB) of ``pred`` after its best per-channel constant offset."""
    err = recovered(pred, target) - np.asarray(target, np.float64)
    return float(metrics.psnr_from_mse(np.mean(err ** 2), data_range, floor=0))


def snr(pred, target) -> float:
    """``10·log10(Σ target² / Σ (pred − target)²)`` in dB."""
    t, p = np.asarray(target, np.float64), np.asarray(pred, np.float64)
    with np.errstate(divide="ignore"):
        return float(10 * np.log10(np.sum(t ** 2) / np.sum((p - t) ** 2)))


def tuner_band_edges(shape: Sequence[int], bandlimit: Optional[int] = None, period: float = 3.0) -> tuple:
    """Radial band edges (fractions of Nyquist) at the two frequencies that structure TUNER on an image of
    ``shape``: its low block ``|k|∞ ≤ l = B // 3`` and its bandlimit ``B`` (default ``min(shape) // 6``).
    A TUNER input frequency ``k`` is ``sin(2π k·x / p)`` on ``x ∈ [−1, 1]``: ``2k/p`` cycles across the
    image (``p = 3``: :func:`spectral_inr.models.TunerSampled`), so its radius is ``(2k/p) / (n/2)``
    on an ``n``-sample side (the shortest)."""
    n = min(shape)
    band = bandlimit or tuner_frequencies.default_bandlimit(n)
    low = tuner_frequencies.default_low_limit(band)
    to_radius = lambda k: (2.0 * k / period) / (n / 2.0)
    return (to_radius(low), to_radius(band))


def band_errors(pred, target, edges: Sequence[float]) -> dict:
    """``{"band_snr": [dB per band], "band_error_share": [fraction per band]}`` of ``pred + offset`` against
    ``target`` (``(H, W, C)``); ``len(edges) + 1`` bands, DC left out of every sum."""
    t = np.asarray(target, np.float64)
    e = recovered(pred, t) - t
    bands = band_index(t.shape[:2], edges).ravel()
    power = lambda a: (np.abs(np.fft.fft2(a, axes=(0, 1))) ** 2).sum(-1).ravel()
    pt, pe = power(t), power(e)
    pt[0] = pe[0] = 0.0   # DC: the offset's, not a frequency
    n = len(edges) + 1
    et, ee = np.bincount(bands, pt, n), np.bincount(bands, pe, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"band_snr": [float(v) for v in 10 * np.log10(et / ee)],
                "band_error_share": [float(v) for v in ee / max(ee.sum(), 1e-300)]}


def field_derivatives(fitter, params, model_state, hp, coords, chunk: int = CHUNK):
    """``(jacobian (N, C, 2), laplacian (N, C))`` of one member on ``coords``, ``chunk`` points per pass."""
    model = fitter.model_fn(hp)
    field = lambda q: model.apply({"params": params, **model_state}, q)
    n = coords.shape[0]
    pad = (-n) % chunk if n > chunk else 0
    size = chunk if n > chunk else n
    padded = jnp.concatenate([coords, jnp.zeros((pad, coords.shape[1]), coords.dtype)])
    blocks = padded.reshape(-1, size, coords.shape[1])
    jac, lap = jax.lax.map(lambda q: (derivatives.jacobian(field, q), derivatives.laplacian(field, q)), blocks)
    return jac.reshape(-1, *jac.shape[2:])[:n], lap.reshape(-1, *lap.shape[2:])[:n]


def member_derivatives(fitter, result, signal, params=None):
    """Every member's ``(jacobian (K, H, W, C, 2), laplacian (K, H, W, C))`` on the signal's grid (vmapped)."""
    from spectral_inr.train import stack

    params = result.state.params if params is None else params
    stacked = stack(result.members)
    stacked.pop("seed", None)
    hp = {k: jnp.asarray(v) for k, v in stacked.items()}   # as the sweep passed them to the model
    coords = jnp.asarray(signal.coords())
    one = lambda p, ms, hp: field_derivatives(fitter, p, ms, hp, coords)
    jac, lap = jax.jit(jax.vmap(one))(params, result.state.model_state, hp)
    k, (h, w), c = len(result.members), signal.shape, signal.channels
    return np.asarray(jac).reshape(k, h, w, c, 2), np.asarray(lap).reshape(k, h, w, c)


def pixel_gray_gradient(jac) -> np.ndarray:
    """``(H, W, 2)``: the gradient of the BT.601 gray output in pixel units (as
    :func:`spectral_inr.metrics.network_gradient`) from a jacobian ``(H, W, C, 2)``."""
    jac = np.asarray(jac, np.float64)
    h, w = jac.shape[:2]
    gray = jac[..., 0, :] if jac.shape[2] == 1 else np.einsum("hwcd,c->hwd", jac, metrics.LUMA["bt601"])
    return gray * np.array([2.0 / max(h - 1, 1), 2.0 / max(w - 1, 1)])


def scores(pred, jac, lap, image, edges: Sequence[float]) -> dict:
    """Every metric of one member: ``pred (H, W, C)``, its jacobian ``(H, W, C, 2)`` and Laplacian
    ``(H, W, C)`` on the grid, ``image (H, W, C)`` in [0, 1]."""
    image = np.asarray(image, np.float64)
    rec = recovered(pred, image)
    out = {"psnr_offset": offset_psnr(pred, image),
           "gradient_psnr": float(metrics.gradient_psnr(jnp.asarray(pixel_gray_gradient(jac), jnp.float32),
                                                        jnp.asarray(image, jnp.float32))),
           "gradient_snr": snr(jac, gradient_targets(image)),
           "laplacian_snr": snr(lap, laplacian_targets(image))}
    if min(image.shape[:2]) >= 11:
        out["ssim_offset"] = float(metrics.ssim(jnp.asarray(np.clip(rec, 0, 1), jnp.float32),
                                                jnp.asarray(image, jnp.float32)))
    out.update(band_errors(pred, image, edges))
    return out


def evaluate(fitter, result, signal, params=None, edges: Optional[Sequence[float]] = None) -> dict:
    """``{metric: [value per member]}`` of a sweep on one image (or a list, one per member), with
    ``"_recovered"`` (``pred + offset``, ``(K, H, W, C)``), ``"_predictions"`` (the same clipped to
    [0, 1]), ``"_jacobian"`` and
    ``"_laplacian"`` (the network's, per member) for the figure.  ``edges``: the radial bands
    (default :func:`tuner_band_edges` of the image's shape)."""
    from spectral_inr.evaluation import predict_members

    signals = list(signal) if isinstance(signal, (list, tuple)) else [signal] * len(result.members)
    edges = tuner_band_edges(signals[0].shape) if edges is None else tuple(edges)
    preds = predict_members(fitter, result, signals[0], params)
    jac, lap = member_derivatives(fitter, result, signals[0], params)
    out: dict = {}
    for i, s in enumerate(signals):
        for name, value in scores(preds[i], jac[i], lap[i], s.values, edges).items():
            out.setdefault(name, []).append(value)
    out["_recovered"] = np.stack([recovered(p, s.values).astype(np.float32) for p, s in zip(preds, signals)])
    out["_predictions"] = np.clip(out["_recovered"], 0, 1)
    out["_jacobian"], out["_laplacian"] = jac, lap
    out["_edges"] = list(edges)
    return out
