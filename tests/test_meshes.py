"""Tests for spectral_inr.data.meshes: loading meshes and oriented point clouds, SIREN's normalisation,
surface samples, and exact occupancy of analytic solids (tiny meshes built here; the shared bunny and
cow only when ``../shared/data/meshes`` is present)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import trimesh

from spectral_inr.data import DataError
from spectral_inr.data.meshes import (
    Normalisation,
    load_mesh,
    load_point_cloud,
    normalise,
    occupancy,
    sample_surface,
)


def _meshes_dir() -> Path:
    """``$SPECTRAL_INR_DATA/meshes`` if set, else ``../shared/data/meshes`` beside the checkout."""
    env = os.environ.get("SPECTRAL_INR_DATA")
    if env and (Path(env) / "meshes").is_dir():
        return Path(env) / "meshes"
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "meshes"


MESHES = _meshes_dir()
RNG = np.random.default_rng(0)


def _rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q * np.linalg.det(q)  # a proper rotation


# ---------------------------------------------------------------- loading meshes


@pytest.mark.parametrize("suffix", [".obj", ".ply", ".stl", ".off"])
def test_load_mesh_formats(tmp_path, suffix):
    sphere = trimesh.creation.icosphere(2, radius=0.7)
    sphere.export(tmp_path / f"s{suffix}")
    m = load_mesh(tmp_path / f"s{suffix}")
    assert isinstance(m, trimesh.Trimesh) and m.faces.shape == (320, 3) and m.is_watertight
    assert m.volume == pytest.approx(sphere.volume, rel=1e-6)


def test_load_mesh_two_objects_are_one_mesh(tmp_path):
    box = trimesh.creation.box((1, 1, 1))
    box.apply_translation((3, 0, 0))
    trimesh.Scene({"a": trimesh.creation.icosphere(1), "b": box}).export(tmp_path / "two.obj")
    assert len(load_mesh(tmp_path / "two.obj").faces) == 80 + 12


def test_load_mesh_scene_is_concatenated(tmp_path, monkeypatch):
    box = trimesh.creation.box((1, 1, 1))
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.icosphere(1))
    scene.add_geometry(box, transform=trimesh.transformations.translation_matrix((3, 0, 0)))
    (tmp_path / "s.obj").write_text("")
    monkeypatch.setattr(trimesh, "load", lambda *a, **k: scene)
    m = load_mesh(tmp_path / "s.obj")
    assert len(m.faces) == 92 and m.vertices[:, 0].max() == pytest.approx(3.5)  # the transform applied


def test_load_mesh_errors(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_mesh(tmp_path / "missing.obj")
    trimesh.PointCloud(RNG.normal(size=(10, 3))).export(tmp_path / "cloud.ply")
    with pytest.raises(DataError, match=r"has no faces: pass a mesh, or an oriented point cloud .* for --task sdf"):
        load_mesh(tmp_path / "cloud.ply")
    (tmp_path / "bad.ply").write_bytes(b"ply\nformat nonsense\n")
    with pytest.raises(DataError, match="bad.ply: not a readable mesh"):
        load_mesh(tmp_path / "bad.ply")
    (tmp_path / "empty.obj").write_text("# nothing\n")
    with pytest.raises(DataError, match="has no faces"):
        load_mesh(tmp_path / "empty.obj")
    (tmp_path / "m.glb").write_bytes(b"x")
    with pytest.raises(DataError, match="a mesh is an .obj, .ply, .stl or .off file"):
        load_mesh(tmp_path / "m.glb")
    for p in [tmp_path / "missing.obj", tmp_path / "cloud.ply", tmp_path / "bad.ply"]:
        with pytest.raises(DataError) as e:
            load_mesh(p)
        assert "\n" not in str(e.value)


# ---------------------------------------------------------------- oriented point clouds


def test_load_xyz_normalises_normals(tmp_path):
    pts, nrm = RNG.normal(size=(50, 3)), RNG.normal(size=(50, 3))
    np.savetxt(tmp_path / "c.xyz", np.hstack([pts, 3 * nrm]))
    p, n = load_point_cloud(tmp_path / "c.xyz")
    np.testing.assert_allclose(p, pts, rtol=1e-15)
    np.testing.assert_allclose(n, nrm / np.linalg.norm(nrm, axis=1, keepdims=True), rtol=1e-12)


def test_load_ply_with_normals(tmp_path):
    sphere = trimesh.creation.icosphere(1)
    data = trimesh.exchange.ply.export_ply(sphere, vertex_normal=True, encoding="ascii")
    (tmp_path / "mesh.ply").write_bytes(data)
    p, n = load_point_cloud(tmp_path / "mesh.ply")
    np.testing.assert_allclose(p, sphere.vertices, atol=1e-7)  # float32 in the file
    np.testing.assert_allclose(n, sphere.vertices, atol=1e-6)  # a unit sphere's normals are its points
    # the same vertices as a cloud without faces
    lines = data.decode().replace("element face 80\n", "element face 0\n").splitlines()
    header = lines.index("end_header")
    (tmp_path / "cloud.ply").write_text("\n".join(lines[:header + 1 + 42]) + "\n")
    p2, n2 = load_point_cloud(tmp_path / "cloud.ply")
    np.testing.assert_array_equal(p2, p)
    np.testing.assert_array_equal(n2, n)


def test_point_cloud_errors(tmp_path):
    np.savetxt(tmp_path / "xyz_only.xyz", RNG.normal(size=(5, 3)))
    with pytest.raises(DataError, match="6 columns 'x y z nx ny nz' a line, got 3 .no normals"):
        load_point_cloud(tmp_path / "xyz_only.xyz")
    trimesh.PointCloud(RNG.normal(size=(10, 3))).export(tmp_path / "bare.ply")
    with pytest.raises(DataError, match=r"no vertex normals \(nx, ny, nz\): pass an oriented point cloud, or a mesh"):
        load_point_cloud(tmp_path / "bare.ply")
    np.savetxt(tmp_path / "zero.xyz", np.array([[0, 0, 0, 0, 0, 1], [1, 1, 1, 0, 0, 0.0]]))
    with pytest.raises(DataError, match="1 of 2 normals are zero"):
        load_point_cloud(tmp_path / "zero.xyz")
    (tmp_path / "text.xyz").write_text("a b c d e f\n")
    with pytest.raises(DataError, match="not a readable .xyz point cloud"):
        load_point_cloud(tmp_path / "text.xyz")
    (tmp_path / "empty.xyz").write_text("")
    with pytest.raises(DataError, match="no points"):
        load_point_cloud(tmp_path / "empty.xyz")
    with pytest.raises(DataError, match="no such file"):
        load_point_cloud(tmp_path / "missing.xyz")
    (tmp_path / "c.obj").write_text("")
    with pytest.raises(DataError, match="an oriented point cloud is an .xyz or .ply file"):
        load_point_cloud(tmp_path / "c.obj")


# ---------------------------------------------------------------- normalisation


def _siren_point_cloud(coords: np.ndarray) -> np.ndarray:
    """SIREN dataio.PointCloud.__init__ with keep_aspect_ratio=True, line for line."""
    coords = coords.copy()
    coords -= np.mean(coords, axis=0, keepdims=True)
    coord_max, coord_min = np.amax(coords), np.amin(coords)
    coords = (coords - coord_min) / (coord_max - coord_min)
    coords -= 0.5
    coords *= 2.0
    return coords


def test_normalise_points_is_sirens_map():
    x = RNG.normal(size=(200, 3)) * [1.0, 3.0, 0.5] + [10.0, -2.0, 4.0]
    y, t = normalise(x)
    np.testing.assert_allclose(y, _siren_point_cloud(x), atol=1e-12)
    assert y.min() == pytest.approx(-1.0, abs=1e-12) and y.max() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(t.invert(y), x, atol=1e-12)
    y5, t5 = normalise(x, margin=0.05)
    np.testing.assert_allclose(y5, 0.95 * y, atol=1e-12)
    assert t5.scale == pytest.approx(t.scale / 0.95)
    np.testing.assert_allclose(t5.centre, t.centre)


def test_normalise_mesh_uses_area_weighted_centroid():
    box = trimesh.creation.box((2.0, 1.0, 1.0))
    box.apply_translation((5.0, 1.0, 0.0))
    out, t = normalise(box)
    assert isinstance(out, trimesh.Trimesh) and box.bounds[0, 0] == pytest.approx(4.0)  # the input is untouched
    # surface centroid = the box centre, so x spans [-1, 1] and y, z the middle half
    np.testing.assert_allclose(t.centre, [5.0, 1.0, 0.0], atol=1e-12)
    assert t.scale == pytest.approx(1.0)
    np.testing.assert_allclose(out.bounds, [[-1, -0.5, -0.5], [1, 0.5, 0.5]], atol=1e-12)
    assert isinstance(t, Normalisation)


def test_normalise_errors():
    with pytest.raises(DataError, match="margin must be in"):
        normalise(np.eye(3), margin=1.0)
    with pytest.raises(DataError, match="points must be"):
        normalise(np.zeros((4, 2)))
    with pytest.raises(DataError, match="all coordinates are equal"):
        normalise(np.ones((4, 3)))


@pytest.mark.skipif(not (MESHES / "bunny.obj").is_file(), reason="../shared/data/meshes/bunny.obj not present")
def test_normalise_bunny_into_cube_with_margin():
    bunny = load_mesh(MESHES / "bunny.obj")
    assert bunny.is_watertight and len(bunny.faces) == 56_172
    for margin in (0.0, 0.05):
        out, t = normalise(bunny, margin=margin)
        assert out.vertices.min() == pytest.approx(-(1 - margin), abs=1e-12)
        assert out.vertices.max() == pytest.approx(1 - margin, abs=1e-12)
        np.testing.assert_allclose(t.invert(out.vertices), bunny.vertices, atol=1e-12)
    assert out.volume == pytest.approx(bunny.volume / t.scale**3, rel=1e-9)


# ---------------------------------------------------------------- surface samples


def test_sample_surface_on_box_faces_and_area_weighted():
    box = trimesh.creation.box((1.0, 1.0, 2.0))
    p, n = sample_surface(box, 20_000, seed=3)
    assert p.shape == n.shape == (20_000, 3)
    half = np.array([0.5, 0.5, 1.0])
    axis = np.argmax(np.abs(n), axis=1)
    np.testing.assert_allclose(np.abs(n).max(1), 1.0)
    # each point lies on the face its normal names
    np.testing.assert_allclose(p[np.arange(len(p)), axis], np.sign(n[np.arange(len(p)), axis]) * half[axis],
                               atol=1e-12)
    # the four 1 x 2 sides hold 8 / 10 of the area
    assert np.mean(axis != 2) == pytest.approx(0.8, abs=0.015)
    p2, n2 = sample_surface(box, 20_000, seed=3)
    np.testing.assert_array_equal(p2, p)
    np.testing.assert_array_equal(n2, n)
    assert not np.array_equal(sample_surface(box, 20_000, seed=4)[0], p)
    with pytest.raises(DataError, match="n must be a positive int"):
        sample_surface(box, 0)


# ---------------------------------------------------------------- occupancy


def test_occupancy_box_rays_through_edges_and_vertices():
    box = trimesh.creation.box((1.0, 1.0, 1.0))
    g = np.linspace(-1, 1, 41)  # holds +-0.5 and 0: rays along the side faces, edges and face diagonals
    p = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    d = np.abs(p).max(1) - 0.5
    far = np.abs(d) > 1e-3
    np.testing.assert_array_equal(occupancy(box, p[far]), d[far] < 0)


def test_occupancy_icosphere_equals_convex_halfspaces():
    sphere = trimesh.creation.icosphere(2, radius=0.7)
    sphere.apply_transform(np.vstack([np.hstack([_rotation(1), [[0.1], [-0.2], [0.05]]]), [0, 0, 0, 1]]))
    normals, origins = sphere.face_normals, sphere.triangles[:, 0]
    v = sphere.vertices
    p = np.concatenate([RNG.uniform(-1, 1, (10_000, 3)),
                        # rays through every vertex, above, inside and below
                        *[np.c_[v[:, :2], np.full(len(v), z)] for z in (-1.0, -0.3, 0.0, 0.3, 1.0)]])
    outside = (p @ normals.T - np.sum(origins * normals, axis=1)).max(1)  # the largest face-plane distance
    far = np.abs(outside) > 1e-3
    np.testing.assert_array_equal(occupancy(sphere, p[far]), outside[far] < 0)


def test_occupancy_torus_is_the_analytic_solid():
    big, small = 0.6, 0.25
    torus = trimesh.creation.torus(big, small, major_sections=48, minor_sections=24)
    rot = _rotation(2)
    torus.apply_transform(np.vstack([np.hstack([rot, np.zeros((3, 1))]), [0, 0, 0, 1]]))

    def sdf(x):
        q = x @ rot  # back to the torus frame (rot is orthogonal)
        return np.hypot(np.hypot(q[:, 0], q[:, 1]) - big, q[:, 2]) - small

    # the polygon mesh deviates from the analytic surface by at most its sagitta: skip that band
    band = np.abs(sdf(sample_surface(torus, 20_000, seed=0)[0])).max() + 1e-3
    p = RNG.uniform(-1, 1, (40_000, 3))
    far = np.abs(sdf(p)) > band
    assert far.sum() > 30_000
    np.testing.assert_array_equal(occupancy(torus, p[far]), sdf(p[far]) < 0)


def test_occupancy_nested_orientation_and_grid_rays():
    a = trimesh.creation.icosphere(2, radius=0.3)
    a.apply_translation((-0.5, 0, 0))
    b = trimesh.creation.box((0.4, 0.4, 0.4))
    b.apply_translation((0.5, 0.1, 0))
    two = trimesh.util.concatenate([a, b])
    p = np.array([[-0.5, 0, 0], [0.5, 0.1, 0.1], [0, 0, 0], [0.5, 0.1, 0.5], [-0.5, 0, 0.5]])
    np.testing.assert_array_equal(occupancy(two, p), [True, True, False, False, False])
    inverted = two.copy()
    inverted.invert()  # inward normals: winding -1 inside, still non-zero
    np.testing.assert_array_equal(occupancy(inverted, p), occupancy(two, p))
    # many points on one ray share its crossings
    z = np.linspace(-1, 1, 101)
    col = np.c_[np.full(101, 0.5), np.full(101, 0.1), z]
    np.testing.assert_array_equal(occupancy(two, col), np.abs(z) < 0.2)
    assert occupancy(two, np.zeros((0, 3))).shape == (0,)


def test_occupancy_errors():
    sphere = trimesh.creation.icosphere(1)
    open_mesh = trimesh.Trimesh(sphere.vertices, sphere.faces[1:])
    with pytest.raises(DataError, match="needs a watertight mesh.*fit its signed distance with --task sdf"):
        occupancy(open_mesh, np.zeros((1, 3)))
    with pytest.raises(DataError, match=r"points must be \(M, 3\)"):
        occupancy(sphere, np.zeros((4, 2)))
    with pytest.raises(DataError, match="non-finite"):
        occupancy(sphere, np.full((1, 3), np.nan))


def _winding_number(mesh, p):
    """Generalised winding number, sum of signed solid angles (Van Oosterom & Strackee 1983) / 4 pi."""
    t = mesh.triangles[None] - p[:, None, None]  # (P, F, 3, 3)
    a, b, c = t[:, :, 0], t[:, :, 1], t[:, :, 2]
    la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (a, b, c))
    det = np.einsum("pfi,pfi->pf", a, np.cross(b, c))
    dot = lambda u, v: np.einsum("pfi,pfi->pf", u, v)
    den = la * lb * lc + dot(a, b) * lc + dot(b, c) * la + dot(c, a) * lb
    return 2 * np.arctan2(det, den).sum(1) / (4 * np.pi)


@pytest.mark.skipif(not (MESHES / "cow.obj").is_file(), reason="../shared/data/meshes/cow.obj not present")
def test_occupancy_cow_equals_winding_number():
    cow = load_mesh(MESHES / "cow.obj")
    lo, hi = cow.bounds
    p = RNG.uniform(lo, hi, (300, 3))
    w = _winding_number(cow, p)
    clear = np.abs(w - np.round(w)) < 1e-6  # off the surface
    assert clear.sum() > 280 and 0 < np.mean(w[clear] > 0.5) < 1
    np.testing.assert_array_equal(occupancy(cow, p[clear]), w[clear] > 0.5)
