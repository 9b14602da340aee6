"""What a Poisson fit is supervised with: an image's Sobel gradient or its 5-point Laplacian, in
coordinate units.

SIREN (vsitzmann/siren ``dataio.Implicit2DWrapper``) builds its Poisson targets with
``scipy.ndimage.sobel`` along the row and the column axis and ``scipy.ndimage.laplace``, both
with scipy's default border ``mode="reflect"`` (half-sample symmetric: ``… b a | a b …``), on the
image scaled to [−1, 1] and then multiplied by 10 (gradients) or 10⁴ (Laplacian).  We use the
same filters and border, per channel on the ``(H, W)`` grid, and divide them into derivatives
with respect to the coordinates of :func:`spectral_inr.data.coordinate_grid` (``linspace(−1, 1,
n)`` per axis, spacing ``h = 2/(n − 1)``):

* Sobel: ``[−1, 0, 1]`` along the axis (``≈ 2h ∂f``) times ``[1, 2, 1]`` across it (sum 4), so
  ``∂f/∂y ≈ sobel_y / (8 h_y)`` — exact for a quadratic, ``sin(k h)/h · (1 + cos(m h'))/2`` times
  the derivative for ``sin(k y) cos(m x)``;
* Laplace: ``Σ_a [1, −2, 1]_a / h_a²`` (scipy's ``laplace`` divided by ``h²`` on a square
  grid), exact for a cubic, ``(2 cos(k h) − 2)/h²`` for ``sin(k y)``.

So a network fitted to these targets learns the image itself (up to a constant; up to a
harmonic function for the Laplacian), in the library's [0, 1] units.  SIREN's targets are a
fixed multiple of ours (:func:`siren_target_scale`): it feeds ``scipy.ndimage.sobel`` a
``(1, H, W)`` array, and the Sobel smooths ``[1, 2, 1]`` along *every* other axis — the
singleton channel axis too, which with ``mode="reflect"`` multiplies by 4.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import ndimage

#: the border SIREN's scipy filters use (their default): half-sample symmetric
MODE = "reflect"


def grid_spacing(shape: Sequence[int]) -> tuple:
    """``h_a = 2 / (n_a − 1)``: the step of ``linspace(−1, 1, n_a)`` on each axis."""
    if any(n < 2 for n in shape):
        raise ValueError(f"a Poisson target needs at least 2 samples per axis, got {tuple(shape)}")
    return tuple(2.0 / (n - 1) for n in shape)


def _image(image) -> np.ndarray:
    a = np.asarray(image, np.float64)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3:
        raise ValueError(f"an image is (H, W) or (H, W, C), got shape {a.shape}")
    return a


def gradient_targets(image) -> np.ndarray:
    """``(∂f/∂y, ∂f/∂x)`` of every channel from the Sobel filter: ``(H, W, C, 2)`` float64.

    ``image``: ``(H, W)`` or ``(H, W, C)``; per channel, ``scipy.ndimage.sobel`` of the
    ``(H, W)`` slice along axis 0 (rows, ``y``) and 1 (columns, ``x``), ``mode="reflect"``,
    divided by ``8 h_y`` and ``8 h_x``."""
    a = _image(image)
    hy, hx = grid_spacing(a.shape[:2])
    out = np.empty(a.shape + (2,))
    for c in range(a.shape[-1]):
        out[..., c, 0] = ndimage.sobel(a[..., c], axis=0, mode=MODE) / (8.0 * hy)
        out[..., c, 1] = ndimage.sobel(a[..., c], axis=1, mode=MODE) / (8.0 * hx)
    return out


def laplacian_targets(image) -> np.ndarray:
    """``Δf`` of every channel from scipy's 5-point Laplace: ``(H, W, C)`` float64.

    ``Σ_a correlate1d(f, [1, −2, 1], axis a, mode="reflect") / h_a²`` per channel — on a
    square grid ``scipy.ndimage.laplace(f) / h²``."""
    a = _image(image)
    hs = grid_spacing(a.shape[:2])
    out = np.zeros(a.shape)
    for c in range(a.shape[-1]):
        for axis, h in enumerate(hs):
            out[..., c] += ndimage.correlate1d(a[..., c], [1.0, -2.0, 1.0], axis=axis, mode=MODE) / h ** 2
    return out


def siren_target_scale(side: int, supervise: str) -> float:
    """SIREN's target over ours, for a grayscale ``side × side`` image (both from one [0, 1] image):

    * gradients: SIREN differentiates ``10·(2u − 1)`` with a Sobel that also smooths the singleton
      channel axis (×4): ``10 · 2 · 4 · 8h = 640 h`` (5.02 at 256², 10.08 at 128²);
    * Laplacian: ``10⁴ · 2 · h²`` (1.23 at 256²; the channel axis adds ``[1, −2, 1]`` of a constant: 0).
    """
    (h,) = grid_spacing((side,))
    if supervise == "gradient":
        return 640.0 * h
    if supervise == "laplacian":
        return 2e4 * h ** 2
    raise ValueError(f"supervise must be 'gradient' or 'laplacian', got {supervise!r}")
