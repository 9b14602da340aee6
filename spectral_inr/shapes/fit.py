"""A shape to fit (a mesh or an oriented point cloud, normalised into [−1, 1]³), its training points,
and the evaluation of a fitted field against it.

* The input is moved into [−1, 1]³ by SIREN's ``PointCloud`` normalisation with a 5 % margin
  (:func:`spectral_inr.data.meshes.normalise`); every distance is in that frame
  (``transform`` maps back to the file's units).
* ``sdf``: points with normals sampled on the mesh's surface (area-weighted; a point cloud is used
  as it is).  ``occupancy`` (watertight meshes): labelled points, half uniform in [−1, 1]³ and half
  on the surface plus N(0, 0.02²) noise.
* Evaluation: marching cubes of ``f`` at level 0 on an ``N³`` grid, then Chamfer distance and
  normal consistency against :data:`EVAL_SAMPLES` points of the input's surface (and as many of the
  reconstruction's), and for occupancy the IoU on an :data:`IOU_RESOLUTION`³ grid.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

SUFFIXES = {".obj": "mesh", ".ply": "mesh", ".stl": "mesh", ".off": "mesh", ".glb": "mesh", ".xyz": "points"}
MARGIN = 0.05               # ours: SIREN's normalisation shrunk by 5 % (marching cubes over [−1, 1]³ would cut it)
NEAR_SURFACE_SIGMA = 0.02   # ours: occupancy's near-surface points, N(0, σ²) off the surface (normalised frame)
EVAL_SAMPLES = 30_000       # ours: points sampled on each surface for Chamfer / normal consistency
IOU_RESOLUTION = 64         # ours: occupancy IoU on a 64³ grid over [−1, 1]³


def is_shape(path) -> bool:
    """Whether ``path`` names a mesh or point-cloud file (by suffix)."""
    return path is not None and Path(str(path)).suffix.lower() in SUFFIXES


class ShapeInput:
    """The loaded input, normalised: a mesh (``mesh`` set) or an oriented cloud (``points``, ``normals``)."""

    def __init__(self, path: str, task: str):
        from spectral_inr.data import meshes

        self.path, self.task = path, task
        self.mesh = self.points = self.normals = None
        if SUFFIXES[Path(path).suffix.lower()] == "points" or _ply_without_faces(path):
            if task == "occupancy":
                raise ValueError(f"{path} is a point cloud: occupancy needs a watertight mesh (use --task sdf)")
            points, normals = meshes.load_point_cloud(path)
            self.points, self.transform = meshes.normalise(points, margin=MARGIN)
            self.normals = normals
        else:
            mesh = meshes.load_mesh(path)
            if task == "occupancy" and not mesh.is_watertight:
                raise ValueError(f"{path} is not watertight: inside/outside is undefined for occupancy; "
                                 "fit a signed distance with --task sdf")
            self.mesh, self.transform = meshes.normalise(mesh, margin=MARGIN)

    def training_data(self, samples: int, seed: int = 0):
        """``(inputs, targets)``: surface points and normals (sdf) or points and labels (occupancy)."""
        from spectral_inr.data import meshes

        if self.task == "sdf":
            if self.mesh is None:
                return self.points.astype(np.float32), self.normals.astype(np.float32)
            points, normals = meshes.sample_surface(self.mesh, samples, seed=seed)
            return points.astype(np.float32), normals.astype(np.float32)
        rng = np.random.default_rng(seed)
        near, _ = meshes.sample_surface(self.mesh, samples - samples // 2, seed=seed)
        points = np.concatenate([rng.uniform(-1, 1, (samples // 2, 3)),
                                 near + rng.normal(0, NEAR_SURFACE_SIGMA, near.shape)])
        labels = meshes.occupancy(self.mesh, points).astype(np.float32)[:, None]
        return points.astype(np.float32), labels

    @functools.cached_property
    def reference(self):
        """Points and normals on the input surface for the metrics (seed 1), drawn once for every member."""
        from spectral_inr.data import meshes

        if self.mesh is not None:
            return meshes.sample_surface(self.mesh, EVAL_SAMPLES, seed=1)
        idx = np.random.default_rng(1).permutation(len(self.points))[:EVAL_SAMPLES]
        return self.points[idx], self.normals[idx]

    @functools.cached_property
    def inside(self):
        """Occupancy of the :data:`IOU_RESOLUTION`³ grid (:func:`grid_points`), labelled once for every member."""
        from spectral_inr.data import meshes

        return meshes.occupancy(self.mesh, grid_points(IOU_RESOLUTION))


def _ply_without_faces(path: str) -> bool:
    """A ``.ply`` whose header declares no faces: an oriented point cloud."""
    if Path(path).suffix.lower() != ".ply":
        return False
    try:
        with open(path, "rb") as f:
            header = f.read(4096).split(b"end_header")[0]
    except OSError:
        return False
    return b"element face" not in header or b"element face 0" in header


def grid_points(resolution: int) -> np.ndarray:
    """The ``resolution³`` grid over [−1, 1]³ as float32 points ``(R³, 3)``, in the order of
    :func:`spectral_inr.shapes.evaluation.sdf_grid` (``[i, j, k] = (x_i, y_j, z_k)``)."""
    axis = np.linspace(-1.0, 1.0, resolution)
    return np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3).astype(np.float32)


def surface_samples(vertices, faces, n: int, seed: int):
    """``n`` points with face normals on the mesh ``(vertices, faces)`` (area-weighted)."""
    import trimesh

    from spectral_inr.data import meshes

    return meshes.sample_surface(trimesh.Trimesh(vertices, faces, process=False), n, seed=seed)


def evaluate_member(field, shape: ShapeInput, resolution: int) -> tuple[dict, tuple]:
    """Metrics of one fitted ``field`` (``(M, 3) -> (M,)``, normalised frame) and its extracted
    surface ``(vertices, faces)``: Chamfer distance and normal consistency (NaN when ``f`` never
    crosses 0 on the grid: no surface), and for occupancy the IoU of ``f > 0`` on an
    :data:`IOU_RESOLUTION`³ grid."""
    from spectral_inr.shapes import evaluation

    try:
        vertices, faces = evaluation.extract_surface(field, resolution)
    except evaluation.NoSurfaceError:
        vertices, faces = np.zeros((0, 3)), np.zeros((0, 3), np.int64)
    scores = {"chamfer": float("nan"), "normal_consistency": float("nan")}
    if len(faces):
        ref_points, ref_normals = shape.reference
        points, normals = surface_samples(vertices, faces, EVAL_SAMPLES, seed=2)
        scores["chamfer"] = evaluation.chamfer_distance(points, ref_points)
        scores["normal_consistency"] = evaluation.normal_consistency(points, normals, ref_points, ref_normals)
    if shape.task == "occupancy":
        scores["iou"] = evaluation.iou(evaluation.sdf_grid(field, IOU_RESOLUTION).reshape(-1) > 0, shape.inside)
    return scores, (vertices, faces)


def field_of(fitter, params, member):
    """One member's field ``(M, 3) -> (M,)`` as numpy (``member``: its hyper-parameters, seed ignored)."""
    hp = {k: float(v) for k, v in member.items() if k != "seed"}
    predict = _jitted_predict(fitter)
    return lambda pts: np.asarray(predict(params, hp, np.asarray(pts, np.float32)))[:, 0]


@functools.lru_cache(maxsize=16)
def _jitted_predict(fitter):
    """``fitter.predict`` compiled once per Fitter (hashed by identity): every member and every chunk of
    :func:`~spectral_inr.shapes.evaluation.sdf_grid` (one shape) reuses the program."""
    import jax

    return jax.jit(lambda p, h, x: fitter.predict(p, {}, h, x))
