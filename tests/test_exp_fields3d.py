"""exp-video / exp-volume end to end at toy size: every method trains, is evaluated slab by slab and
reported; the protocol's arithmetic matches SIREN's video script."""
from __future__ import annotations

import dataclasses
import json

import imageio.v3 as iio
import numpy as np
import pytest

from experiments import common, fields3d, video, volume
from spectral_inr import protocols
from spectral_inr.protocols.fields3d import METHODS


def test_paper_protocol_is_sirens_video_script():
    p = protocols.FIELDS_VIDEO["paper"]
    # train_video.py: sample_frac 38e-4 of 250 × 272 × 640 pixels per step, 4 sine layers × 1024, 100k steps
    assert p.batch_size(250 * 272 * 640) == int(38e-4 * 250 * 272 * 640) == 165_376
    assert (p.depth, p.width, p.steps, p.frames, p.resize) == (4, 1024, 100_000, None, None)
    q = protocols.FIELDS_VIDEO["quick"]
    assert q.batch_size(16 * 68 * 160) == 4096 and q.reduced


def _toy(p, **kw):
    return dataclasses.replace(p, steps=6, seeds=2, width=8, depth=1, **kw)


@pytest.fixture(scope="module")
def volume_run():
    p = _toy(protocols.FIELDS_VOLUME["quick"], side=10, sample_fraction=0.25)
    return fields3d.run(p)


def test_volume_run_has_every_method_and_per_slice_curves(volume_run):
    payload, arrays = volume_run
    assert payload["complete"] and payload["method_order"] == list(METHODS)
    assert payload["signal"]["shape"] == [10, 10, 10, 1]
    for method, r in payload["methods"].items():
        assert len(r["psnr"]) == 2 and all(np.isfinite(r["psnr"])), method
        assert np.asarray(r["curves"]["psnr_per_slice"]).shape == (2, 10)
        assert r["batch_size"] == 250 and r["parameters"] > 0
        # the pooled PSNR is the PSNR of the mean per-slice MSE (equal slices)
        mse = np.mean(10 ** (-np.asarray(r["curves"]["psnr_per_slice"]) / 10), axis=1)
        np.testing.assert_allclose(r["psnr"], -10 * np.log10(mse), atol=1e-3)
    t = payload["methods"]["tuner"]
    assert len(t["bandlimit"]) == 3 and t["n_frequencies"] > 3
    assert arrays["previews"]["siren"].shape == (10, 10, 10, 1)


def test_volume_report_and_report_only_agree(volume_run, tmp_path):
    payload, arrays = volume_run
    md, figs = volume.report(payload, arrays)
    for method in METHODS:
        assert f"| {method}" in md
    assert {"curves", "comparison", "spectrum"} <= set(figs)
    common.write_results("volume", "toy", dict(payload), md, figs, out=tmp_path)
    saved = json.loads((tmp_path / "volume-toy.json").read_text())
    md_again, figs_again = volume.report(saved)     # from the JSON alone: the same tables, no arrays
    assert md_again == md and set(figs_again) == {"curves"}


def test_video_run_from_a_generated_clip(tmp_path):
    t, y, x = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 12), np.linspace(0, 1, 14), indexing="ij")
    clip = np.round(255 * np.stack([0.5 + 0.4 * np.sin(5 * x + 2 * t), 0.4 + 0 * y, 0.5 + 0.3 * np.cos(4 * y)], -1))
    path = tmp_path / "clip.mp4"
    iio.imwrite(path, clip.astype(np.uint8), fps=5, codec="libx264", macro_block_size=1)
    p = _toy(protocols.FIELDS_VIDEO["quick"], source=str(path), frames=(0, 4, 1), resize=None, sample_fraction=0.5,
             methods=("siren", "tuner"))
    payload, arrays = fields3d.run(p)
    assert payload["signal"]["shape"] == [4, 12, 14, 3]
    for r in payload["methods"].values():
        assert np.asarray(r["curves"]["psnr_per_frame"]).shape == (2, 4)
        assert all(np.isfinite(r["gradient_psnr"])) and r["ssim"]      # frames ≥ 11 px: SSIM present
    md, figs = video.report(payload, arrays)
    assert "spatial grad PSNR" in md and {"curves", "comparison", "spectrum"} <= set(figs)
    best = max(payload["methods"], key=lambda m: np.mean(payload["methods"][m]["psnr"]))
    assert ("comparison-tuner" in figs) == (best != "tuner")
