"""Evaluate a fitted shape: its zero level set as a mesh, and distances to the reference surface.

* :func:`sdf_grid` / :func:`extract_surface` — a field sampled on a ``resolution^3`` grid over
  [-1, 1]^3 in chunks, then ``skimage.measure.marching_cubes``.
* :func:`chamfer_distance`, :func:`normal_consistency`, :func:`mesh_metrics` — the Occupancy
  Networks conventions (Mescheder et al., CVPR 2019; ``im2mesh/eval.py``, ``eval_pointcloud``).
* :func:`iou` — volumetric IoU of two boolean grids.
* :func:`write_ply` — a mesh file, written atomically.

Lengths are in the units of the points passed in: the normalised [-1, 1]^3 frame for meshes from
:func:`extract_surface` (multiply by ``Normalisation.scale`` for the file's units).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from spectral_inr.data import DataError
from spectral_inr.data._atomic import atomic_path
from spectral_inr.data.meshes import sample_surface

__all__ = [
    "MESH_CHUNK",
    "NoSurfaceError",
    "chamfer_distance",
    "extract_surface",
    "iou",
    "mesh_metrics",
    "normal_consistency",
    "sdf_grid",
    "write_ply",
]

#: grid points per call of the field: SIREN's ``sdf_meshing.create_mesh`` uses ``max_batch=64 ** 3``
MESH_CHUNK = 64**3


class NoSurfaceError(DataError):
    """The field never crosses the level on the grid: there is no surface to extract."""


def sdf_grid(sdf_fn, resolution: int, *, chunk: int = MESH_CHUNK) -> np.ndarray:
    """``f`` on the grid ``linspace(-1, 1, resolution)`` per axis: float32 ``(R, R, R)`` with
    ``grid[i, j, k] = f(x_i, y_j, z_k)``.

    ``sdf_fn`` maps float32 points ``(M, 3)`` (columns x, y, z) to ``(M,)`` or ``(M, 1)`` values (numpy
    or jax). It is called with exactly ``chunk`` points each time (the last chunk padded with
    zeros), so a jitted function compiles once; memory is the grid (4 R^3 bytes) plus one chunk.
    """
    r = _check_resolution(resolution)
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise DataError(f"sdf_grid: chunk must be a positive int, got {chunk!r}")
    axis = np.linspace(-1.0, 1.0, r)
    n = r**3
    chunk = int(min(chunk, n))
    out = np.empty(n, np.float32)
    for lo in range(0, n, chunk):
        idx = np.arange(lo, lo + chunk)
        i, j, k = np.unravel_index(np.minimum(idx, n - 1), (r, r, r))
        pts = np.stack([axis[i], axis[j], axis[k]], axis=1).astype(np.float32)
        pts[idx >= n] = 0.0
        values = np.asarray(sdf_fn(pts), np.float32)
        if values.size != chunk:
            raise DataError(f"sdf_grid: the field returned shape {values.shape} for {chunk} points; "
                            f"expected ({chunk},) or ({chunk}, 1)")
        m = min(chunk, n - lo)
        out[lo:lo + m] = values.reshape(-1)[:m]
    return out.reshape(r, r, r)


def extract_surface(sdf, resolution: int | None = None, level: float = 0.0, *,
                    chunk: int = MESH_CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """The level set ``f = level`` by marching cubes: ``(vertices (V, 3) float64, faces (F, 3) int64)``.

    ``sdf``: a callable as in :func:`sdf_grid` (evaluated on ``resolution^3`` points over [-1, 1]^3)
    or an already sampled ``(R, R, R)`` grid (then ``resolution`` may be omitted). Vertices are in
    the [-1, 1]^3 frame (grid spacing ``2 / (R - 1)``; the grid includes both ends, as SIREN's
    ``sdf_meshing``); faces are oriented with normals toward increasing ``f`` (outward for an SDF
    that is negative inside; reverse ``faces[:, ::-1]`` for an occupancy that is high inside).
    Degenerate (zero-area) triangles are not emitted. A surface reaching the faces of the cube is
    cut open there.

    Raises :class:`NoSurfaceError` (a ``DataError``) when ``f`` stays on one side of ``level`` on
    the whole grid, and ``DataError`` for non-finite values.
    """
    from skimage.measure import marching_cubes

    if callable(sdf):
        if resolution is None:
            raise DataError("extract_surface: pass resolution= with a callable field")
        grid = sdf_grid(sdf, resolution, chunk=chunk)
    else:
        grid = np.asarray(sdf, np.float32)
        if grid.ndim != 3 or len(set(grid.shape)) != 1:
            raise DataError(f"extract_surface: a grid is (R, R, R), got shape {grid.shape}")
        _check_resolution(grid.shape[0])
        if resolution is not None and resolution != grid.shape[0]:
            raise DataError(f"extract_surface: resolution={resolution} but the grid is {grid.shape}")
    if not np.all(np.isfinite(grid)):
        raise DataError(f"extract_surface: the field has {int(np.sum(~np.isfinite(grid)))} non-finite values")
    lo, hi = float(grid.min()), float(grid.max())
    if not lo < level < hi:
        raise NoSurfaceError(f"no surface: f ranges over [{lo:.4g}, {hi:.4g}] on the {grid.shape[0]}^3 grid over "
                             f"[-1, 1]^3, so it never crosses level {level:g}")
    h = 2.0 / (grid.shape[0] - 1)
    verts, faces, _, _ = marching_cubes(grid, level=level, spacing=(h, h, h), allow_degenerate=False)
    return verts.astype(np.float64) - 1.0, faces.astype(np.int64)


def _check_resolution(resolution) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise DataError(f"resolution must be an int >= 2, got {resolution!r}")
    return int(resolution)


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


def _points(x, name: str) -> np.ndarray:
    a = np.asarray(x, np.float64)
    if a.ndim != 2 or a.shape[1] != 3 or len(a) == 0:
        raise DataError(f"{name} must be (N, 3) with N >= 1, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise DataError(f"{name} has non-finite values (NaN or inf)")
    return a


def _nearest(src: np.ndarray, tgt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distance from each ``src`` point to its nearest ``tgt`` point, and that point's index."""
    from scipy.spatial import cKDTree

    return cKDTree(tgt).query(src, k=1, workers=1)


def chamfer_distance(points_a, points_b) -> float:
    """Chamfer-L1 of Occupancy Networks: ``(mean_a d(a, B) + mean_b d(b, A)) / 2``, with ``d`` the
    Euclidean distance (not squared) to the nearest point of the other set.

    Symmetric; 0 only for equal sets. Occupancy Networks report it for shapes in a unit cube
    ([-0.5, 0.5]^3); in the [-1, 1]^3 frame the same error reads twice as large.
    """
    a, b = _points(points_a, "points_a"), _points(points_b, "points_b")
    return 0.5 * (float(_nearest(a, b)[0].mean()) + float(_nearest(b, a)[0].mean()))


def _unit(n, name: str, count: int) -> np.ndarray:
    n = np.asarray(n, np.float64)
    if n.shape != (count, 3):
        raise DataError(f"{name} must be ({count}, 3) like its points, got shape {n.shape}")
    length = np.linalg.norm(n, axis=1)
    if not np.all(np.isfinite(length)) or np.any(length == 0):
        raise DataError(f"{name} has zero or non-finite normals")
    return n / length[:, None]


def normal_consistency(points_a, normals_a, points_b, normals_b) -> float:
    """Normal consistency of Occupancy Networks: ``(mean_a |n_a . n_B(a)| + mean_b |n_b . n_A(b)|) / 2``,
    ``n_B(a)`` the normal of the point of B nearest to ``a``; normals are scaled to unit length first.

    In [0, 1], 1 for matching normals; the absolute value ignores orientation (inside-out faces
    are not penalised).
    """
    a, b = _points(points_a, "points_a"), _points(points_b, "points_b")
    na, nb = _unit(normals_a, "normals_a", len(a)), _unit(normals_b, "normals_b", len(b))
    ab = np.abs(np.sum(na * nb[_nearest(a, b)[1]], axis=1)).mean()
    ba = np.abs(np.sum(nb * na[_nearest(b, a)[1]], axis=1)).mean()
    return 0.5 * (float(ab) + float(ba))


def mesh_metrics(pred_vertices, pred_faces, gt_mesh, *, samples: int = 100_000, seed: int = 0) -> dict:
    """``{"chamfer": ..., "normal_consistency": ...}`` between a predicted mesh and the reference one.

    ``samples`` points with face normals are drawn from each surface (area-weighted,
    :func:`~spectral_inr.data.meshes.sample_surface`; 100,000 each, as Occupancy Networks'
    ``MeshEvaluator``): the prediction with ``seed``, the reference with ``seed + 1`` (two equal
    meshes then score the sampling noise, not an exact 0). Lengths in the units both meshes share.
    """
    import trimesh

    v = _points(pred_vertices, "pred_vertices")
    f = np.asarray(pred_faces)
    if f.ndim != 2 or f.shape[1] != 3 or len(f) == 0 or not np.issubdtype(f.dtype, np.integer):
        raise DataError(f"pred_faces must be integer (F, 3) with F >= 1, got {f.dtype} {f.shape}")
    if f.min() < 0 or f.max() >= len(v):
        raise DataError(f"pred_faces index vertices outside [0, {len(v)})")
    pred = trimesh.Trimesh(v, f, process=False)
    pa, na = sample_surface(pred, samples, seed)
    pb, nb = sample_surface(gt_mesh, samples, seed + 1)
    return {"chamfer": chamfer_distance(pa, pb), "normal_consistency": normal_consistency(pa, na, pb, nb)}


def iou(pred_occ, gt_occ) -> float:
    """Volumetric IoU ``|P and G| / |P or G|`` of two boolean grids (or point sets) of the same shape.

    Raises ``DataError`` for non-boolean input (threshold first, e.g. ``sdf < 0``), different
    shapes, or two empty sets (IoU undefined).
    """
    p, g = np.asarray(pred_occ), np.asarray(gt_occ)
    if p.dtype != np.bool_ or g.dtype != np.bool_:
        raise DataError(f"iou takes boolean grids (e.g. sdf < 0), got {p.dtype} and {g.dtype}")
    if p.shape != g.shape:
        raise DataError(f"iou: grids differ in shape, {p.shape} vs {g.shape}")
    union = int(np.count_nonzero(p | g))
    if union == 0:
        raise DataError("iou is undefined: both grids are empty")
    return np.count_nonzero(p & g) / union


def write_ply(path: str | os.PathLike, vertices, faces) -> Path:
    """Write a triangle mesh as binary PLY (trimesh export, vertices as given), atomically; returns the path."""
    import trimesh

    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces)
    if v.ndim != 2 or v.shape[1] != 3 or f.ndim != 2 or f.shape[1] != 3:
        raise DataError(f"{path}: a mesh is vertices (V, 3) and faces (F, 3), got {v.shape} and {f.shape}")
    if len(f) and (f.min() < 0 or f.max() >= len(v)):
        raise DataError(f"{path}: faces index vertices outside [0, {len(v)})")
    data = trimesh.Trimesh(v, f, process=False).export(file_type="ply")
    with atomic_path(path, suffix=".ply") as tmp:
        tmp.write_bytes(data)
    return Path(path)
