"""exp-sdf end to end at toy size: every row trains, is meshed and scored, and reported; the paper
protocol is SIREN's train_sdf.py."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import trimesh

from experiments import common, sdf
from spectral_inr import protocols
from spectral_inr.recipes import shape as shape_recipe


def test_paper_protocol_is_sirens_sdf_script():
    p = protocols.SHAPES_SDF["paper"]
    # train_sdf.py: 1400 on-surface points a step, lr 1e-4; SingleBVPNet 256 wide, 3 hidden + first = 4 sine layers
    assert (p.batch_size, p.lr, p.width, p.depth, p.task) == (1400, 1e-4, 256, 4, "sdf")
    assert p.steps == 10_000 * (p.surface_samples // 1400)
    assert protocols.SHAPES_SDF["quick"].reduced


def test_tuner_width_matches_sirens_parameter_count():
    target = shape_recipe.parameter_count(shape_recipe.model_fn("siren", width=32, depth=2))
    w = shape_recipe.matched_width("tuner", target, depth=1, resolution=48)
    count = lambda w: shape_recipe.parameter_count(shape_recipe.model_fn("tuner", width=w, depth=1, resolution=48))
    gap = lambda w: abs(count(w) - target)
    assert gap(w) <= min(gap(w - 1), gap(w + 1)) and gap(w) / target < 0.05, (count(w), target)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    (root / "meshes").mkdir()
    trimesh.creation.icosphere(subdivisions=2, radius=0.4).export(root / "meshes" / "sphere.obj")
    p = dataclasses.replace(protocols.SHAPES_SDF["quick"], mesh="meshes/sphere.obj", steps=20, seeds=2, width=16,
                            depth=1, surface_samples=500, batch_size=100, resolution=24, chunk=10)
    return sdf.run(p, str(root))


def test_toy_run_has_every_row_with_mesh_metrics(toy_run):
    payload, arrays = toy_run
    assert payload["complete"] and payload["method_order"] == ["siren", "tuner", "finer", "siren (lr 0.0005)"]
    for name, r in payload["methods"].items():
        assert len(r["chamfer"]) == 2 and len(r["normal_consistency"]) == 2, name
        assert r["parameters"] > 0
    assert payload["methods"]["siren (lr 0.0005)"]["lr"] == 5e-4 and payload["methods"]["tuner"]["lr"] == 5e-4
    assert set(arrays["surfaces"]) == set(payload["method_order"])


def test_toy_report_and_report_only_agree(toy_run, tmp_path):
    payload, arrays = toy_run
    md, figs = sdf.report(payload, arrays)
    assert "| tuner" in md and "| siren (lr 0.0005)" in md and {"curves", "surfaces"} <= set(figs)
    common.write_results("sdf", "toy", dict(payload), md, figs, out=tmp_path)
    saved = json.loads((tmp_path / "sdf-toy.json").read_text())
    md_again, figs_again = sdf.report(saved)
    assert md_again == md and set(figs_again) == {"curves"}
    assert np.isfinite(saved["normalisation"]["scale"])
