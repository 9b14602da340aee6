"""Shapes end to end: a fitted sphere's SDF against |x| − r, the CLI on generated meshes and point
clouds (sdf and occupancy), and bad input.  Networks are small; the sphere checks are statistical
with stated tolerances."""
from __future__ import annotations

import json

import jax
import numpy as np
import pytest
import trimesh

from spectral_inr import cli
from spectral_inr.recipes import shape as shape_recipe
from spectral_inr.shapes.fit import MARGIN, ShapeInput, field_of
from spectral_inr.train import fit

SMALL = ["--width", "32", "--depth", "2", "--first-omega0", "10", "--lr", "1e-3", "--chunk", "100"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("shapes")
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.5)
    sphere.export(d / "sphere.obj")
    points, face = trimesh.sample.sample_surface(sphere, 4000, seed=np.random.default_rng(0))
    np.savetxt(d / "sphere.xyz", np.hstack([points, sphere.face_normals[face]]))
    np.savetxt(d / "bare.xyz", points)                        # no normals
    (d / "points.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\n")   # vertices, no faces
    open_box = trimesh.creation.box()
    open_box.update_faces(np.arange(len(open_box.faces)) > 1)   # two triangles removed: not watertight
    open_box.export(d / "open.obj")
    return d


def _main(argv, capsys):
    status = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_fitted_sphere_sdf_is_close_to_the_distance_to_the_sphere(files):
    """SIREN's SDF loss on 5,000 surface points of a sphere (radius 0.5 → 0.95 after the 5 % margin):
    within 0.6 < |x| < 1.2 the field is on average within 0.03 of |x| − 0.95 (measured 0.014)."""
    shape = ShapeInput(str(files / "sphere.obj"), "sdf")
    inputs, targets = shape.training_data(5000)
    fitter = shape_recipe.fitter("siren", "sdf", batch_size=1000, width=64, depth=2, first_omega0=10.0)
    hp = {"lr": 1e-3, "omega0": 30.0}
    result = fit(fitter, inputs, targets, hp, steps=500, chunk=100, progress=False)
    field = field_of(fitter, jax.tree_util.tree_map(lambda a: a[0], result.state.params), hp)
    p = np.random.default_rng(0).uniform(-1, 1, (20000, 3))
    r = np.linalg.norm(p, axis=1)
    shell = (r > 0.6) & (r < 1.2)
    err = np.abs(field(p) - (r - (1 - MARGIN)))[shell]
    assert err.mean() < 0.03, err.mean()
    assert np.mean(np.sign(field(p[r < 0.5])) < 0) > 0.95   # negative inside


def test_cli_fits_a_sphere_mesh_and_writes_mesh_metrics(files, tmp_path, capsys):
    out = tmp_path / "run"
    status, stdout, err = _main(["fit", files / "sphere.obj", *SMALL, "--steps", "300", "--resolution", "32",
                                 "--samples", "3000", "--out", out], capsys)
    assert status == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["kind"] == "shape" and m["task"] == "sdf" and m["resolution"] == 32
    assert m["chamfer"]["mean"] < 0.05, m["chamfer"]          # of a sphere of radius 0.95
    assert m["normal_consistency"]["mean"] > 0.9, m["normal_consistency"]
    np.testing.assert_allclose(m["normalisation"]["scale"], 0.5 / (1 - MARGIN), rtol=1e-6)
    mesh = trimesh.load(out / "reconstruction.ply")          # in the file's units: radius 0.5
    assert abs(np.median(np.linalg.norm(mesh.vertices, axis=1)) - 0.5) < 0.03
    assert (out / "slices.png").stat().st_size > 0 and (out / "curves.png").exists()


def test_cli_occupancy_of_a_watertight_mesh_reports_iou(files, tmp_path, capsys):
    out = tmp_path / "occ"
    status, _, err = _main(["fit", files / "sphere.obj", "--task", "occupancy", *SMALL, "--steps", "300",
                            "--resolution", "32", "--samples", "6000", "--out", out], capsys)
    assert status == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["task"] == "occupancy" and m["iou"]["mean"] > 0.9, m["iou"]


def test_cli_fits_an_oriented_point_cloud(files, tmp_path, capsys):
    out = tmp_path / "cloud"
    status, _, err = _main(["fit", files / "sphere.xyz", "--model", "tuner", "--width", "32", "--chunk", "10",
                            "--steps", "20", "--resolution", "24", "--out", out], capsys)
    assert status == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["training_points"] == 4000 and "chamfer" in m


@pytest.mark.parametrize("argv, needle", [
    (["{d}/points.obj"], "has no faces"),
    (["{d}/bare.xyz"], "normals"),
    (["{d}/open.obj", "--task", "occupancy"], "--task sdf"),
    (["{d}/sphere.xyz", "--task", "occupancy"], "watertight mesh"),
    (["{d}/sphere.obj", "--model", "siren2"], "not a shape model"),
    (["{d}/sphere.obj", "--resize", "8,8"], "--resize applies to images"),
    (["{d}/sphere.obj", "--test-fraction", "0.1"], "--test-fraction"),
    (["{d}/sphere.obj", "--supervise", "gradient"], "--supervise applies to images"),
    (["--task", "sdf"], "--task applies to meshes"),
])
def test_bad_shape_input_is_one_line_exit_1_and_nothing_written(files, tmp_path, capsys, argv, needle):
    out = tmp_path / "bad"
    status, _, err = _main(["fit", *[a.format(d=files) for a in argv], "--steps", "10", "--chunk", "10",
                            "--out", out], capsys)
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err
    assert not out.exists()
