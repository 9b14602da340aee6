"""Tests for spectral_inr.metrics."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import ndimage

from spectral_inr import metrics as M


def _rng(seed=0):
    return np.random.default_rng(seed)


def _ng(fn, coords, **kw):
    """network_gradient jitted at the call site (much faster than eager)."""
    return jax.jit(lambda c: M.network_gradient(fn, c, **kw))(coords)


def _gp_model(fn, coords, img, **kw):
    return jax.jit(lambda c, t: M.gradient_psnr_of_model(fn, c, t, **kw))(coords, img)


def _grid(h, w):
    ys = jnp.linspace(-1.0, 1.0, h)
    xs = jnp.linspace(-1.0, 1.0, w)
    return jnp.stack(jnp.meshgrid(ys, xs, indexing="ij"), axis=-1)


# ---------------------------------------------------------------------------
# mse / psnr
# ---------------------------------------------------------------------------


def _np_psnr(a, b, data_range=1.0):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return 10.0 * np.log10(data_range**2 / np.mean((a - b) ** 2))


def test_mse_matches_numpy():
    r = _rng(1)
    a, b = r.random((7, 5, 3)), r.random((7, 5, 3))
    np.testing.assert_allclose(M.mse(a, b), np.mean((a - b) ** 2), rtol=1e-6)


@pytest.mark.parametrize("shape", [(100,), (16, 16, 3), (2, 8, 8, 1)])
def test_psnr_matches_numpy(shape):
    r = _rng(2)
    a, b = r.random(shape).astype(np.float32), r.random(shape).astype(np.float32)
    np.testing.assert_allclose(M.psnr(a, b), _np_psnr(a, b), rtol=1e-5)


def test_psnr_analytic_20db():
    target = jnp.zeros((10, 10))
    pred = jnp.full((10, 10), 0.1)  # MSE = 0.01
    np.testing.assert_allclose(M.psnr(pred, target), 20.0, rtol=1e-5)
    # data_range scales the peak: 10 log10(4 / 0.01) = 20 + 20 log10(2)
    np.testing.assert_allclose(
        M.psnr(pred, target, data_range=2.0), 20.0 + 20.0 * np.log10(2.0), rtol=1e-5
    )
    # 8-bit images: range 255 with an error of 25.5 is also 20 dB
    np.testing.assert_allclose(
        M.psnr(pred * 255.0, target, data_range=255.0), 20.0, rtol=1e-5
    )


def test_psnr_matches_dm_pix_and_identical_is_inf():
    import dm_pix

    r = _rng(3)
    a, b = r.random((8, 8, 3)).astype(np.float32), r.random((8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(M.psnr(a, b), dm_pix.psnr(a, b), rtol=1e-5)
    assert np.isposinf(float(M.psnr(a, a)))


def test_psnr_vmap_and_jit():
    r = _rng(4)
    a = r.random((4, 12, 12, 3)).astype(np.float32)
    b = r.random((4, 12, 12, 3)).astype(np.float32)
    batched = jax.jit(jax.vmap(M.psnr))(a, b)
    assert batched.shape == (4,)
    expected = [_np_psnr(a[i], b[i]) for i in range(4)]
    np.testing.assert_allclose(batched, expected, rtol=1e-5)
    # vmap with a non-default data_range
    batched2 = jax.vmap(lambda x, y: M.psnr(x, y, data_range=2.0))(a, b)
    np.testing.assert_allclose(batched2, np.asarray(expected) + 20 * np.log10(2), rtol=1e-5)


# ---------------------------------------------------------------------------
# ssim
# ---------------------------------------------------------------------------


def _np_ssim(a, b, data_range=1.0, size=11, sigma=1.5, k1=0.01, k2=0.03):
    """Reference SSIM (Wang et al. 2004): Gaussian window, 'valid' region,
    mean over the SSIM map of every channel. float64."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.arange(size) - size // 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    win = np.outer(g, g)
    win /= win.sum()
    h, w = a.shape[:2]
    ho, wo = h - size + 1, w - size + 1

    def filt(z):  # explicit 'valid' windowed weighted sum
        out = np.zeros((ho, wo))
        for i in range(size):
            for j in range(size):
                out += win[i, j] * z[i : i + ho, j : j + wo]
        return out

    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    vals = []
    for c in range(a.shape[-1]):
        x, y = a[..., c], b[..., c]
        mx, my = filt(x), filt(y)
        sxx = filt(x * x) - mx**2
        syy = filt(y * y) - my**2
        sxy = filt(x * y) - mx * my
        smap = ((2 * mx * my + c1) * (2 * sxy + c2)) / (
            (mx**2 + my**2 + c1) * (sxx + syy + c2)
        )
        vals.append(smap)
    return float(np.mean(vals))


def test_ssim_identical_is_one():
    img = _rng(5).random((20, 24, 3)).astype(np.float32)
    np.testing.assert_allclose(M.ssim(img, img), 1.0, atol=1e-6)
    np.testing.assert_allclose(M.ssim(img[..., 0], img[..., 0]), 1.0, atol=1e-6)


def test_ssim_matches_numpy_reference():
    r = _rng(6)
    a = r.random((32, 32, 3)).astype(np.float32)
    # correlated pair so SSIM is not ~0
    b = np.clip(a + 0.2 * r.standard_normal(a.shape), 0, 1).astype(np.float32)
    ref = _np_ssim(a, b)
    assert 0.1 < ref < 0.99
    np.testing.assert_allclose(M.ssim(a, b), ref, atol=1e-4)
    # independent random images
    c = r.random((32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(M.ssim(a, c), _np_ssim(a, c), atol=1e-4)
    # data_range: images in [0, 255]
    np.testing.assert_allclose(
        M.ssim(255 * a, 255 * b, data_range=255.0), _np_ssim(255 * a, 255 * b, 255.0), atol=1e-4
    )


def test_ssim_batched_shapes():
    r = _rng(7)
    a = r.random((2, 2, 16, 16, 1)).astype(np.float32)
    b = r.random((2, 2, 16, 16, 1)).astype(np.float32)
    per = [_np_ssim(a[i, j], b[i, j]) for i in range(2) for j in range(2)]
    np.testing.assert_allclose(M.ssim(a, b), np.mean(per), atol=1e-4)
    v = jax.jit(jax.vmap(jax.vmap(M.ssim)))(a, b)
    assert v.shape == (2, 2)
    np.testing.assert_allclose(np.ravel(v), per, atol=1e-4)


# ---------------------------------------------------------------------------
# grayscale / sobel
# ---------------------------------------------------------------------------


def test_grayscale():
    rgb = _rng(8).random((5, 6, 3)).astype(np.float32)
    expected = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    np.testing.assert_allclose(M.grayscale(rgb), expected, rtol=1e-6)
    assert M.grayscale(rgb, keepdims=True).shape == (5, 6, 1)
    one = rgb[..., :1]
    np.testing.assert_allclose(M.grayscale(one), one[..., 0], rtol=0)
    with pytest.raises(ValueError):
        M.grayscale(rgb[..., :2])


@pytest.mark.parametrize("shape", [(17, 23), (2, 5)])
def test_sobel_matches_scipy_mirror(shape):
    gray = _rng(9).random(shape)
    gx_ref = ndimage.sobel(gray, axis=1, mode="mirror")
    gy_ref = ndimage.sobel(gray, axis=0, mode="mirror")
    gx, gy = M._sobel_xy(jnp.asarray(gray, jnp.float32))
    np.testing.assert_allclose(gx, gx_ref, atol=1e-5)
    np.testing.assert_allclose(gy, gy_ref, atol=1e-5)
    np.testing.assert_allclose(
        M.sobel_magnitude(gray), np.hypot(gx_ref, gy_ref), rtol=1e-5, atol=1e-5
    )


def test_sobel_of_ramp():
    # f = 3 * column index -> gx = 8 * 3 inside, 0 at the left/right borders
    # (reflect-101 makes the border derivative vanish), gy = 0.
    img = 3.0 * np.tile(np.arange(10.0), (6, 1))
    mag = np.asarray(M.sobel_magnitude(img))
    np.testing.assert_allclose(mag[:, 1:-1], 24.0, rtol=1e-6)
    np.testing.assert_allclose(mag[:, [0, -1]], 0.0, atol=1e-6)


# ---------------------------------------------------------------------------
# network gradient / gradient PSNR
# ---------------------------------------------------------------------------

A_X, A_Y = 1.5 * np.pi, 1.0 * np.pi


def _smooth_rgb(c):
    """Smooth low-frequency RGB field of coords (..., 2) = (y, x)."""
    y, x = c[..., 0], c[..., 1]
    base = 0.5 + 0.25 * jnp.sin(A_X * x + 0.3) * jnp.cos(A_Y * y - 0.2)
    return jnp.stack([base, 0.8 * base + 0.1, 1.0 - base], axis=-1)


def _smooth_gray_grad(c):
    """Analytic (d/dy, d/dx) of grayscale(_smooth_rgb) in coordinate units."""
    y, x = c[..., 0], c[..., 1]
    k = 0.299 + 0.587 * 0.8 - 0.114  # d gray / d base
    dy = -0.25 * A_Y * jnp.sin(A_X * x + 0.3) * jnp.sin(A_Y * y - 0.2)
    dx = 0.25 * A_X * jnp.cos(A_X * x + 0.3) * jnp.cos(A_Y * y - 0.2)
    return k * jnp.stack([dy, dx], axis=-1)


def test_network_gradient_analytic_per_pixel_units():
    h, w = 24, 40  # non-square to catch y/x mix-ups
    coords = _grid(h, w)
    g = _ng(_smooth_rgb, coords)
    assert g.shape == (h, w, 2)
    expected = _smooth_gray_grad(coords) * jnp.asarray([2.0 / (h - 1), 2.0 / (w - 1)])
    np.testing.assert_allclose(g, expected, atol=1e-6)
    # chunked evaluation gives the same result
    np.testing.assert_allclose(
        _ng(_smooth_rgb, coords, chunk_size=97), g, atol=1e-7
    )


def test_network_gradient_matches_finite_differences():
    h, w = 96, 80  # fine grid: central-difference error ~ (freq * step)^2 / 6
    coords = _grid(h, w)
    g = np.asarray(_ng(_smooth_rgb, coords))
    img = np.asarray(M.grayscale(_smooth_rgb(coords)), np.float64)
    fd_y = (img[2:, 1:-1] - img[:-2, 1:-1]) / 2.0  # per-pixel central diffs
    fd_x = (img[1:-1, 2:] - img[1:-1, :-2]) / 2.0
    scale = np.abs(g).max()
    np.testing.assert_allclose(g[1:-1, 1:-1, 0], fd_y, atol=4e-3 * scale)
    np.testing.assert_allclose(g[1:-1, 1:-1, 1], fd_x, atol=4e-3 * scale)


def test_network_gradient_batch_only_apply_fn_and_scalar_output():
    coords = _grid(8, 8)

    def batch_only(c):  # like a flax model: requires (N, 2)
        assert c.ndim == 2
        return (2.0 * c[:, 0] - 3.0 * c[:, 1])[:, None]

    g = M.network_gradient(batch_only, coords)  # eager path
    np.testing.assert_allclose(g[..., 0], 2.0 * 2 / 7, rtol=1e-6)
    np.testing.assert_allclose(g[..., 1], -3.0 * 2 / 7, rtol=1e-6)
    g2 = _ng(lambda c: 2.0 * c[..., 0] - 3.0 * c[..., 1], coords)
    np.testing.assert_allclose(g2, g, rtol=1e-6)


def test_gradient_psnr_smooth_field_high_wrong_gradient_low():
    h = w = 64
    coords = _grid(h, w)
    img = _smooth_rgb(coords)
    good = _gp_model(_smooth_rgb, coords, img)
    assert good > 30.0
    # Excluding the 1-px border (where reflect-101 Sobel is zero across the
    # edge) the agreement is much tighter.
    interior = np.zeros((h, w), bool)
    interior[1:-1, 1:-1] = True
    assert _gp_model(_smooth_rgb, coords, img, mask=interior) > 50.0
    # transposed pattern -> wrong gradient
    bad = _gp_model(lambda c: _smooth_rgb(c[..., ::-1]), coords, img)
    assert bad < 15.0
    assert good - bad > 15.0
    # quantization to 8-bit changes little for a good fit
    q = _gp_model(_smooth_rgb, coords, img, quantize=True)
    assert abs(float(q) - float(good)) < 1.0


def test_gradient_psnr_direct_and_jit():
    r = _rng(10)
    h, w = 16, 20
    target = r.random((h, w, 3)).astype(np.float32)
    pred_grad = r.standard_normal((h, w, 2)).astype(np.float32)
    g = np.asarray(M.sobel_magnitude(M.grayscale(target)), np.float64)
    g /= g.max()
    p = np.hypot(pred_grad[..., 0], pred_grad[..., 1]).astype(np.float64)
    p /= p.max()
    np.testing.assert_allclose(
        jax.jit(M.gradient_psnr)(pred_grad, target), _np_psnr(p, g), rtol=1e-5
    )
    mask = r.random((h, w)) > 0.5
    ref_masked = 10 * np.log10(1.0 / np.mean((p - g)[mask] ** 2))
    np.testing.assert_allclose(M.gradient_psnr(pred_grad, target, mask=mask), ref_masked, rtol=1e-5)
    pq = np.round(p * 255) / 255
    np.testing.assert_allclose(
        M.gradient_psnr(pred_grad, target, quantize=True), _np_psnr(pq, g), rtol=1e-5
    )
    # (H, W) and (H, W, 1) targets are treated as grayscale
    gray = M.grayscale(target)
    np.testing.assert_allclose(
        M.gradient_psnr(pred_grad, gray), M.gradient_psnr(pred_grad, gray[..., None]), rtol=1e-6
    )


# ---------------------------------------------------------------------------
# audio
# ---------------------------------------------------------------------------


def test_waveform_psnr_and_snr_vs_numpy():
    r = _rng(11)
    t = r.uniform(-1, 1, 1000)
    p = t + 0.05 * r.standard_normal(1000)
    np.testing.assert_allclose(M.waveform_psnr(p, t), _np_psnr(p, t), rtol=1e-5)
    np.testing.assert_allclose(
        M.waveform_psnr(p, t, peak=2.0), _np_psnr(p, t, 2.0), rtol=1e-5
    )
    ref_snr = 10 * np.log10(np.sum(t**2) / np.sum((t - p) ** 2))
    np.testing.assert_allclose(M.snr(p, t), ref_snr, rtol=1e-5)


def test_snr_scaled_target_is_20db():
    t = jnp.asarray(_rng(12).standard_normal(512))
    np.testing.assert_allclose(M.snr(0.9 * t, t), 20.0, rtol=1e-5)


# ---------------------------------------------------------------------------
# property tests
# ---------------------------------------------------------------------------

_unit = st.floats(0.0, 1.0, width=32)
_ssim_jit = jax.jit(M.ssim)


@settings(max_examples=25, deadline=None)
@given(
    hnp.arrays(np.float32, (6, 5), elements=_unit),
    hnp.arrays(np.float32, (6, 5), elements=_unit),
)
def test_psnr_lower_bound_unit_range(a, b):
    # MSE <= 1 for data in [0, 1], so PSNR >= 0 dB (inf when identical)
    v = float(M.psnr(a, b))
    assert v >= -1e-4 and not np.isnan(v)


@settings(max_examples=25, deadline=None)
@given(
    hnp.arrays(np.float32, (12, 12, 1), elements=_unit),
    hnp.arrays(np.float32, (12, 12, 1), elements=_unit),
)
def test_ssim_in_range(a, b):
    v = float(_ssim_jit(a, b))
    assert -1.0 - 1e-5 <= v <= 1.0 + 1e-5


def test_psnr_from_mse_numpy_and_jax_with_the_floor():
    from spectral_inr.metrics import MSE_FLOOR, psnr_from_mse
    mse = np.array([1e-2, 1e-4, 0.0, np.nan])
    expected = np.array([20.0, 40.0, 10 * np.log10(1 / MSE_FLOOR), np.nan])
    got = psnr_from_mse(mse)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(psnr_from_mse(jnp.asarray(mse, jnp.float32))), expected, rtol=1e-5)
    assert psnr_from_mse(0.0, floor=0) == np.inf
    assert float(psnr_from_mse(4e-2, peak=2.0)) == pytest.approx(20.0)
