"""``spectral-inr fit`` on video and volumes, end to end: generated MP4/GIF clips, a ``.npy``
phantom, ``--frames``/``--resize``, the outputs each kind leaves, bad input, and SIREN's bikes
clip (skipped without ``../shared/data``).  Networks and step counts are tiny: these check the
plumbing, not the quality."""
from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from spectral_inr import cli
from spectral_inr.data import shepp_logan_3d

TINY = ["--width", "16", "--depth", "1", "--chunk", "5", "--steps", "10"]
BIKES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video" / "bikes.mp4"


def _clip(t=6, h=20, w=24) -> np.ndarray:
    tt, y, x = np.meshgrid(np.linspace(0, 1, t), np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")
    v = np.stack([0.5 + 0.4 * np.sin(6 * x + 3 * tt), 0.5 + 0.4 * np.cos(5 * y - 2 * tt), 0.3 + 0 * x], -1)
    return np.round(255 * v).astype(np.uint8)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("nd")
    iio.imwrite(d / "clip.mp4", _clip(), fps=10, codec="libx264", macro_block_size=1)
    iio.imwrite(d / "clip.gif", _clip(), duration=100, loop=0)
    np.save(d / "vol.npy", shepp_logan_3d(12))
    return d


def _main(argv, capsys):
    status = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_fit_video_mp4_writes_a_video_and_per_frame_metrics(files, tmp_path, capsys):
    out = tmp_path / "run"
    status, stdout, err = _main(["fit", files / "clip.mp4", *TINY, "--frames", "0:6:2", "--out", out], capsys)
    assert status == 0, err
    assert "--batch-size auto" in err            # the default for video
    m = json.loads((out / "metrics.json").read_text())
    assert m["kind"] == "video" and m["shape"] == [3, 20, 24] and m["frame_rate"] == pytest.approx(10)
    assert np.isfinite(m["psnr"]["mean"]) and np.isfinite(m["gradient_psnr"]["mean"]) and "ssim" in m
    assert np.asarray(m["psnr_per_frame"]).shape == (1, 3)
    video = iio.imread(out / "reconstruction.mp4", index=None)
    assert video.shape == (3, 20, 24, 3)
    for name in ("comparison.png", "spectrum.png", "curves.png"):
        assert (out / name).stat().st_size > 1000, name


def test_fit_gif_with_resize_and_seeds(files, tmp_path, capsys):
    out = tmp_path / "run"
    status, _, err = _main(["fit", files / "clip.gif", *TINY, "--resize", "10,12", "--seeds", "2", "--out", out], capsys)
    assert status == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["shape"] == [6, 10, 12] and len(m["psnr"]["per_seed"]) == 2
    assert "ssim" not in m                       # frames under 11 px a side: no SSIM, as for images


@pytest.mark.parametrize("model", ["siren", "tuner"])
def test_fit_volume_npy(files, tmp_path, capsys, model):
    out = tmp_path / "run"
    flags = TINY if model == "siren" else ["--chunk", "5", "--steps", "10"]
    status, stdout, err = _main(["fit", files / "vol.npy", "--model", model, *flags, "--out", out], capsys)
    assert status == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["kind"] == "volume" and m["shape"] == [12, 12, 12]
    assert np.asarray(m["psnr_per_slice"]).shape == (1, 12) and np.isfinite(m["psnr"]["mean"])
    rec = np.load(out / "reconstruction.npy")
    assert rec.shape == (12, 12, 12, 1) and rec.min() >= 0 and rec.max() <= 1


def test_sweep_works_unchanged_on_a_volume(files, tmp_path, capsys):
    out = tmp_path / "sweep"
    status, stdout, err = _main(["sweep", files / "vol.npy", *TINY, "--lr", "1e-4,1e-3", "--out", out], capsys)
    assert status == 0, err
    settings = json.loads((out / "sweep.json").read_text())["settings"]
    assert sorted(s["hyper"]["lr"] for s in settings) == [1e-4, 1e-3]


@pytest.mark.parametrize("make, argv, needle", [
    (lambda d: np.save(d / "five.npy", np.zeros((2, 2, 2, 2, 2))), ["five.npy"], "a volume is 3-D"),
    (lambda d: (d / "bad.mp4").write_bytes(b"not a video"), ["bad.mp4"], "not a readable video"),
    (lambda d: iio.imwrite(d / "c.mp4", _clip(), fps=10, codec="libx264", macro_block_size=1),
     ["c.mp4", "--frames", "0:1"], "at least 2 frames"),
    (lambda d: [iio.imwrite(d / "sl" / f"{i}.png", np.zeros((8, 8 + i), np.uint8))
                for i in range(2) if (d / "sl").mkdir(exist_ok=True) or True],
     ["sl", "--kind", "volume"], "but 0.png is (8, 8, 1)"),
    (lambda d: (d / "frames").mkdir(), ["frames"], "--kind"),
    (lambda d: np.save(d / "v.npy", np.random.rand(4, 4, 4)), ["v.npy", "--frames", "0:3"], "--frames"),
])
def test_bad_nd_input_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch, make, argv, needle):
    monkeypatch.chdir(tmp_path)
    make(tmp_path)
    status, _, err = _main(["fit", *argv, "--out", tmp_path / "out", *TINY], capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert status == 1 and len(lines) == 1 and lines[0].startswith("spectral-inr: error:"), err
    assert needle in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not BIKES.exists(), reason="../shared/data/video/bikes.mp4 not present")
def test_fit_bikes_first_frames(tmp_path, capsys):
    out = tmp_path / "bikes"
    status, _, err = _main(["fit", BIKES, "--frames", "0:8", "--resize", "68,160", "--width", "32", "--depth", "2",
                            "--steps", "5", "--chunk", "5", "--batch-size", "4096", "--out", out], capsys)
    assert status == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["shape"] == [8, 68, 160] and m["frame_rate"] == pytest.approx(25)
    assert np.asarray(m["psnr_per_frame"]).shape == (1, 8)
