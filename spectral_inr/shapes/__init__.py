"""Shapes: signed distance and occupancy fields of 3-D surfaces (as fitted by SIREN; evaluated as in Occupancy Networks).

Data (meshes, oriented point clouds, normalisation, surface samples, inside/outside labels) lives in
:mod:`spectral_inr.data.meshes` and is re-exported here; evaluation (marching cubes, Chamfer, normal
consistency, IoU, PLY files) in :mod:`.evaluation`; figures in :mod:`.figures`. Conventions:
``docs/shapes.md``.
"""

from spectral_inr.data.meshes import (
    Normalisation,
    load_mesh,
    load_point_cloud,
    normalise,
    occupancy,
    sample_surface,
)

from .evaluation import (
    MESH_CHUNK,
    NoSurfaceError,
    chamfer_distance,
    extract_surface,
    iou,
    mesh_metrics,
    normal_consistency,
    sdf_grid,
    write_ply,
)

__all__ = [
    "MESH_CHUNK",
    "NoSurfaceError",
    "Normalisation",
    "chamfer_distance",
    "extract_surface",
    "iou",
    "load_mesh",
    "load_point_cloud",
    "mesh_metrics",
    "normal_consistency",
    "normalise",
    "occupancy",
    "sample_surface",
    "sdf_grid",
    "write_ply",
]
