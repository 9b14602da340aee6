"""Tests for spectral_inr.shapes: the grid and marching cubes on analytic SDFs, Chamfer and normal
consistency against brute-force numpy, IoU, PLY files and the slice figure."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from spectral_inr.data import DataError
from spectral_inr.shapes import (
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
from spectral_inr.shapes.figures import decimate, plot_sdf_slices

RNG = np.random.default_rng(0)
CENTRE = np.array([0.1, -0.05, 0.0])


def sphere_sdf(p, r=0.5):
    return np.linalg.norm(np.asarray(p) - CENTRE, axis=1) - r


# ---------------------------------------------------------------- grid and marching cubes


def test_sdf_grid_order_and_fixed_chunks():
    calls = []

    def f(p):
        calls.append(p.shape)
        assert p.dtype == np.float32
        return (p[:, 0] + 10 * p[:, 1] + 100 * p[:, 2])[:, None]  # (M, 1) is accepted

    g = sdf_grid(f, 5, chunk=7)
    a = np.linspace(-1, 1, 5, dtype=np.float32)
    ref = a[:, None, None] + 10 * a[None, :, None] + 100 * a[None, None, :]
    np.testing.assert_allclose(g, ref, rtol=1e-6)
    assert g.shape == (5, 5, 5) and g.dtype == np.float32
    assert calls == [(7, 3)] * 18  # ceil(125 / 7), the last one padded: one compile for a jitted f
    assert MESH_CHUNK == 64**3
    with pytest.raises(DataError, match=r"returned shape \(6,\) for 7 points"):
        sdf_grid(lambda p: np.zeros(6), 5, chunk=7)
    with pytest.raises(DataError, match="resolution must be an int >= 2"):
        sdf_grid(f, 1)


def test_sdf_grid_takes_a_jitted_jax_field():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    g = sdf_grid(jax.jit(lambda p: jnp.linalg.norm(p - CENTRE, axis=1) - 0.5), 17, chunk=1000)
    np.testing.assert_allclose(g, sdf_grid(sphere_sdf, 17), atol=1e-6)


def test_extract_surface_sphere_radius_and_chamfer():
    r = 64
    v, f = extract_surface(sphere_sdf, r)
    assert v.dtype == np.float64 and f.dtype == np.int64 and f.shape[1] == 3
    # linear interpolation along grid edges: measured max error 2.5e-4 at h = 2/63
    np.testing.assert_allclose(np.linalg.norm(v - CENTRE, axis=1), 0.5, atol=1e-3)
    mesh = trimesh.Trimesh(v, f, process=False)
    assert mesh.is_watertight and mesh.volume > 0  # outward faces: normals toward increasing f
    assert np.all(np.sum(mesh.face_normals * (mesh.triangles_center - CENTRE), axis=1) > 0)
    ico = trimesh.creation.icosphere(5, radius=0.5)
    ico.apply_translation(CENTRE)
    m = mesh_metrics(v, f, ico, samples=20_000, seed=0)
    floor = mesh_metrics(ico.vertices, ico.faces, ico, samples=20_000, seed=0)  # sampling noise alone
    assert floor["chamfer"] == pytest.approx(0.0063, abs=0.001)
    assert m["chamfer"] < floor["chamfer"] + 0.0015 and m["normal_consistency"] > 0.999
    big = trimesh.creation.icosphere(5, radius=0.55)
    big.apply_translation(CENTRE)
    assert mesh_metrics(v, f, big, samples=20_000)["chamfer"] == pytest.approx(0.05 + 0.0005, abs=0.003)
    # a sampled grid gives the same mesh; so does a level set of a shifted field
    v2, f2 = extract_surface(sdf_grid(sphere_sdf, r))
    np.testing.assert_array_equal(v2, v)
    np.testing.assert_array_equal(f2, f)
    v3, _ = extract_surface(lambda p: sphere_sdf(p) + 0.25, r, level=0.25)
    np.testing.assert_allclose(np.linalg.norm(v3 - CENTRE, axis=1), 0.5, atol=1e-3)


def test_extract_surface_no_crossing_and_bad_input():
    with pytest.raises(NoSurfaceError, match=r"no surface: f ranges over \[0\.\d+, .*\] on the 9\^3 grid .* level 0"):
        extract_surface(lambda p: sphere_sdf(p, r=0.01) + 0.5, 9)
    assert issubclass(NoSurfaceError, DataError)
    with pytest.raises(DataError, match="non-finite"):
        extract_surface(lambda p: np.full(len(p), np.nan), 5)
    with pytest.raises(DataError, match=r"a grid is \(R, R, R\)"):
        extract_surface(np.zeros((4, 4, 5)))
    with pytest.raises(DataError, match="pass resolution="):
        extract_surface(sphere_sdf)


# ---------------------------------------------------------------- metrics against brute force


def _brute_nearest(a, b):
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    return d.min(1), d.argmin(1)


def test_chamfer_matches_brute_force():
    a, b = RNG.normal(size=(300, 3)), RNG.normal(size=(170, 3)) + 0.3
    ref = 0.5 * (_brute_nearest(a, b)[0].mean() + _brute_nearest(b, a)[0].mean())
    assert chamfer_distance(a, b) == pytest.approx(ref, rel=1e-12)
    assert chamfer_distance(b, a) == pytest.approx(ref, rel=1e-12)
    assert chamfer_distance(a, a) == 0.0
    # one point against two: d = (mean(1, 3) + 1) / 2
    assert chamfer_distance([[0, 0, 0]], [[1, 0, 0], [0, 3, 0]]) == pytest.approx(1.5)
    with pytest.raises(DataError, match=r"points_b must be \(N, 3\) with N >= 1"):
        chamfer_distance(a, np.zeros((0, 3)))


def test_normal_consistency_matches_brute_force():
    a, b = RNG.normal(size=(200, 3)), RNG.normal(size=(150, 3))
    na, nb = RNG.normal(size=(200, 3)) * 4, RNG.normal(size=(150, 3))
    ua, ub = na / np.linalg.norm(na, axis=1, keepdims=True), nb / np.linalg.norm(nb, axis=1, keepdims=True)
    ab = np.abs(np.sum(ua * ub[_brute_nearest(a, b)[1]], axis=1)).mean()
    ba = np.abs(np.sum(ub * ua[_brute_nearest(b, a)[1]], axis=1)).mean()
    assert normal_consistency(a, na, b, nb) == pytest.approx(0.5 * (ab + ba), rel=1e-12)
    assert normal_consistency(a, -na, b, nb) == pytest.approx(0.5 * (ab + ba), rel=1e-12)  # orientation ignored
    assert normal_consistency(a, na, a, -2 * na) == pytest.approx(1.0)
    with pytest.raises(DataError, match="zero or non-finite normals"):
        normal_consistency(a, np.zeros_like(a), b, nb)
    with pytest.raises(DataError, match=r"normals_b must be \(150, 3\)"):
        normal_consistency(a, na, b, nb[:10])


def test_mesh_metrics_is_deterministic_and_checks_faces():
    box = trimesh.creation.box((1.0, 1.0, 1.0))
    m1 = mesh_metrics(box.vertices, box.faces, box, samples=2_000, seed=5)
    assert m1 == mesh_metrics(box.vertices, box.faces, box, samples=2_000, seed=5)
    # near the edges a nearest neighbour may sit on the next face (|cos| = 0): about 5 % at 2,000 samples
    assert set(m1) == {"chamfer", "normal_consistency"} and 0.9 < m1["normal_consistency"] < 1
    with pytest.raises(DataError, match="pred_faces index vertices outside"):
        mesh_metrics(box.vertices, box.faces + 100, box, samples=10)
    with pytest.raises(DataError, match="pred_faces must be integer"):
        mesh_metrics(box.vertices, np.zeros((0, 3), np.int64), box, samples=10)


def test_iou():
    p = np.zeros((4, 4, 4), bool)
    g = np.zeros((4, 4, 4), bool)
    p[:2], g[1:3] = True, True  # 32 and 32 voxels, 16 shared
    assert iou(p, g) == pytest.approx(16 / 48)
    assert iou(p, p) == 1.0
    with pytest.raises(DataError, match="boolean grids"):
        iou(p.astype(float), g)
    with pytest.raises(DataError, match="differ in shape"):
        iou(p, g[:3])
    with pytest.raises(DataError, match="both grids are empty"):
        iou(np.zeros(3, bool), np.zeros(3, bool))


# ---------------------------------------------------------------- files and figures


def test_write_ply_roundtrip_atomic(tmp_path):
    v, f = extract_surface(sphere_sdf, 16)
    out = write_ply(tmp_path / "sub" / "mesh.ply", v, f)
    assert out == tmp_path / "sub" / "mesh.ply" and sorted(p.name for p in out.parent.iterdir()) == ["mesh.ply"]
    back = trimesh.load(out, process=False)
    np.testing.assert_allclose(back.vertices, v, atol=1e-6)  # float32 in the file
    np.testing.assert_array_equal(back.faces, f)
    with pytest.raises(DataError, match="faces index vertices outside"):
        write_ply(tmp_path / "bad.ply", v, f + len(v))
    assert not (tmp_path / "bad.ply").exists()


def test_decimate_merges_vertices():
    v, f = extract_surface(sphere_sdf, 48)
    dv, df = decimate(v, f, cells=8)
    assert len(df) < len(f) / 10 and df.max() < len(dv)
    assert np.all(df[:, 0] != df[:, 1]) and np.all(df[:, 1] != df[:, 2])
    np.testing.assert_allclose(np.linalg.norm(dv - CENTRE, axis=1), 0.5, atol=0.1)


def test_plot_sdf_slices(tmp_path):
    v, f = extract_surface(sphere_sdf, 24)
    out = plot_sdf_slices(sphere_sdf, tmp_path / "slices.png", resolution=33, mesh=(v, f), max_faces=500,
                          title="sphere")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = plot_sdf_slices(sdf_grid(sphere_sdf, 17))
    assert len(fig.axes) == 4  # three slices and the colour bar
    import matplotlib.pyplot as plt

    plt.close(fig)
