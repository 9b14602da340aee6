"""The official TUNER gradient-PSNR convention against a numpy/Pillow/scipy reference.

The reference re-does, step by step, what DianaPat/TUNER ``training/handler_base.py``
does (``log_gradmagnitude``: min-max to 0..255 and Pillow's float → 'L' conversion;
``log_grad_psnr``: skimage Sobel with its ``reflect`` border, float16 comparison).
"""
import numpy as np
import pytest
import scipy.ndimage as ndi
from PIL import Image

from spectral_inr import metrics as M


def _official_reference(pred_grad, target_rgb):
    mag = np.hypot(pred_grad[..., 0], pred_grad[..., 1]).astype(np.float32)
    lo, hi = mag.min(), mag.max()
    img = np.asarray(Image.fromarray(255 * (mag - lo) / (hi - lo)).convert("L"))
    gray = np.dot(target_rgb[..., :3].astype(np.float64), [0.2990, 0.5870, 0.1140])
    gx, gy = ndi.sobel(gray, axis=1, mode="reflect"), ndi.sobel(gray, axis=0, mode="reflect")
    g = np.sqrt(gx ** 2 + gy ** 2)
    g = g / g.max()
    sq = (img.astype(np.float16) / 255 - g.astype(np.float16)) ** 2
    return float(20 * np.log10(1.0 / np.sqrt(np.mean(sq))))


def _case(seed, h=40, w=40):
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    target = np.stack([0.5 + 0.4 * np.sin(3 * xx + c) * np.cos(2 * yy - c) for c in range(3)], -1)
    target = np.clip(target + 0.05 * rng.standard_normal(target.shape), 0, 1).astype(np.float32)
    gray = target @ np.array([0.299, 0.587, 0.114], np.float32)
    gy, gx = np.gradient(gray)
    pred = np.stack([gy, gx], -1) + 0.02 * rng.standard_normal((h, w, 2))
    return pred.astype(np.float32), target


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tuner_convention_matches_the_official_pipeline(seed):
    pred, target = _case(seed)
    ref = _official_reference(pred, target)
    ours = float(M.gradient_psnr(pred, target, convention="tuner"))
    # float16 result: agree to one float16 ulp at ~20–30 dB (0.0156)
    assert abs(ours - ref) <= 0.016, (ours, ref)


def test_sobel_borders_match_scipy():
    _, target = _case(3)
    gray = np.asarray(M.grayscale(target), np.float64)
    for border, mode in (("reflect101", "mirror"), ("reflect", "reflect")):
        ref = np.hypot(ndi.sobel(gray, axis=1, mode=mode), ndi.sobel(gray, axis=0, mode=mode))
        # scipy's sobel has the opposite sign convention; magnitudes agree exactly
        np.testing.assert_allclose(M.sobel_magnitude(gray, border=border), ref, rtol=1e-5, atol=1e-6)


def test_tuner_convention_rejects_mask_and_unknown_names():
    pred, target = _case(4)
    with pytest.raises(ValueError, match="full image"):
        M.gradient_psnr(pred, target, mask=np.ones(target.shape[:2], bool), convention="tuner")
    with pytest.raises(ValueError, match="convention"):
        M.gradient_psnr(pred, target, convention="paper")


def test_rec709_luma_for_network_gradient():
    rgb = np.random.default_rng(0).random((4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(M.grayscale(rgb, luma="bt709"), rgb @ np.array([0.2126, 0.7152, 0.0722]), rtol=1e-6)


def test_several_lumas_from_one_jacobian_equal_separate_gradients():
    import jax.numpy as jnp

    w = np.random.default_rng(5).standard_normal((2, 3)).astype(np.float32)
    apply = lambda x: jnp.sin(x @ w)                                  # (N, 2) -> (N, 3)  # noqa: E731
    yy, xx = np.meshgrid(np.linspace(-1, 1, 6), np.linspace(-1, 1, 7), indexing="ij")
    grid = np.stack([yy, xx], -1).astype(np.float32)
    both = M.network_gradient(apply, grid, luma=("bt601", "bt709"), chunk_size=16)
    for i, name in enumerate(("bt601", "bt709")):
        np.testing.assert_allclose(both[i], M.network_gradient(apply, grid, luma=name), rtol=1e-5, atol=1e-6)
