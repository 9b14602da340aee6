"""The 3-D Shepp–Logan head phantom in closed form: a sum of uniform ellipsoids.

A sample at ``(x, y, z)`` gets the additive intensity ``A`` of every ellipsoid
``((u / a)² + (v / b)² + (dz / c)² <= 1)`` it lies in, with ``dx, dy, dz`` its
offsets from the centre ``(x0, y0, z0)`` and ``(u, v) = (dx cos φ + dy sin φ,
−dx sin φ + dy cos φ)``: semi-axes ``(a, b, c)`` along (x, y, z), rotated by φ about z
(MATLAB ``phantom``'s formula). Both tables use the high-contrast ("modified")
intensities, so values lie in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .grids import coordinate_grid

__all__ = ["SHEPP_LOGAN_3D", "shepp_logan_3d"]

# Rows: A, a, b, c, x0, y0, z0, φ (degrees).
SHEPP_LOGAN_3D = {
    # Toft's modified 2-D phantom (P. Toft, "The Radon Transform: Theory and Implementation",
    # PhD thesis, DTU 1996, pp. 199–200; MATLAB's phantom('Modified Shepp-Logan')) extended to 3-D
    # with the c and z0 of M. Schabel's phantom3d (MATLAB File Exchange #9416, 'Modified Shepp-Logan').
    # Ours keeps Toft's in-plane geometry: phantom3d also turns ellipsoids 3 and 4 by ψ = 10° and
    # rotates about the origin, not their centres; without that the z = 0 slice is Toft's 2-D
    # phantom except ellipsoids 5–7 (5 is cut smaller there, 6 and 7 lie above it).
    "toft": np.array([
        [1.0, 0.6900, 0.920, 0.810, 0.00, 0.0000, 0.00, 0],
        [-0.8, 0.6624, 0.874, 0.780, 0.00, -0.0184, 0.00, 0],
        [-0.2, 0.1100, 0.310, 0.220, 0.22, 0.0000, 0.00, -18],
        [-0.2, 0.1600, 0.410, 0.280, -0.22, 0.0000, 0.00, 18],
        [0.1, 0.2100, 0.250, 0.410, 0.00, 0.3500, -0.15, 0],
        [0.1, 0.0460, 0.046, 0.050, 0.00, 0.1000, 0.25, 0],
        [0.1, 0.0460, 0.046, 0.050, 0.00, -0.1000, 0.25, 0],
        [0.1, 0.0460, 0.023, 0.050, -0.08, -0.6050, 0.00, 0],
        [0.1, 0.0230, 0.023, 0.020, 0.00, -0.6060, 0.00, 0],
        [0.1, 0.0230, 0.046, 0.020, 0.06, -0.6050, 0.00, 0],
    ]),
    # Kak & Slaney's 3-D geometry ("Principles of Computerized Tomographic Imaging", 1988,
    # p. 102) with the intensities of H. Yu, Y. Ye, G. Wang, "Katsevich-type algorithms for variable
    # radius spiral cone-beam CT", Proc. SPIE 5535, 550–557 (2004). Its slice like the 2-D phantom is z = −0.25.
    "yu-ye-wang": np.array([
        [1.0, 0.6900, 0.920, 0.900, 0.00, 0.000, 0.000, 0],
        [-0.8, 0.6624, 0.874, 0.880, 0.00, 0.000, 0.000, 0],
        [-0.2, 0.4100, 0.160, 0.210, -0.22, 0.000, -0.250, 108],
        [-0.2, 0.3100, 0.110, 0.220, 0.22, 0.000, -0.250, 72],
        [0.2, 0.2100, 0.250, 0.500, 0.00, 0.350, -0.250, 0],
        [0.2, 0.0460, 0.046, 0.046, 0.00, 0.100, -0.250, 0],
        [0.1, 0.0460, 0.023, 0.020, -0.08, -0.650, -0.250, 0],
        [0.1, 0.0460, 0.023, 0.020, 0.06, -0.650, -0.250, 90],
        [0.2, 0.0560, 0.040, 0.100, 0.06, -0.105, 0.625, 90],
        [-0.2, 0.0560, 0.056, 0.100, 0.00, 0.100, 0.625, 0],
    ]),
}


def shepp_logan_3d(n: int | Sequence[int], *, variant: str = "toft") -> np.ndarray:
    """The 3-D Shepp–Logan phantom sampled on ``coordinate_grid((D, H, W))``: float32 ``(D, H, W)`` in [0, 1].

    ``n``: an int (a cube) or ``(D, H, W)``. Axes are (z, y, x), each ``linspace(−1, 1)``;
    the tables' y axis points up the image, so table y = −(grid y) and ``imshow(p[D // 2])``
    looks like MATLAB's ``phantom`` / ``skimage.data.shepp_logan_phantom()``.
    ``variant``: ``"toft"`` (default; the mid-z slice of an odd ``D`` is Toft's modified 2-D
    phantom but for ellipsoids 5–7) or ``"yu-ye-wang"``; ``SHEPP_LOGAN_3D`` holds both
    tables and their sources. Sums are clipped to [0, 1] (only removes float rounding, ~1e-16).
    """
    if variant not in SHEPP_LOGAN_3D:
        raise ValueError(f"shepp_logan_3d: variant must be one of {sorted(SHEPP_LOGAN_3D)}, got {variant!r}")
    shape = (n, n, n) if isinstance(n, (int, np.integer)) and not isinstance(n, bool) else tuple(n)
    if len(shape) != 3:
        raise ValueError(f"shepp_logan_3d: n must be an int or (D, H, W), got {n!r}")
    z, y, x = (coordinate_grid(int(k), dtype=np.float64)[:, 0] for k in shape)  # validates the sizes
    y = -y
    out = np.zeros(shape, np.float64)
    for amp, a, b, c, x0, y0, z0, phi in SHEPP_LOGAN_3D[variant]:
        cos, sin = np.cos(np.deg2rad(phi)), np.sin(np.deg2rad(phi))
        dx, dy = (x - x0)[None, :], (y - y0)[:, None]
        uv = ((dx * cos + dy * sin) / a) ** 2 + ((-dx * sin + dy * cos) / b) ** 2   # (H, W)
        w = ((z - z0) / c) ** 2                                                      # (D,)
        out += amp * (uv[None, :, :] + w[:, None, None] <= 1.0)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
