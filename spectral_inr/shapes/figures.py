"""Figures of a shape fit: mid-plane slices of the field with its level contour, and a mesh preview.

Matplotlib (Agg); files written atomically through :func:`spectral_inr.report.save_figure`.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from spectral_inr.data import DataError

from .evaluation import _check_resolution

__all__ = ["decimate", "plot_sdf_slices"]

#: the three panels: (title, axis held at 0, horizontal axis, vertical axis), axes 0, 1, 2 = x, y, z
_PLANES = (("x = 0", 0, 1, 2), ("y = 0", 1, 0, 2), ("z = 0", 2, 0, 1))
_NAMES = "xyz"


def _mid_planes(sdf, resolution: int | None) -> list[np.ndarray]:
    """The three planes through the origin, each ``(R, R)`` indexed (horizontal, vertical)."""
    if callable(sdf):
        r = _check_resolution(128 if resolution is None else resolution)
        axis = np.linspace(-1.0, 1.0, r)
        h, v = np.meshgrid(axis, axis, indexing="ij")
        planes = []
        for _, held, hor, ver in _PLANES:
            pts = np.zeros((r * r, 3), np.float32)
            pts[:, hor], pts[:, ver] = h.ravel(), v.ravel()
            values = np.asarray(sdf(pts), np.float32)
            if values.size != r * r:
                raise DataError(f"plot_sdf_slices: the field returned shape {values.shape} for {r * r} points")
            planes.append(values.reshape(r, r))
        return planes
    grid = np.asarray(sdf, np.float32)
    if grid.ndim != 3 or len(set(grid.shape)) != 1:
        raise DataError(f"plot_sdf_slices: a grid is (R, R, R), got shape {grid.shape}")
    m = grid.shape[0] // 2  # the plane through 0 for odd R; the one just above it for even R
    return [grid[m], grid[:, m], grid[:, :, m]]


def decimate(vertices, faces, cells: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Vertex clustering: snap vertices to a ``cells^3`` grid over their bounding box, merge each
    cell's vertices into their mean, and drop the faces that collapse. For previews only."""
    v, f = np.asarray(vertices, np.float64), np.asarray(faces, np.int64)
    lo, hi = v.min(0), v.max(0)
    key = np.floor((v - lo) / max(float(np.max(hi - lo)), 1e-12) * (cells - 1e-9)).astype(np.int64)
    _, cluster, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    cluster = cluster.reshape(-1)
    merged = np.zeros((len(counts), 3))
    np.add.at(merged, cluster, v)
    merged /= counts[:, None]
    g = cluster[f]
    keep = (g[:, 0] != g[:, 1]) & (g[:, 1] != g[:, 2]) & (g[:, 0] != g[:, 2])
    return merged, np.unique(g[keep], axis=0)


def plot_sdf_slices(sdf, path=None, *, resolution: int | None = None, level: float = 0.0, mesh=None,
                    max_faces: int = 20_000, title: str = ""):
    """Mid-plane slices x = 0, y = 0, z = 0 of a field over [-1, 1]^2 with the contour ``f = level``,
    and, given ``mesh=(vertices, faces)``, a shaded preview of the mesh (decimated by
    :func:`decimate` to at most about ``max_faces`` faces). Returns the figure, or writes it to
    ``path`` as PNG (atomically) and returns the path.

    ``sdf``: a callable ``(M, 3) -> (M,)`` (evaluated on three ``resolution^2`` planes; default
    128) or a grid ``(R, R, R)`` as from :func:`~spectral_inr.shapes.evaluation.sdf_grid` (the
    planes at index ``R // 2``, through 0 for odd R). Colours: a diverging map symmetric about
    ``level`` (blue below, red above), clipped at the largest |f - level| in the three planes.
    """
    planes = _mid_planes(sdf, resolution)
    span = max(float(np.max(np.abs(p - level))) for p in planes) or 1.0
    n = 3 + (mesh is not None)
    fig = plt.figure(figsize=(4.2 * n, 4.0), layout="constrained")
    for i, ((name, _, hor, ver), plane) in enumerate(zip(_PLANES, planes)):
        ax = fig.add_subplot(1, n, i + 1)
        im = ax.imshow(plane.T, origin="lower", extent=(-1, 1, -1, 1), cmap="RdBu_r",
                       vmin=level - span, vmax=level + span)
        if plane.min() < level < plane.max():
            axis = np.linspace(-1, 1, plane.shape[0])
            ax.contour(axis, axis, plane.T, levels=[level], colors="k", linewidths=1.0)
        ax.set_title(name)
        ax.set_xlabel(_NAMES[hor])
        ax.set_ylabel(_NAMES[ver])
    fig.colorbar(im, ax=fig.axes[:3], shrink=0.8, label="f")
    if mesh is not None:
        _plot_mesh(fig.add_subplot(1, n, n, projection="3d"), *mesh, max_faces=max_faces)
    if title:
        fig.suptitle(title)
    if path is None:
        return fig
    from spectral_inr.report import save_figure

    return save_figure(fig, path)


def _plot_mesh(ax, vertices, faces, *, max_faces: int) -> None:
    v, f = np.asarray(vertices, np.float64), np.asarray(faces, np.int64)
    cells = 256
    while len(f) > max_faces and cells > 8:
        cells //= 2
        v, f = decimate(vertices, faces, cells)
    if len(f):
        ax.plot_trisurf(v[:, 0], v[:, 1], v[:, 2], triangles=f, color="0.75", shade=True, linewidth=0)
    ax.set(xlim=(-1, 1), ylim=(-1, 1), zlim=(-1, 1), xlabel="x", ylabel="y", zlabel="z")
    ax.set_box_aspect((1, 1, 1))
    ax.set_title(f"mesh ({len(f):,} faces shown)")
