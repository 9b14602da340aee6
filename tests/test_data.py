"""Tests for spectral_inr.data: coordinate grids, train/test split, image I/O."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from spectral_inr.data import DataError, coordinate_grid, load_image, save_image, train_test_split

# ---------------------------------------------------------------- grids


def test_grid_linspace_2d_exact():
    g = coordinate_grid((5, 7))
    assert g.shape == (5, 7, 2) and g.dtype == np.float32
    ys = np.linspace(-1, 1, 5).astype(np.float32)
    xs = np.linspace(-1, 1, 7).astype(np.float32)
    np.testing.assert_array_equal(g[..., 0], np.broadcast_to(ys[:, None], (5, 7)))
    np.testing.assert_array_equal(g[..., 1], np.broadcast_to(xs[None, :], (5, 7)))
    # (y, x) order: moving down a row changes the first coordinate only
    assert tuple(g[0, 0]) == (-1.0, -1.0) and tuple(g[-1, 0]) == (1.0, -1.0) and tuple(g[0, -1]) == (-1.0, 1.0)


def test_grid_1d_and_int_shape():
    g = coordinate_grid(9)
    assert g.shape == (9, 1)
    np.testing.assert_array_equal(g[:, 0], np.linspace(-1, 1, 9).astype(np.float32))
    np.testing.assert_array_equal(coordinate_grid((9,)), g)


def test_grid_3d_shape_and_values():
    g = coordinate_grid((2, 3, 4))
    assert g.shape == (2, 3, 4, 3)
    np.testing.assert_array_equal(g[1, 2, 3], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(g[:, 0, 0, 0], [-1.0, 1.0])
    np.testing.assert_array_equal(g[0, 0, :, 2], np.linspace(-1, 1, 4).astype(np.float32))


def test_grid_centers_exact():
    g = coordinate_grid((4, 3), kind="centers")
    np.testing.assert_array_equal(g[:, 0, 0], np.array([-0.75, -0.25, 0.25, 0.75], np.float32))
    np.testing.assert_array_equal(g[0, :, 1], np.array([-2 / 3, 0.0, 2 / 3], np.float32))
    assert coordinate_grid(1, kind="centers")[0, 0] == 0.0
    assert coordinate_grid(1)[0, 0] == -1.0


def test_grid_dtype_option():
    assert coordinate_grid((3, 3), dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("bad", [(0, 3), (-1,), (), (2.0, 3), (True, 2), 0])
def test_grid_bad_shape(bad):
    with pytest.raises(ValueError):
        coordinate_grid(bad)


def test_grid_bad_kind():
    with pytest.raises(ValueError, match="kind"):
        coordinate_grid((2, 2), kind="pixel")


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple),
    kind=st.sampled_from(["linspace", "centers"]),
)
def test_grid_properties(shape, kind):
    g = coordinate_grid(shape, kind=kind)
    assert g.shape == (*shape, len(shape))
    assert np.all(g >= -1) and np.all(g <= 1)
    for ax, n in enumerate(shape):
        line = np.moveaxis(g[..., ax], ax, 0).reshape(n, -1)[:, 0]
        assert np.all(np.diff(line) > 0)
        if n > 1 or kind == "centers":  # linspace with n == 1 is [-1] (np.linspace)
            np.testing.assert_allclose(line, -line[::-1], atol=1e-7)  # symmetric about 0
        if kind == "linspace" and n > 1:
            assert line[0] == -1 and line[-1] == 1
        if kind == "centers":
            assert -1 < line[0] and line[-1] < 1


# ---------------------------------------------------------------- split


def test_split_basic():
    tr, te = train_test_split(1000)
    assert len(te) == 50 and len(tr) == 950
    assert tr.dtype == np.int64 and te.dtype == np.int64
    assert np.intersect1d(tr, te).size == 0
    np.testing.assert_array_equal(np.union1d(tr, te), np.arange(1000))
    assert np.all(np.diff(tr) > 0) and np.all(np.diff(te) > 0)


def test_split_deterministic_and_seeded():
    a = train_test_split(500, 0.1, seed=3)
    b = train_test_split(500, 0.1, seed=3)
    c = train_test_split(500, 0.1, seed=4)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_split_edges():
    tr, te = train_test_split(10, 0.0)
    assert te.size == 0 and tr.size == 10
    tr, te = train_test_split(10, 1.0)
    assert tr.size == 0 and te.size == 10


@pytest.mark.parametrize("n,f", [(0, 0.1), (-3, 0.1), (10, -0.1), (10, 1.5), (2.5, 0.1), (True, 0.1)])
def test_split_bad_args(n, f):
    with pytest.raises(ValueError):
        train_test_split(n, f)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3000), f=st.floats(0, 1), seed=st.integers(0, 2**31))
def test_split_properties(n, f, seed):
    tr, te = train_test_split(n, f, seed)
    assert len(te) == int(round(f * n)) and len(tr) + len(te) == n
    both = np.concatenate([tr, te])
    np.testing.assert_array_equal(np.sort(both), np.arange(n))


# ---------------------------------------------------------------- image loading

RGB = np.array(
    [[[0, 0, 0], [255, 128, 1], [10, 20, 30]], [[255, 255, 255], [7, 200, 99], [64, 32, 16]]], dtype=np.uint8
)  # 2x3


def _save(tmp_path, name, img, **kw):
    p = tmp_path / name
    img.save(p, **kw)
    return p


def _info(p):
    """(mode, info, pixels) of a file, closing it."""
    with Image.open(p) as img:
        img.load()
        return img.mode, dict(img.info), np.asarray(img)


def test_load_gray_L(tmp_path):
    a = np.array([[0, 51, 255], [1, 128, 254]], np.uint8)
    p = _save(tmp_path, "g.png", Image.fromarray(a))
    x = load_image(p)
    assert x.shape == (2, 3, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., 0], (a / 255.0).astype(np.float32))
    x3 = load_image(p, mode="rgb")
    assert x3.shape == (2, 3, 3)
    np.testing.assert_array_equal(x3, np.repeat(x, 3, axis=-1))


def test_load_rgb(tmp_path):
    p = _save(tmp_path, "c.png", Image.fromarray(RGB))
    x = load_image(p)
    assert x.shape == (2, 3, 3)
    np.testing.assert_array_equal(x, (RGB / 255.0).astype(np.float32))
    np.testing.assert_array_equal(load_image(p, mode="rgb"), x)
    x64 = load_image(p, dtype=np.float64)
    assert x64.dtype == np.float64
    np.testing.assert_array_equal(x64, RGB / 255.0)


def test_rgb_to_gray_is_bt601_luma(tmp_path):
    p = _save(tmp_path, "c.png", Image.fromarray(RGB))
    g = load_image(p, mode="gray", dtype=np.float64)
    assert g.shape == (2, 3, 1)
    ref = (RGB / 255.0) @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(g[..., 0], ref, rtol=0, atol=1e-12)


def test_load_rgba_drops_alpha_with_warning(tmp_path):
    rgba = np.concatenate([RGB, np.full((2, 3, 1), 17, np.uint8)], axis=-1)
    p = _save(tmp_path, "a.png", Image.fromarray(rgba))
    with pytest.warns(UserWarning, match="alpha"):
        x = load_image(p)
    np.testing.assert_array_equal(x, (RGB / 255.0).astype(np.float32))


def test_load_la_drops_alpha(tmp_path):
    la = np.stack([np.array([[3, 200], [90, 255]], np.uint8), np.full((2, 2), 5, np.uint8)], axis=-1)
    p = _save(tmp_path, "la.png", Image.fromarray(la))
    assert _info(p)[0] == "LA"
    with pytest.warns(UserWarning, match="alpha"):
        x = load_image(p)
    assert x.shape == (2, 2, 1)
    np.testing.assert_array_equal(x[..., 0], (la[..., 0] / 255.0).astype(np.float32))


def test_load_palette(tmp_path):
    img = Image.fromarray(RGB).quantize(colors=8, method=Image.Quantize.MEDIANCUT)
    p = _save(tmp_path, "p.png", img)
    assert _info(p)[0] == "P"
    ref = np.asarray(img.convert("RGB")) / 255.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no alpha -> no warning
        x = load_image(p)
    assert x.shape == (2, 3, 3)
    np.testing.assert_array_equal(x, ref.astype(np.float32))


def test_load_palette_with_transparency_warns(tmp_path):
    img = Image.fromarray(RGB).quantize(colors=8, method=Image.Quantize.MEDIANCUT)
    img.info["transparency"] = 0
    p = _save(tmp_path, "pt.png", img, transparency=0)
    assert "transparency" in _info(p)[1]
    with pytest.warns(UserWarning, match="alpha"):
        x = load_image(p)
    np.testing.assert_array_equal(x, (np.asarray(img.convert("RGB")) / 255.0).astype(np.float32))


def test_load_16bit_png(tmp_path):
    a = np.array([[0, 1, 65535], [32768, 1000, 12345]], np.uint16)
    p = _save(tmp_path, "i16.png", Image.fromarray(a))
    assert _info(p)[0].startswith("I")
    x = load_image(p, dtype=np.float64)
    assert x.shape == (2, 3, 1)
    np.testing.assert_array_equal(x[..., 0], a / 65535.0)


def test_load_32bit_int_mode_I(tmp_path):
    a = np.array([[0, 70], [65535, 300]], np.int32)
    p = _save(tmp_path, "i.tif", Image.fromarray(a))
    assert _info(p)[0] == "I"
    np.testing.assert_array_equal(load_image(p, dtype=np.float64)[..., 0], a / 65535.0)
    big = _save(tmp_path, "big.tif", Image.fromarray(np.array([[0, 70000], [1, 2]], np.int32)))
    with pytest.raises(DataError, match="65535"):
        load_image(big)


def test_load_bilevel(tmp_path):
    a = np.array([[0, 255], [255, 0]], np.uint8)
    p = _save(tmp_path, "b.png", Image.fromarray(a).convert("1"))
    np.testing.assert_array_equal(load_image(p)[..., 0], [[0, 1], [1, 0]])


def test_load_jpeg(tmp_path):
    a = np.full((8, 8, 3), (200, 100, 50), np.uint8)
    p = _save(tmp_path, "c.jpg", Image.fromarray(a), quality=100)
    x = load_image(p)
    assert x.shape == (8, 8, 3)
    np.testing.assert_allclose(x, a / 255.0, atol=3 / 255)


def test_center_crop_offsets(tmp_path):
    a = np.arange(5 * 8, dtype=np.uint8).reshape(5, 8) * 5
    p = _save(tmp_path, "g.png", Image.fromarray(a))
    x = load_image(p, crop=(2, 3), dtype=np.float64)
    np.testing.assert_array_equal(x[..., 0], a[1:3, 2:5] / 255.0)  # top=(5-2)//2, left=(8-3)//2


def test_crop_happens_before_resize(tmp_path):
    a = np.arange(4 * 6, dtype=np.uint8).reshape(4, 6) * 10
    p = _save(tmp_path, "g.png", Image.fromarray(a))
    x = load_image(p, crop=(4, 4), resize=(2, 2), resample="box", dtype=np.float64)
    c = a[:, 1:5] / 255.0
    ref = c.reshape(2, 2, 2, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(x[..., 0], ref, atol=1e-6)


def test_resize_nearest_upsample_and_constant(tmp_path):
    p = _save(tmp_path, "c.png", Image.fromarray(RGB[:, :2]))
    x = load_image(p, resize=(4, 4), resample="nearest")
    assert x.shape == (4, 4, 3)
    np.testing.assert_array_equal(x, np.repeat(np.repeat(RGB[:, :2] / 255.0, 2, 0), 2, 1).astype(np.float32))
    q = _save(tmp_path, "k.png", Image.fromarray(np.full((6, 6, 3), 77, np.uint8)))
    for rs in ("bilinear", "bicubic", "lanczos"):
        y = load_image(q, resize=(3, 9), resample=rs)
        assert y.shape == (3, 9, 3)
        np.testing.assert_allclose(y, 77 / 255, atol=1e-6)
        assert y.min() >= 0 and y.max() <= 1


def test_resize_keeps_16bit_precision(tmp_path):
    p = _save(tmp_path, "i16.png", Image.fromarray(np.full((4, 4), 1001, np.uint16)))
    y = load_image(p, resize=(2, 2), dtype=np.float64)
    np.testing.assert_allclose(y, 1001 / 65535, rtol=1e-6)


# ---------------------------------------------------------------- image errors


def test_missing_file(tmp_path):
    p = tmp_path / "nope.png"
    with pytest.raises(DataError, match="nope.png.*no such file"):
        load_image(p)


def test_directory(tmp_path):
    with pytest.raises(DataError, match="directory"):
        load_image(tmp_path)


def test_text_named_png(tmp_path):
    p = tmp_path / "fake.png"
    p.write_text("this is not an image\n")
    with pytest.raises(DataError, match="fake.png.*not a recognised image"):
        load_image(p)


def test_truncated_png(tmp_path):
    rng = np.random.default_rng(0)
    full = _save(tmp_path, "full.png", Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)))
    data = full.read_bytes()
    p = tmp_path / "trunc.png"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="trunc.png") as ei:
        load_image(p)
    assert "\n" not in str(ei.value)


def test_too_small_image(tmp_path):
    p = _save(tmp_path, "thin.png", Image.fromarray(np.zeros((1, 5), np.uint8)))
    with pytest.raises(DataError, match="thin.png.*smaller than 2x2"):
        load_image(p)


@pytest.mark.parametrize("size", [(0, 4), (-2, 4), (4, 40000), (4,), "ab", (2.5, 3), (1, 4), (3, True)])
def test_bad_resize(tmp_path, size):
    p = _save(tmp_path, "c.png", Image.fromarray(RGB))
    with pytest.raises(DataError, match="c.png.*resize"):
        load_image(p, resize=size)


def test_bad_crop(tmp_path):
    p = _save(tmp_path, "c.png", Image.fromarray(RGB))
    with pytest.raises(DataError, match="crop"):
        load_image(p, crop=(3, 3))  # image is 2x3
    with pytest.raises(DataError, match="crop"):
        load_image(p, crop=(0, 2))


def test_bad_mode_dtype_resample(tmp_path):
    p = _save(tmp_path, "c.png", Image.fromarray(RGB))
    with pytest.raises(DataError, match="mode"):
        load_image(p, mode="cmyk")
    with pytest.raises(DataError, match="dtype"):
        load_image(p, dtype=np.uint8)
    with pytest.raises(DataError, match="resample"):
        load_image(p, resample="cubic")


# ---------------------------------------------------------------- save_image


def test_save_roundtrip_exact(tmp_path):
    x = RGB / 255.0
    p = save_image(tmp_path / "out.png", x)
    assert p == tmp_path / "out.png"
    np.testing.assert_array_equal(_info(p)[2], RGB)
    np.testing.assert_array_equal(load_image(p, dtype=np.float64), x)


def test_save_clips_and_rounds(tmp_path):
    x = np.array([[-0.5, 0.2], [1.7, 0.999]])
    p = save_image(tmp_path / "g.png", x[..., None])
    mode, _, px = _info(p)
    assert mode == "L"
    np.testing.assert_array_equal(px, [[0, 51], [255, 255]])


def test_save_rgba_uint8_and_creates_dirs(tmp_path):
    a = np.random.default_rng(1).integers(0, 256, (3, 4, 4), dtype=np.uint8)
    p = save_image(tmp_path / "sub" / "dir" / "a.png", a)
    mode, _, px = _info(p)
    assert mode == "RGBA"
    np.testing.assert_array_equal(px, a)


def test_save_errors(tmp_path):
    with pytest.raises(DataError, match="non-finite"):
        save_image(tmp_path / "n.png", np.array([[0.0, np.nan], [0.1, 0.2]]))
    with pytest.raises(DataError, match="shape"):
        save_image(tmp_path / "s.png", np.zeros((2, 2, 2)))
    with pytest.raises(DataError, match="shape"):
        save_image(tmp_path / "s.png", np.zeros(4))
    assert not any(tmp_path.iterdir())


def test_save_atomic_overwrite_and_failure(tmp_path, monkeypatch):
    p = tmp_path / "x.png"
    save_image(p, np.zeros((2, 2)))
    save_image(p, np.ones((2, 2)))
    np.testing.assert_array_equal(_info(p)[2], 255)
    assert sorted(os.listdir(tmp_path)) == ["x.png"]

    def boom(self, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        save_image(p, np.zeros((2, 2)))
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["x.png"]  # no temp file left
    np.testing.assert_array_equal(_info(p)[2], 255)  # old content intact
