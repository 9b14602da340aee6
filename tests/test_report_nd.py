"""Files and figures of video and volume fits (``spectral_inr.report_nd`` and ``report``'s dispatch)."""
from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from spectral_inr import report, report_nd
from spectral_inr.data import DataError
from spectral_inr.report_nd import axis_spectra, save_video, save_volume


# imageio's ffmpeg reader starts ffmpeg with subprocess (fork + exec), which JAX warns of
pytestmark = pytest.mark.filterwarnings(r"ignore:os\.fork\(\) was called:RuntimeWarning")


def smooth_clip(t=6, h=16, w=20, c=3):
    tt, y, x = np.meshgrid(np.arange(t), np.arange(h), np.arange(w), indexing="ij")
    phase = 0.3 * x + 0.2 * y + 0.4 * tt
    return np.stack([0.5 + 0.35 * np.sin(phase + k) for k in range(c)], -1).astype(np.float32)


def u8(values):
    return np.round(np.clip(values, 0, 1) * 255).astype(np.uint8)


def test_mp4_round_trip(tmp_path):
    clip = smooth_clip()
    path = save_video(tmp_path / "clip.mp4", clip, fps=12)
    back = iio.imread(path, plugin="FFMPEG")
    assert back.shape == (6, 16, 20, 3) and back.dtype == np.uint8
    err = np.abs(back.astype(int) - u8(clip))
    assert err.mean() < 8 and err.max() < 48   # H.264 at CRF 10; yuv420p: limited range, chroma at half resolution
    assert iio.immeta(path, plugin="FFMPEG")["fps"] == pytest.approx(12)
    assert not list(tmp_path.glob(".*"))               # no temporary file left


def test_mp4_odd_size_gray_from_slabs(tmp_path):
    """Odd sides are padded by one repeated row/column (yuv420p); gray clips, slab iterators and
    ``predict_slabs``' ``(start, slab)`` pairs stream frame by frame."""
    clip = smooth_clip(5, 13, 15, 1)
    slabs = ((start, clip[start:start + 2]) for start in range(0, 5, 2))
    back = iio.imread(save_video(tmp_path / "odd.mp4", slabs), plugin="FFMPEG")
    assert back.shape == (5, 14, 16, 3)
    err = np.abs(back[:, :13, :15, 0].astype(int) - u8(clip[..., 0]))
    assert err.mean() < 2 and err.max() < 12                  # luma only: no chroma loss
    assert np.abs(back[:, 13].astype(int) - back[:, 12]).max() < 12   # the padded row repeats the last one


def test_gif_is_exact_for_gray_and_few_colours(tmp_path):
    rng = np.random.default_rng(0)
    gray = rng.random((4, 9, 11, 1)).astype(np.float32)
    back = iio.imread(save_video(tmp_path / "g.gif", list(gray), fps=5), plugin="pillow", mode="L")
    np.testing.assert_array_equal(back, u8(gray[..., 0]))
    colours = (rng.integers(0, 4, (3, 8, 10, 3)) / 3.0).astype(np.float32)   # 64 colours
    back = iio.imread(save_video(tmp_path / "c.gif", colours), plugin="pillow", mode="RGB")
    np.testing.assert_array_equal(back, u8(colours))


def test_video_rejects_bad_frames(tmp_path):
    with pytest.raises(DataError, match="non-finite"):
        save_video(tmp_path / "nan.mp4", np.full((2, 4, 4, 3), np.nan, np.float32))
    with pytest.raises(DataError, match="at least one frame"):
        save_video(tmp_path / "empty.mp4", [])
    with pytest.raises(DataError, match="first one's shape"):
        save_video(tmp_path / "mixed.gif", [np.zeros((4, 4)), np.zeros((4, 5))])
    assert not list(tmp_path.iterdir())


def test_volume_npy_and_reconstruction_files(tmp_path):
    values = np.random.default_rng(1).random((5, 6, 7, 1)).astype(np.float32)
    np.testing.assert_array_equal(np.load(save_volume(tmp_path / "v.npy", values)), values)
    np.testing.assert_array_equal(np.load(report.save_reconstruction(tmp_path / "r.npy", values, "volume")), values)
    clip = smooth_clip(3, 8, 8)
    path = report.save_reconstruction(tmp_path / "r.mp4", clip, "video", frame_rate=7.5)
    assert iio.imread(path, plugin="FFMPEG").shape == (3, 8, 8, 3)
    assert iio.immeta(path, plugin="FFMPEG")["fps"] == pytest.approx(7.5)


def _png(fig, path):
    report.save_figure(fig, path)
    with Image.open(path) as im:
        assert im.format == "PNG" and min(im.size) > 200
    assert path.stat().st_size > 10_000


def test_figures(tmp_path):
    rng = np.random.default_rng(2)
    clip = smooth_clip(7, 16, 20)
    noisy = clip + 0.05 * rng.standard_normal(clip.shape).astype(np.float32)
    _png(report.plot_comparison(clip, noisy, "siren", kind="video"), tmp_path / "video.png")
    fig = report_nd.plot_video_comparison(clip, noisy, frames=(1, 2))
    assert len(fig.axes) == 3 * 2 + 1 and fig.axes[0].get_title() == "target, frame 1"   # + the colorbar
    report.plt.close(fig)
    vol = rng.random((9, 10, 11, 1)).astype(np.float32)
    _png(report.plot_comparison(vol, vol * 0.9, kind="volume"), tmp_path / "volume.png")
    _png(report.plot_spectrum(clip, noisy, "video"), tmp_path / "spectrum.png")
    fig = report_nd.plot_axis_spectra(vol, vol * 0.9, "volume")
    assert [ax.get_title() for ax in fig.axes] == ["z (cycles per voxel)", "y (cycles per voxel)",
                                                   "x (cycles per voxel)"]
    report.plt.close(fig)
    assert "axial" in report_nd.plot_volume_slices(vol, vol).axes[0].get_title()
    report.plt.close("all")
    planes = report_nd.mid_planes(vol)
    assert [p.shape for p in planes] == [(10, 11, 1), (9, 11, 1), (9, 10, 1)]
    np.testing.assert_array_equal(planes[2], vol[:, :, 5])


def test_axis_spectra_finds_a_temporal_sinusoid():
    """A clip that is ``0.5 + 0.3·sin(2π k t / T)`` (constant in space) peaks at bin k of the temporal panel,
    with its amplitude, and has no spatial spectrum."""
    t_len, k = 16, 3
    t = np.arange(t_len)
    clip = np.broadcast_to((0.5 + 0.3 * np.sin(2 * np.pi * k * t / t_len))[:, None, None, None],
                           (t_len, 6, 8, 3)).astype(np.float32)
    (label, f, a), (_, fy, ay), (_, fx, ax) = axis_spectra(clip, "video")
    assert label.startswith("temporal")
    assert len(f) == t_len // 2 and f[np.argmax(a)] * t_len == pytest.approx(k)
    assert a.max() == pytest.approx(0.3, rel=1e-5)
    assert ay.max() < 1e-6 and ax.max() < 1e-6 and len(fy) == 3 and len(fx) == 4
    chunked = axis_spectra(clip, "video", chunk_values=50)   # the FFTs in chunks along another axis
    for (_, _, a1), (_, _, a2) in zip(axis_spectra(clip, "video"), chunked):
        np.testing.assert_allclose(a1, a2, rtol=1e-12, atol=1e-15)
    z = np.arange(10)
    vol = np.broadcast_to((0.5 + 0.2 * np.cos(2 * np.pi * 2 * z / 10))[None, None, :, None], (4, 5, 10, 1))
    labels = [lab for lab, _, _ in axis_spectra(vol, "volume")]
    assert labels[2].startswith("x")
    _, fx, ax = axis_spectra(vol, "volume")[2]
    assert fx[np.argmax(ax)] * 10 == pytest.approx(2) and ax.max() == pytest.approx(0.2)
