"""Evaluation metrics for implicit neural representations (pure JAX).

All functions are jit/vmap friendly (no Python control flow on traced values)
and compute in at least float32 (float64 if given float64 with x64 enabled).

Conventions
-----------
* Images are channels-last: ``(H, W, C)`` or batched ``(..., H, W, C)``.
* Coordinate grids are ``(H, W, 2)`` with ``coords[..., 0] = y`` (row) and
  ``coords[..., 1] = x`` (column), each a ``linspace(-1, 1, n)``; gradients are
  ordered the same way: ``(df/dy, df/dx)``.
* PSNR-like quantities are in dB; identical inputs give ``+inf``.
* ``ssim`` and ``gradient_psnr`` are wrapped in ``jax.jit`` (eager dispatch of
  their many small ops is slow); ``network_gradient`` is not, because it takes
  an arbitrary ``apply_fn`` -- jit it at the call site if evaluated repeatedly.
"""

from __future__ import annotations

import functools
from typing import Callable, Optional

import dm_pix
import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr.ops.dtypes import as_float

__all__ = [
    "mse",
    "psnr",
    "ssim",
    "grayscale",
    "sobel_magnitude",
    "gradient_psnr",
    "network_gradient",
    "gradient_psnr_of_model",
    "waveform_psnr",
    "snr",
]

# Luma weights: ITU-R BT.601 (OpenCV's RGB2GRAY; TUNER's ground-truth gray) and
# Rec. 709 (mrnet's ``rgb_to_grayscale``, which TUNER applies to the network output).
LUMA = {"bt601": (0.299, 0.587, 0.114), "bt709": (0.2126, 0.7152, 0.0722)}
_LUMA = LUMA["bt601"]



#: the smallest MSE :func:`psnr_from_mse` takes (a perfect fit reads 300 dB at peak 1, not ``inf``)
MSE_FLOOR = 1e-30


def psnr_from_mse(mse, peak=1.0, floor=MSE_FLOOR):
    """PSNR in dB from a mean squared error: ``10·log10(peak² / max(mse, floor))``.

    NumPy (or Python floats) in, NumPy out — for training losses on the host;
    JAX arrays in, JAX out (jit-able).  ``floor=0`` keeps ``inf`` for a perfect fit.
    NaN stays NaN.
    """
    if isinstance(mse, jax.Array):
        mse = as_float(mse)
        return 10.0 * jnp.log10(jnp.asarray(peak, mse.dtype) ** 2 / jnp.maximum(mse, floor))
    mse = np.asarray(mse, np.float64)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(float(peak) ** 2 / np.maximum(mse, floor))



# ---------------------------------------------------------------------------
# Generic
# ---------------------------------------------------------------------------


def mse(pred, target):
    """Mean squared error over all elements: mean((pred - target)^2)."""
    pred, target = as_float(pred), as_float(target)
    return jnp.mean((pred - target) ** 2)


def psnr(pred, target, data_range=1.0):
    """Peak signal-to-noise ratio in dB over all elements.

    PSNR = 10 * log10(data_range^2 / MSE), MSE = mean((pred - target)^2).
    Works on any shape (the whole array is one signal); use ``jax.vmap`` for
    per-item values over a leading batch axis. Equals ``dm_pix.psnr`` when
    ``data_range == 1`` (dm-pix only accepts rank-3/4 inputs and range 1, so
    the formula is written out here).
    """
    return psnr_from_mse(mse(pred, target), data_range, floor=0)


@jax.jit
def ssim(pred, target, data_range=1.0):
    """Mean structural similarity (Wang et al., 2004) via ``dm_pix.ssim``.

    SSIM(a, b) = (2 mu_a mu_b + C1)(2 s_ab + C2) /
                 ((mu_a^2 + mu_b^2 + C1)(s_a^2 + s_b^2 + C2)),
    local statistics from an 11x11 Gaussian window (sigma = 1.5, 'valid'
    region only), C1 = (0.01 L)^2, C2 = (0.03 L)^2, L = ``data_range``.
    The SSIM map is computed per channel and averaged over pixels, channels
    and any leading batch axes, so the result is a scalar. Accepts ``(H, W)``
    (treated as one channel), ``(H, W, C)`` or ``(..., H, W, C)``; H and W must
    be >= 11. Use ``jax.vmap`` for per-image values.
    """
    pred, target = as_float(pred), as_float(target)
    if pred.shape != target.shape:
        raise ValueError(f"shape mismatch: {pred.shape} vs {target.shape}")
    if pred.ndim < 2 or min(pred.shape[-3:-1] if pred.ndim > 2 else pred.shape) < 11:
        raise ValueError(f"ssim expects images (H, W), (H, W, C) or (..., H, W, C) with H, W ≥ 11 "
                         f"(the 11×11 window), got shape {pred.shape}; reshape flat pixels to the image first")
    if pred.ndim == 2:
        pred, target = pred[..., None], target[..., None]
    if pred.ndim > 4:
        pred = pred.reshape((-1,) + pred.shape[-3:])
        target = target.reshape((-1,) + target.shape[-3:])
    vals = dm_pix.ssim(
        pred,
        target,
        max_val=data_range,
        filter_size=11,
        filter_sigma=1.5,
        k1=0.01,
        k2=0.03,
    )
    return jnp.mean(vals)


# ---------------------------------------------------------------------------
# Image gradients
# ---------------------------------------------------------------------------


def grayscale(rgb, keepdims=False, luma="bt601"):
    """Luma Y = 0.299 R + 0.587 G + 0.114 B over the last (channel) axis.

    ``rgb`` has shape ``(..., 3)`` or ``(..., 1)`` (one channel is passed
    through unchanged). The channel axis is dropped unless ``keepdims``.
    ``luma="bt709"`` uses 0.2126, 0.7152, 0.0722 instead.
    """
    rgb = as_float(rgb)
    c = rgb.shape[-1]
    if c == 1:
        gray = rgb[..., 0]
    elif c == 3:
        w = jnp.asarray(LUMA[luma], rgb.dtype)
        gray = rgb[..., 0] * w[0] + rgb[..., 1] * w[1] + rgb[..., 2] * w[2]
    else:
        raise ValueError(f"grayscale expects 1 or 3 channels, got {c}")
    return gray[..., None] if keepdims else gray


_BORDERS = {"reflect101": "reflect", "reflect": "symmetric"}  # ours → numpy pad mode


def _sobel_xy(gray, border="reflect101"):
    """Return (gx, gy): 3x3 Sobel responses.

    ``border="reflect101"``: ``… c b | a b c …`` (OpenCV's default, numpy's
    ``reflect``); ``"reflect"``: ``… b a | a b …`` (skimage/scipy.ndimage
    ``reflect``, numpy's ``symmetric``).
    """
    if border not in _BORDERS:
        raise ValueError(f"border must be one of {tuple(_BORDERS)}, got {border!r}")
    p = jnp.pad(gray, 1, mode=_BORDERS[border])
    # Derivative [-1, 0, 1] along one axis, smoothing [1, 2, 1] along the other.
    dx = p[:, 2:] - p[:, :-2]  # (H+2, W)
    gx = dx[:-2] + 2.0 * dx[1:-1] + dx[2:]
    dy = p[2:, :] - p[:-2, :]  # (H, W+2)
    gy = dy[:, :-2] + 2.0 * dy[:, 1:-1] + dy[:, 2:]
    return gx, gy


def sobel_magnitude(gray, border="reflect101"):
    """Sobel gradient magnitude sqrt(gx^2 + gy^2) of a ``(H, W)`` image.

    gx = [1 2 1]^T (x) [-1 0 1] and gy = its transpose (correlation), with a
    reflect-101 border (numpy ``'reflect'`` pad == OpenCV BORDER_REFLECT_101
    == scipy.ndimage ``mode='mirror'``). Matches ``cv2.Sobel(ksize=3)``; for a
    smooth image gx ~= 8 * df/dx in per-pixel units. Requires H, W >= 2.
    ``border="reflect"`` uses skimage's half-sample border instead.
    """
    gray = as_float(gray)
    if gray.ndim != 2:
        raise ValueError(f"sobel_magnitude expects (H, W), got {gray.shape}")
    gx, gy = _sobel_xy(gray, border)
    return jnp.sqrt(gx**2 + gy**2)


def _normalize_by_max(m):
    """m / max(m), guarded against an all-zero map."""
    return m / jnp.maximum(jnp.max(m), jnp.finfo(m.dtype).tiny)


GRADIENT_PSNR_CONVENTIONS = ("ours", "tuner")


def gradient_psnr(pred_grad, target_image, mask=None, quantize=False, convention="ours"):
    """TUNER's gradient PSNR (dB) between a network gradient and the image's.

    ``pred_grad``: ``(H, W, 2)`` = (df/dy, df/dx), the network's coordinate
    gradient of its grayscale output in per-pixel units (see
    ``network_gradient``); ``target_image``: ``(H, W)``, ``(H, W, 1)`` or
    ``(H, W, 3)``.  Two conventions:

    ``"ours"`` (default): g = S / max S, S = Sobel magnitude of the BT.601 gray
    target with a reflect-101 border; p = |pred_grad| / max |pred_grad|;
    10 log10(1 / mean((p − g)²)) over the pixels where ``mask`` (``(H, W)``
    bool) is True, or all pixels (maxima always over the full image).
    ``quantize=True`` rounds p to 8-bit levels.

    ``"tuner"``: the official TUNER metric (DianaPat/TUNER
    ``training/handler_base.py``: ``log_gradmagnitude`` + ``log_grad_psnr``).
    p = ⌊255·(|∇| − min)/(max − min)⌋/255 (min-max normalised, then truncated to
    8 bits as Pillow's float → 'L' conversion does), g = S / max S with
    skimage's Sobel (half-sample ``reflect`` border), both cast to float16, the
    squared difference and the PSNR taken in float16, over the full image
    (``mask`` and ``quantize`` must be left unset).  The official code feeds
    it the gradient of the Rec. 709 gray output (``network_gradient(...,
    luma="bt709")``) against a BT.601 gray target, in domain rather than pixel
    units (the same up to one scale factor on square images, which the
    normalisation removes).
    """
    if convention not in GRADIENT_PSNR_CONVENTIONS:
        raise ValueError(f"convention must be one of {GRADIENT_PSNR_CONVENTIONS}, got {convention!r}")
    if convention == "tuner":
        if mask is not None or quantize:
            raise ValueError("the 'tuner' convention is defined on the full image, without mask or quantize")
        return _gradient_psnr_tuner(pred_grad, target_image)
    return _gradient_psnr_ours(pred_grad, target_image, mask=mask, quantize=quantize)


def _target_gray(pred_grad, target_image):
    pred_grad = as_float(pred_grad)
    target_image = as_float(target_image)
    if target_image.ndim == 3:
        target_gray = grayscale(target_image)
    elif target_image.ndim == 2:
        target_gray = target_image
    else:
        raise ValueError(f"target_image must be (H,W[,C]), got {target_image.shape}")
    if pred_grad.shape != target_gray.shape + (2,):
        raise ValueError(
            f"pred_grad shape {pred_grad.shape} != {target_gray.shape + (2,)}"
        )
    return pred_grad, target_gray


@functools.partial(jax.jit, static_argnames=("quantize",))
def _gradient_psnr_ours(pred_grad, target_image, mask=None, quantize=False):
    pred_grad, target_gray = _target_gray(pred_grad, target_image)
    g = _normalize_by_max(sobel_magnitude(target_gray))
    p = _normalize_by_max(jnp.sqrt(jnp.sum(pred_grad**2, axis=-1)))
    if quantize:
        p = jnp.round(p * 255.0) / 255.0
    sq = (p - g.astype(p.dtype)) ** 2
    if mask is None:
        err = jnp.mean(sq)
    else:
        mask = jnp.asarray(mask, bool)
        if mask.shape != sq.shape:
            raise ValueError(f"mask shape {mask.shape} != {sq.shape}")
        err = jnp.sum(jnp.where(mask, sq, 0.0)) / jnp.sum(mask)
    return psnr_from_mse(err, floor=0)


@jax.jit
def _gradient_psnr_tuner(pred_grad, target_image):
    pred_grad, target_gray = _target_gray(pred_grad, target_image)
    g = _normalize_by_max(sobel_magnitude(target_gray, border="reflect"))
    mag = jnp.sqrt(jnp.sum(pred_grad**2, axis=-1))
    lo, hi = jnp.min(mag), jnp.max(mag)
    levels = jnp.clip(jnp.floor(255.0 * (mag - lo) / jnp.maximum(hi - lo, jnp.finfo(mag.dtype).tiny)), 0, 255)
    half = jnp.float16
    sq = (levels.astype(half) / half(255) - g.astype(half)) ** 2
    err = jnp.mean(sq.astype(jnp.float32)).astype(half)   # numpy: float16 mean, float32 accumulator
    return (half(20) * jnp.log10(half(1) / jnp.sqrt(err))).astype(jnp.float32)


def network_gradient(
    apply_fn: Callable, coords, chunk_size: Optional[int] = None, luma: str = "bt601"
):
    """Per-pixel gradient (df/dy, df/dx) of a field's grayscale output.

    ``apply_fn`` maps coordinates ``(N, 2) -> (N, C)`` (C in {1, 3}) or
    ``(N, 2) -> (N,)``; it is called on single points as ``apply_fn(p[None])``
    so batch-only functions work too. ``coords``: ``(H, W, 2)`` grid with
    ``coords[..., 0] = linspace(-1, 1, H)`` (y) and ``coords[..., 1] =
    linspace(-1, 1, W)`` (x). The gradient of f = grayscale(apply_fn) w.r.t.
    the coordinates is converted to per-pixel units by the chain rule:
    df/di = df/dy * 2/(H-1), df/dj = df/dx * 2/(W-1). Returns ``(H, W, 2)``.
    ``chunk_size`` evaluates points in chunks (``jax.lax.map``) to bound memory.
    ``luma`` picks the gray weights of a 3-channel output (see ``grayscale``);
    a tuple of names returns ``(len(luma), H, W, 2)``, one gradient per
    weighting, from one forward-mode Jacobian ``(C, 2)`` per point (two JVPs)
    instead of one backward pass per weighting.
    """
    coords = as_float(coords)
    if coords.ndim != 3 or coords.shape[-1] != 2:
        raise ValueError(f"coords must be (H, W, 2), got {coords.shape}")
    h, w = coords.shape[:2]
    several = isinstance(luma, (tuple, list))

    def f(p):
        out = as_float(apply_fn(p[None]))[0]
        return out if out.ndim == 0 else grayscale(out, luma=luma)

    def grays(p):   # (len(luma), 2): every weighting from one Jacobian
        jac = jax.jacfwd(lambda q: jnp.atleast_1d(as_float(apply_fn(q[None]))[0]))(p)   # (C, 2)
        if jac.shape[0] == 1:
            return jnp.broadcast_to(jac, (len(luma), 2))
        return jnp.stack([grayscale(jac.T, luma=name) for name in luma])

    grad_f = grays if several else jax.grad(f)
    pts = coords.reshape(-1, 2)
    if chunk_size is None:
        grads = jax.vmap(grad_f)(pts)
    else:
        grads = jax.lax.map(grad_f, pts, batch_size=chunk_size)
    scale = jnp.asarray(
        [2.0 / max(h - 1, 1), 2.0 / max(w - 1, 1)], dtype=grads.dtype
    )
    if several:
        return jnp.moveaxis(grads, 1, 0).reshape(len(luma), h, w, 2) * scale
    return grads.reshape(h, w, 2) * scale


def gradient_psnr_of_model(
    apply_fn: Callable,
    coords,
    target_image,
    mask=None,
    quantize=False,
    chunk_size: Optional[int] = None,
    convention: str = "ours",
):
    """``gradient_psnr(network_gradient(apply_fn, coords), target_image, mask)``.

    With ``convention="tuner"`` the network's gray output uses TUNER's Rec. 709
    weights, as the official code does.
    """
    luma = "bt709" if convention == "tuner" else "bt601"
    grad = network_gradient(apply_fn, coords, chunk_size=chunk_size, luma=luma)
    return gradient_psnr(grad, target_image, mask=mask, quantize=quantize, convention=convention)


# ---------------------------------------------------------------------------
# Audio
# ---------------------------------------------------------------------------


def waveform_psnr(pred, target, peak=1.0):
    """Waveform PSNR in dB: 10 log10(peak^2 / MSE) over all samples."""
    return psnr_from_mse(mse(pred, target), peak, floor=0)


def snr(pred, target):
    """Signal-to-noise ratio in dB: 10 log10(sum target^2 / sum (target - pred)^2)."""
    pred, target = as_float(pred), as_float(target)
    return 10.0 * jnp.log10(jnp.sum(target**2) / jnp.sum((target - pred) ** 2))
