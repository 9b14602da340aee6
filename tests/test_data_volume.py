"""Tests for spectral_inr.data.volume (arrays and slices in tmp_path), the 3-D Shepp–Logan phantom, and
volumes via load_signal."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from spectral_inr.data import (
    SHEPP_LOGAN_3D,
    DataError,
    coordinate_grid,
    load_volume,
    shepp_logan_3d,
)
from spectral_inr.signals import load_signal


def _minmax(a):
    a = np.asarray(a, np.float64)
    return ((a - a.min()) / (a.max() - a.min())).astype(np.float32)


RNG = np.random.default_rng(0)
VOL = RNG.normal(size=(4, 5, 6)).astype(np.float32) * 3 + 1


# ---------------------------------------------------------------- arrays


def test_npy_3d_gets_one_channel_exact(tmp_path):
    np.save(tmp_path / "v.npy", VOL)
    v = load_volume(tmp_path / "v.npy")
    assert v.shape == (4, 5, 6, 1) and v.dtype == np.float32 and v.min() == 0.0 and v.max() == 1.0
    np.testing.assert_array_equal(v[..., 0], _minmax(VOL))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16, np.float64, np.bool_])
def test_npy_4d_dtypes(tmp_path, dtype):
    a = (RNG.integers(0, 200, (3, 2, 4, 2)) % (2 if dtype == np.bool_ else 200)).astype(dtype)
    np.save(tmp_path / "v.npy", a)
    v = load_volume(tmp_path / "v.npy")
    assert v.shape == (3, 2, 4, 2)
    np.testing.assert_array_equal(v, _minmax(a))  # one min–max over all channels


def test_npz_only_array_or_key(tmp_path):
    np.savez(tmp_path / "one.npz", vol=VOL)
    np.testing.assert_array_equal(load_volume(tmp_path / "one.npz")[..., 0], _minmax(VOL))
    np.savez_compressed(tmp_path / "two.npz", a=VOL, b=-VOL)
    np.testing.assert_array_equal(load_volume(tmp_path / "two.npz", key="b")[..., 0], _minmax(-VOL))
    with pytest.raises(DataError, match=r"holds 2 arrays \['a', 'b'\]; pass key="):
        load_volume(tmp_path / "two.npz")
    with pytest.raises(DataError, match="no array 'c'"):
        load_volume(tmp_path / "two.npz", key="c")
    np.save(tmp_path / "v.npy", VOL)
    with pytest.raises(DataError, match="key= applies to .npz"):
        load_volume(tmp_path / "v.npy", key="a")


def test_resize_zoom_order_1(tmp_path):
    a = np.arange(3 * 3 * 3, dtype=np.float64).reshape(3, 3, 3)  # linear: order-1 zoom is exact
    np.save(tmp_path / "lin.npy", a)
    v = load_volume(tmp_path / "lin.npy", resize=(5, 4, 7))
    assert v.shape == (5, 4, 7, 1)
    z, y, x = np.moveaxis(coordinate_grid((5, 4, 7), dtype=np.float64), -1, 0)  # corners aligned, as the grid
    expected = ((z + 1) * 9 + (y + 1) * 3 + (x + 1)) / 26  # a[i, j, k] = 9 i + 3 j + k on [-1, 1]^3 -> [0, 1]
    np.testing.assert_allclose(v[..., 0], expected, atol=1e-6)
    with pytest.raises(DataError, match=r"resize must be \(D, H, W\)"):
        load_volume(tmp_path / "lin.npy", resize=(4, 4))


@pytest.mark.parametrize("shape,match", [
    ((5,), r"a volume is 3-D \(D, H, W\) or 4-D \(D, H, W, C\); got shape \(5,\)"),
    ((4, 5), r"got shape \(4, 5\)"),
    ((2, 2, 2, 2, 2), r"got shape \(2, 2, 2, 2, 2\)"),
    ((3, 4, 4, 4), None),
    ((6, 3, 4, 5), r"C <= 4 channels last; got shape \(6, 3, 4, 5\).*moveaxis"),
    ((1, 4, 4), "at least 2 samples"),
])
def test_bad_shapes(tmp_path, shape, match):
    np.save(tmp_path / "v.npy", RNG.random(shape))
    if match is None:
        assert load_volume(tmp_path / "v.npy").shape == shape
        return
    with pytest.raises(DataError, match=match) as err:
        load_volume(tmp_path / "v.npy")
    assert str(tmp_path / "v.npy") in str(err.value) and "\n" not in str(err.value)


def test_bad_values_and_files(tmp_path):
    bad = VOL.copy()
    bad[1, 2, 3] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(DataError, match="non-finite"):
        load_volume(tmp_path / "nan.npy")
    np.save(tmp_path / "const.npy", np.full((3, 3, 3), 7.0))
    with pytest.raises(DataError, match="constant"):
        load_volume(tmp_path / "const.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}] * 8, dtype=object).reshape(2, 2, 2))
    with pytest.raises(DataError, match="not a readable NumPy array"):
        load_volume(tmp_path / "obj.npy")
    np.save(tmp_path / "cplx.npy", np.ones((2, 2, 2), np.complex64))
    with pytest.raises(DataError, match="unsupported array type complex64"):
        load_volume(tmp_path / "cplx.npy")
    (tmp_path / "text.npy").write_text("hello")
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04garbage")
    for name in ("text.npy", "cut.npz"):
        with pytest.raises(DataError, match=f"{name}: not a readable NumPy array"):
            load_volume(tmp_path / name)
    with pytest.raises(DataError, match="missing.npy: no such file"):
        load_volume(tmp_path / "missing.npy")
    (tmp_path / "v.png").write_bytes(b"x")
    with pytest.raises(DataError, match="a .npy/.npz file or a folder of slices"):
        load_volume(tmp_path / "v.png")


# ---------------------------------------------------------------- folders of slices


@pytest.mark.parametrize("dtype,suffix", [(np.uint8, ".png"), (np.uint16, ".png"), (np.uint16, ".tif")])
def test_slices_round_trip_exact(tmp_path, dtype, suffix):
    hi = np.iinfo(dtype).max
    a = RNG.integers(0, hi, (5, 6, 7), endpoint=True).astype(dtype)
    a[0, 0, 0], a[1, 1, 1] = 0, hi
    for i in reversed(range(5)):  # names sort as the slice order; other files are ignored
        Image.fromarray(a[i]).save(tmp_path / f"slice_{i:02d}{suffix}")
    (tmp_path / "info.json").write_text("{}")
    v = load_volume(tmp_path)
    assert v.shape == (5, 6, 7, 1)
    np.testing.assert_array_equal(v[..., 0], _minmax(a))


def test_slices_rgb_alpha_and_errors(tmp_path):
    rgba = RNG.integers(0, 256, (3, 4, 5, 4), dtype=np.uint8)
    rgba[0, 0, 0, :3], rgba[0, 0, 1, :3] = 0, 255
    d = tmp_path / "rgba"
    d.mkdir()
    for i in range(3):
        Image.fromarray(rgba[i], "RGBA").save(d / f"{i}.png")
    with pytest.warns(UserWarning, match="alpha"):
        v = load_volume(d)
    np.testing.assert_array_equal(v, _minmax(rgba[..., :3]))
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for name, hw in [("0.png", (4, 5)), ("1.png", (4, 5)), ("2.png", (5, 4))]:
        Image.fromarray(RNG.integers(0, 256, hw, dtype=np.uint8)).save(mixed / name)
    with pytest.raises(DataError, match=r"2\.png: slice is \(5, 4, 1\) \(H, W, C\), but 0\.png is \(4, 5, 1\)"):
        load_volume(mixed)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no slices"):
        load_volume(empty)
    (mixed / "2.png").write_text("not a png")
    with pytest.raises(DataError, match=r"2\.png: not a readable slice"):
        load_volume(mixed)


# ---------------------------------------------------------------- load_signal


def test_load_signal_volume(tmp_path):
    np.save(tmp_path / "v.npy", VOL)
    s = load_signal(tmp_path / "v.npy")
    assert s.kind == "volume" and s.shape == (4, 5, 6) and s.spatial_ndim == 3 and s.coords().shape == (120, 3)
    assert load_signal(tmp_path / "v.npy", resize=(2, 3, 3)).shape == (2, 3, 3)
    for i in range(3):
        Image.fromarray(VOL[i].astype(np.uint8)).save(tmp_path / f"s{i}.png")
    assert load_signal(tmp_path, kind="volume").shape == (3, 5, 6)
    for flag, match in [({"crop": (2, 2)}, "--crop applies to images, not volume"),
                        ({"max_samples": 3}, "--max-samples applies to audio, not volume"),
                        ({"frames": (0, 2, 1)}, "--frames applies to video, not volume"),
                        ({"kind": "image"}, "read as volume, not image")]:
        with pytest.raises(DataError, match=match):
            load_signal(tmp_path / "v.npy", **flag)
    with pytest.raises(DataError, match="or a volume of slices"):
        load_signal(tmp_path, kind="image")


# ---------------------------------------------------------------- Shepp–Logan phantom


# Grid (41, 201, 201): z steps 0.05, y and x steps 0.01, so table points lie on samples.
def _at(p, z, y_table, x):
    return p[round((z + 1) / 0.05), round((-y_table + 1) / 0.01), round((x + 1) / 0.01)]  # table y = -grid y


@pytest.fixture(scope="module")
def toft():
    return shepp_logan_3d((41, 201, 201))


def test_phantom_values_by_hand(toft):
    assert toft.shape == (41, 201, 201) and toft.dtype == np.float32
    assert toft.min() == 0.0 and toft.max() == 1.0
    cases = [((0, 0, 0), 1 - 0.8),                # ellipsoids 1, 2
             ((0, 0, 0.68), 1.0),                 # skull: in 1 (0.68 < 0.69), not in 2 (0.68 > 0.6624)
             ((0, 0, 0.22), 1 - 0.8 - 0.2),       # centre of ellipsoid 3
             ((0, 0, -0.22), 1 - 0.8 - 0.2),      # centre of ellipsoid 4
             ((0, 0.35, 0), 1 - 0.8 + 0.1),       # ellipsoid 5 at z = 0: ((0 + 0.15) / 0.41)² < 1
             ((0.25, 0.1, 0), 1 - 0.8 + 0.1),     # ellipsoid 6 (not 5: (0.1 - 0.35) / 0.25 = -1, z out)
             ((0, 0.1, 0), 1 - 0.8),              # 6 lies at z = 0.25 ± 0.05: not in the mid slice
             ((0, -0.6, -0.08), 1 - 0.8 + 0.1),   # ellipsoid 8
             ((0.5, 0, 0), 1 - 0.8),              # z = 0.5: inside 1 (c = 0.81) and 2 (c = 0.78)
             ((0.8, 0, 0), 1.0),                  # z = 0.8: inside 1 only
             ((0, 0.95, 0), 0.0), ((-1, -1, -1), 0.0)]
    for (z, y, x), want in cases:
        assert _at(toft, z, y, x) == pytest.approx(want, abs=1e-7), (z, y, x)
    assert np.isin(np.round(toft, 6), np.float32([0, 0.1, 0.2, 0.3, 1])).all()


def test_phantom_yu_ye_wang_values():
    p = shepp_logan_3d((41, 201, 201), variant="yu-ye-wang")
    assert p.min() == 0.0 and p.max() == 1.0
    for (z, y, x), want in [((0, 0, 0), 0.2), ((-0.25, 0.35, 0), 0.4), ((-0.25, 0, -0.22), 0.0),
                            ((-0.25, 0, 0.22), 0.0), ((0.6, 0.1, 0), 0.0), ((0.6, -0.1, 0.06), 0.4)]:
        assert _at(p, z, y, x) == pytest.approx(want, abs=1e-7), (z, y, x)


def _toft_2d(n):
    """Toft's modified 2-D Shepp–Logan (MATLAB phantom, skimage) on the grid, table y up: rows
    A, a, b, x0, y0, φ."""
    table = [(1, .69, .92, 0, 0, 0), (-.8, .6624, .874, 0, -.0184, 0), (-.2, .11, .31, .22, 0, -18),
             (-.2, .16, .41, -.22, 0, 18), (.1, .21, .25, 0, .35, 0), (.1, .046, .046, 0, .1, 0),
             (.1, .046, .046, 0, -.1, 0), (.1, .046, .023, -.08, -.605, 0), (.1, .023, .023, 0, -.606, 0),
             (.1, .023, .046, .06, -.605, 0)]
    g = coordinate_grid((n, n), dtype=np.float64)
    y, x = -g[..., 0], g[..., 1]
    out = np.zeros((n, n))
    for amp, a, b, x0, y0, phi in table:
        c, s = np.cos(np.radians(phi)), np.sin(np.radians(phi))
        out += amp * (((x - x0) * c + (y - y0) * s) ** 2 / a**2 + ((y - y0) * c - (x - x0) * s) ** 2 / b**2 <= 1)
    return out, y, x


def test_phantom_mid_slice_is_the_2d_modified_phantom():
    n = 129
    p = shepp_logan_3d(n)
    mid = p[n // 2]
    ref, y, x = _toft_2d(n)
    assert np.mean(np.abs(mid - ref) < 1e-6) > 0.99
    # Exactly equal away from ellipsoids 5-7 (5 is cut smaller at z = 0; 6 and 7 lie above it).
    away = (x**2 + (y - 0.35) ** 2 > 0.26**2) & (x**2 + (np.abs(y) - 0.1) ** 2 > 0.05**2)
    np.testing.assert_allclose(mid[away], ref[away], atol=1e-6)
    try:
        from skimage.data import shepp_logan_phantom  # optional: not a dependency
    except ImportError:
        return
    from PIL import Image as _Image

    sk = np.asarray(_Image.fromarray(shepp_logan_phantom().astype(np.float32)).resize((n, n)))
    assert np.mean(np.abs(mid - sk) < 0.05) > 0.9


def test_phantom_shapes_and_errors():
    assert shepp_logan_3d(8).shape == (8, 8, 8)
    assert shepp_logan_3d((3, 5, 7)).shape == (3, 5, 7)
    assert sorted(SHEPP_LOGAN_3D) == ["toft", "yu-ye-wang"] and all(t.shape == (10, 8) for t in SHEPP_LOGAN_3D.values())
    for bad in [(4, 4), 0, (4, 4, -1)]:
        with pytest.raises(ValueError):
            shepp_logan_3d(bad)
    with pytest.raises(ValueError, match="variant"):
        shepp_logan_3d(8, variant="kak-slaney")
