"""Tests for spectral_inr.models (SineLayer block, presets, registry, frequency lists)."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from spectral_inr.models import (MODELS, Finer, FourierFeatureMLP, HarmonicMLP, IntegerFrequencyEncoding, TunerSiren,
                                 SineLayer, SinusoidalMLP, Siren, Siren2, Tuner, TunerReference, activations, get_model,
                                 harmonic_frequencies, siren2_noise_scales, spectral_centroid,
                                 tuner_bound_groups)
from spectral_inr.models import tuner_frequencies as tfreq

KEY = jax.random.PRNGKey(0)

# Compile with XLA's backend optimisations off: these tests run tiny graphs once, and
# LLVM's passes (on threefry-heavy init graphs above all) cost far more than they save.
_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})


def _grid(h, w=None):
    w = h if w is None else w
    ys, xs = jnp.linspace(-1.0, 1.0, h), jnp.linspace(-1.0, 1.0, w)
    return jnp.stack(jnp.meshgrid(ys, xs, indexing="ij"), axis=-1).reshape(-1, 2)


def _init(model, x, key=KEY):
    """``model.init`` under one ``jit`` (eager init compiles every op and random draw separately)."""
    return _jit(model.init)(key, x)


def _inter(model, variables, x):
    """The outputs of every sub-module (``capture_intermediates``), jitted."""
    fn = _jit(lambda v, xx: model.apply(v, xx, capture_intermediates=True)[1]["intermediates"])
    return fn(variables, x)


def _np(tree):
    return jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), tree)


def _ks(sample, cdf, args=()):
    """Kolmogorov–Smirnov statistic (``method="asymp"``: scipy's exact p-value is slow for 10⁵ samples)."""
    return stats.kstest(np.ravel(sample), cdf, args=args, method="asymp").statistic


def _std_rel_se(n, kurtosis):
    """Relative standard error of a sample std from n i.i.d. draws with this (non-excess) kurtosis."""
    return math.sqrt((kurtosis - 1.0) / (4.0 * n))


UNIFORM_KURTOSIS, NORMAL_KURTOSIS = 1.8, 3.0

# ---------------------------------------------------------------------------
# registry and vmapped init
# ---------------------------------------------------------------------------

SMALL = {
    "siren": dict(out_features=3, width=16, depth=2),
    "siren2": dict(out_features=3, width=16, depth=2, noise_scales=(5.0, 0.3)),
    "finer": dict(out_features=3, width=16, depth=2, first_bias_scale=2.0),
    "tuner": dict(out_features=3, n_frequencies=24, width=16),
    "tuner-sampled": dict(out_features=3, bandlimit=8, n_frequencies=24, low_limit=3, width=16),
    "tuner-siren": dict(out_features=3, bandlimit=4, width=16),
    "ffn": dict(out_features=3, width=16, depth=2, num_features=16),
    "harmonic": dict(hidden=(16, 8), max_freqs=(5.0, 3.0)),
}


def _inputs(name, n=12):
    if name == "harmonic":
        return jax.random.uniform(jax.random.PRNGKey(7), (n, 784))
    return _grid(3, 4)


def _out_dim(name):
    return 10 if name == "harmonic" else 3


def test_registry_has_exactly_the_documented_names():
    assert set(MODELS) == {"siren", "tuner", "tuner-sampled", "tuner-siren", "siren2", "finer", "harmonic",
                           "ffn", "gauss", "hosc", "sinc", "siren-rff", "relu-pe", "wire", "wire2d", "fourier-net",
                           "gabor-net", "bacon"}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_get_model_builds_every_name(name):
    model = get_model(name, **SMALL[name])
    assert isinstance(model, HarmonicMLP if name == "harmonic" else SinusoidalMLP)
    # default arguments build too (construction only, no init)
    assert isinstance(get_model(name), type(model))


def test_get_model_unknown_name_lists_choices():
    with pytest.raises(ValueError) as err:
        get_model("relu_mlp")
    msg = str(err.value)
    assert "relu_mlp" in msg
    for name in MODELS:
        assert name in msg


def _vinit_apply(model, keys, x):
    variables = jax.vmap(model.init, in_axes=(0, None))(keys, x)
    return variables, jax.vmap(model.apply, in_axes=(0, None))(variables, x)


def _kernel_leaves(variables):
    return [(jax.tree_util.keystr(p), x) for p, x in jax.tree_util.tree_leaves_with_path(variables)
            if getattr(p[-1], "key", None) in ("kernel", "phase", "B")]


@pytest.mark.parametrize("name", sorted(SMALL))
def test_vmap_init_gives_distinct_members_and_vmap_apply(name):
    model = get_model(name, **SMALL[name])
    x = _inputs(name)
    n = 8
    variables, out = _jit(lambda keys: _vinit_apply(model, keys, x))(jax.random.split(KEY, n))
    leaves = _kernel_leaves(variables)
    assert leaves, "no kernels found"
    for path, leaf in leaves:
        assert leaf.shape[0] == n
        flat = np.asarray(leaf).reshape(n, -1)
        for i in range(n):
            for j in range(i + 1, n):
                # every element differs between members (continuous draws never collide)
                assert np.all(flat[i] != flat[j]), f"{name}: {path} members {i},{j} share entries"
    assert out.shape == (n, x.shape[0], _out_dim(name))
    assert np.all(np.isfinite(np.asarray(out)))
    # member 3 of the vmapped apply equals the plain apply of member 3's parameters
    member = jax.tree_util.tree_map(lambda a: a[3], variables)
    np.testing.assert_allclose(out[3], _jit(model.apply)(member, x), rtol=1e-5, atol=1e-5)
    assert not np.allclose(out[0], out[1])


def test_vmap_tuner_members_share_frozen_frequencies():
    model = get_model("tuner-sampled", **SMALL["tuner-sampled"])
    x = _grid(4)
    variables = _jit(jax.vmap(model.init, in_axes=(0, None)))(jax.random.split(KEY, 8), x)
    assert set(variables["params"]["layers_0"]) == {"phase"}  # frequencies are not parameters
    inter = jax.vmap(lambda v: _inter(model, v, x))(variables)
    enc_out = np.asarray(inter["layers_0"]["__call__"][0], np.float64)
    omega = 2 * np.pi / 3.0 * np.asarray(tfreq.sampled_frequencies(24, 8, 3), np.float64)
    phases = np.asarray(variables["params"]["layers_0"]["phase"], np.float64)
    for i in range(8):  # one ω for all members, each with its own phases
        expected = np.sin(np.asarray(x, np.float64) @ omega.T + phases[i])
        np.testing.assert_allclose(enc_out[i], expected, atol=2e-5)


# ---------------------------------------------------------------------------
# SIREN initialisation
# ---------------------------------------------------------------------------


def _check_uniform(sample, bound, what):
    """``sample`` ~ U(±bound): inside, reaching near the bound, KS against the uniform."""
    s = np.asarray(sample, np.float64).ravel()
    n = s.size
    assert np.all(np.abs(s) <= bound * (1 + 1e-6)), f"{what}: outside ±{bound}"
    # P(max|s| < (1−δ)·bound) = (1−δ)^n; δ chosen so this is < 1e-6 for i.i.d. uniform draws
    delta = -math.log(1e-6) / n
    assert np.abs(s).max() >= (1 - delta) * bound, f"{what}: max {np.abs(s).max()} far below {bound}"
    ks = _ks(s, stats.uniform(loc=-bound, scale=2 * bound).cdf)
    assert ks < 1.95 / math.sqrt(n), f"{what}: KS {ks} vs U(±{bound})"  # 1.95/√n ≈ 0.1 % level


def test_siren_kernel_and_bias_bounds():
    width, omega0 = 256, 30.0
    model = Siren(out_features=3, width=width, depth=2, omega0=omega0)
    p = _init(model, _grid(2))["params"]
    _check_uniform(p["layers_0"]["kernel"], 1.0 / 2, "first kernel (fan_in 2)")
    for name in ("layers_1", "layers_2"):
        _check_uniform(p[name]["kernel"], math.sqrt(6.0 / width) / omega0, f"{name} kernel")
    # biases: PyTorch's U(±1/√fan_in), not zeros
    _check_uniform(p["layers_0"]["bias"], 1.0 / math.sqrt(2), "first bias")
    _check_uniform(p["layers_1"]["bias"], 1.0 / math.sqrt(width), "hidden bias")
    for name in ("layers_0", "layers_1"):
        b = np.asarray(p[name]["bias"])
        assert np.std(b) > 0.5 * np.abs(b).max() / math.sqrt(3) and np.abs(b).max() > 0
    assert p["layers_2"]["kernel"].shape == (width, 3)


def test_siren_first_omega0_is_used_in_first_layer_only():
    model = Siren(out_features=1, width=8, depth=2, omega0=30.0, first_omega0=3000.0)
    x = jnp.linspace(-1, 1, 64)[:, None]
    v = _init(model, x)
    inter = _inter(model, v, x)
    p = _np(v["params"])
    xx = np.asarray(x, np.float64)
    h0 = np.sin(3000.0 * (xx @ p["layers_0"]["kernel"] + p["layers_0"]["bias"]))
    np.testing.assert_allclose(inter["layers_0"]["__call__"][0], h0, atol=2e-3)
    h1 = np.sin(30.0 * (h0 @ p["layers_1"]["kernel"] + p["layers_1"]["bias"]))
    np.testing.assert_allclose(inter["layers_1"]["__call__"][0], h1, atol=2e-3)


def _conv_normal_uniform_cdf(a):
    """CDF of N(0,1) + U(−a, a): ``[Ψ(t+a) − Ψ(t−a)]/(2a)`` with ``Ψ(s) = sΦ(s) + φ(s)``."""
    def psi(s):
        return s * stats.norm.cdf(s) + stats.norm.pdf(s)
    return lambda t: (psi(t + a) - psi(t - a)) / (2 * a)


def test_siren_activation_statistics_at_init():
    """Sitzmann et al.'s init analysis on a width-512 SIREN over a 32×32 grid.

    ``ω0·W·h`` of every hidden layer is N(0, 1); the bias ``ω0·b``, ``b ~ U(±1/√n)``,
    adds a per-neuron ``U(±ω0/√n)`` (variance ω0²/(3n) ≈ 0.59 here), so the full
    pre-activation follows N(0,1) ⊛ U(±ω0/√n), std √(1 + ω0²/(3n)) ≈ 1.26, and the
    sines are close to the arcsine law on [−1, 1].

    Samples are pooled over 1024 points × 512 neurons but are not independent (one
    bias and one weight row per neuron), so the KS thresholds are not the i.i.d.
    critical values for 5·10⁵ samples.  With seeds 0–7 the layer-1 statistics stayed
    ≤ 0.011 (≤ 0.027 for ω0·W·h), layer-2 ≤ 0.03 (one seed 0.056); zero biases give
    ≥ 0.059 on the full pre-activation and a std 20 % low — the thresholds separate both.
    """
    width, omega0 = 512, 30.0
    model = Siren(out_features=1, width=width, depth=3, omega0=omega0)
    x = _grid(32)
    v = _init(model, x)
    p = _np(v["params"])
    inter = _inter(model, v, x)
    a = omega0 / math.sqrt(width)
    expected_std = math.sqrt(1.0 + a * a / 3.0)
    conv_cdf = _conv_normal_uniform_cdf(a)
    arcsine_cdf = stats.arcsine(loc=-1, scale=2).cdf

    h = np.sin(omega0 * (np.asarray(x, np.float64) @ p["layers_0"]["kernel"] + p["layers_0"]["bias"]))
    assert _ks(h.ravel(), arcsine_cdf) < 0.01
    thresholds = {"layers_1": 0.03, "layers_2": 0.04}
    for name, thr in thresholds.items():
        zw = omega0 * (h @ p[name]["kernel"])
        z = zw + omega0 * p[name]["bias"]
        assert _ks(zw.ravel(), "norm") < thr, name
        assert _ks(z.ravel(), conv_cdf) < thr, name
        assert abs(z.std() / expected_std - 1) < 0.05, (name, z.std(), expected_std)
        assert abs(z.mean()) < 0.1
        h = np.sin(z)
        # the flax model computes the same activations
        np.testing.assert_allclose(inter[name]["__call__"][0], h, atol=1e-4)
        assert _ks(h.ravel(), arcsine_cdf) < 0.04, name


# ---------------------------------------------------------------------------
# FINER
# ---------------------------------------------------------------------------


def test_finer_activation_value_and_stop_gradient():
    omega = 3.0
    z = jnp.linspace(-2.0, 2.0, 201)
    zz = np.asarray(z, np.float64)
    arg = omega * (np.abs(zz) + 1) * zz
    np.testing.assert_allclose(_jit(activations.finer)(z, omega), np.sin(arg), atol=1e-5)
    np.testing.assert_allclose(_jit(activations.finer_full_gradient)(z, omega), np.sin(arg), atol=1e-5)

    g_sg = _jit(jax.vmap(jax.grad(lambda t: activations.finer(t, omega))))(z)
    g_full = _jit(jax.vmap(jax.grad(lambda t: activations.finer_full_gradient(t, omega))))(z)
    np.testing.assert_allclose(g_sg, omega * (np.abs(zz) + 1) * np.cos(arg), atol=1e-4)
    np.testing.assert_allclose(g_full, omega * (2 * np.abs(zz) + 1) * np.cos(arg), atol=1e-4)
    assert np.max(np.abs(np.asarray(g_sg) - np.asarray(g_full))) > 1.0  # the two really differ


def test_finer_model_uses_finer_activation():
    model = Finer(out_features=1, width=8, depth=1, omega0=30.0)
    full = Finer(out_features=1, width=8, depth=1, omega0=30.0, stop_gradient_scale=False)
    assert model.layers[0].activation is activations.finer
    assert full.layers[0].activation is activations.finer_full_gradient
    x = jnp.linspace(-1, 1, 32)[:, None]
    v = _init(model, x)
    p = _np(v["params"])
    inter = _inter(model, v, x)
    z = np.asarray(x, np.float64) @ p["layers_0"]["kernel"] + p["layers_0"]["bias"]
    np.testing.assert_allclose(inter["layers_0"]["__call__"][0],
                               np.sin(30.0 * (np.abs(z) + 1) * z), atol=1e-4)


def test_finer_first_bias_scale():
    k, width = 5.0, 256
    p = _init(Finer(out_features=1, width=width, depth=2, first_bias_scale=k), _grid(2))["params"]
    b0 = np.asarray(p["layers_0"]["bias"], np.float64)
    _check_uniform(b0, k, "FINER first bias")
    tol = 4 * _std_rel_se(width, UNIFORM_KURTOSIS)
    assert abs(b0.std() / (k / math.sqrt(3)) - 1) < tol
    # later layers keep the default bias
    _check_uniform(p["layers_1"]["bias"], 1 / math.sqrt(width), "FINER hidden bias")
    # default first bias (no scale) is PyTorch's U(±1/√2)
    p_def = _init(Finer(out_features=1, width=width, depth=1), _grid(2))["params"]
    _check_uniform(p_def["layers_0"]["bias"], 1 / math.sqrt(2), "FINER default first bias")


# ---------------------------------------------------------------------------
# SIREN²
# ---------------------------------------------------------------------------


def test_siren2_zero_noise_is_siren():
    x = _grid(2)
    a = _init(Siren(out_features=2, width=16, depth=2), x)
    b = _init(Siren2(out_features=2, width=16, depth=2, noise_scales=(0.0, 0.0)), x)
    jax.tree_util.tree_map(np.testing.assert_array_equal, a, b)


def test_siren2_negative_noise_rejected():
    with pytest.raises(ValueError):
        Siren2(noise_scales=(-1.0, 0.0))


@functools.lru_cache(maxsize=None)
def _plain_siren_512():
    return _init(Siren(out_features=2, width=512, depth=3, omega0=30.0), jnp.zeros((1, 16)))["params"]


@pytest.mark.parametrize("scales", [(30.0, 0.6), (0.3, 0.063)])
def test_siren2_noise_statistics(scales):
    """Layers 0/1 get N(0, (S/ω0)²) noise; layer 2, the output layer and the biases are untouched.

    The implementation splits the key (base from one half, noise from the other), so
    the base draws differ from a plain SIREN with the same key: the check is the
    empirical kernel std against √(Var(base) + (S/ω0)²).  The second parametrisation
    makes noise and base variance comparable in layer 1 (a missing or doubled noise
    changes the std by ≥ 29 %).
    """
    width, omega0, d_in = 512, 30.0, 16
    x = jnp.zeros((1, d_in))
    plain = _plain_siren_512()
    noisy = _init(Siren2(out_features=2, width=width, depth=3, omega0=omega0, noise_scales=scales), x)["params"]
    for name in ("layers_2", "layers_3"):
        np.testing.assert_array_equal(plain[name]["kernel"], noisy[name]["kernel"])
    for name in ("layers_0", "layers_1", "layers_2", "layers_3"):
        np.testing.assert_array_equal(plain[name]["bias"], noisy[name]["bias"])
    base_bounds = {"layers_0": 1.0 / d_in, "layers_1": math.sqrt(6.0 / width) / omega0}
    for (name, bound), s in zip(base_bounds.items(), scales):
        kern = np.asarray(noisy[name]["kernel"], np.float64)
        expected = math.sqrt(bound ** 2 / 3 + (s / omega0) ** 2)
        tol = 5 * _std_rel_se(kern.size, NORMAL_KURTOSIS)  # ≤ 4 % for layer 0 (8192 draws)
        assert abs(kern.std() / expected - 1) < max(tol, 0.01), (name, kern.std(), expected)
        assert abs(kern.mean()) < 5 * expected / math.sqrt(kern.size)
        assert not np.array_equal(kern, plain[name]["kernel"])


def test_siren2_noise_scales_pure_tone():
    n, f = 1000, 0.1  # 100 whole cycles: a single rFFT bin at 0.1 cycles/sample
    tone = np.sin(2 * np.pi * f * np.arange(n))
    assert spectral_centroid(tone) == pytest.approx(2 * f, rel=1e-6)
    s0, s1 = siren2_noise_scales(tone, "audio")
    assert s0 == pytest.approx(3500 * (1 - math.exp(-1.4)), rel=1e-6)
    assert s1 == pytest.approx(0.6, rel=1e-6)
    with pytest.raises(ValueError, match="kind must be"):
        siren2_noise_scales(tone, "speech")


def test_siren2_noise_scales_video_and_volume_follow_the_image_rule():
    """Our extension: the image rule on the samples flattened row-major over (T|D, H, W)."""
    clip = np.random.default_rng(0).random((3, 8, 10, 3))
    flat_as_image = clip.reshape(1, -1, 3)            # the same row-major sequence as one image row
    assert siren2_noise_scales(clip, "video") == pytest.approx(siren2_noise_scales(flat_as_image, "image"))
    vol = np.random.default_rng(1).random((4, 6, 6))
    assert siren2_noise_scales(vol, "volume") == pytest.approx(siren2_noise_scales(vol[..., None], "volume"))
    assert siren2_noise_scales(vol, "volume") == pytest.approx(siren2_noise_scales(vol.reshape(1, -1, 1), "image"))


def test_spectral_centroid_image_matches_numpy():
    img = np.random.default_rng(3).random((12, 20, 3))
    freqs = np.fft.rfftfreq(20, d=1)
    per_channel = []
    for c in range(3):
        mag = np.abs(np.fft.rfft(img[..., c], axis=1))
        per_channel.append(np.mean((mag * freqs).sum(1) / mag.sum(1)))
    expected = 2 * np.mean(per_channel) / 3
    assert spectral_centroid(img) == pytest.approx(expected, rel=1e-10)


def test_siren2_image_scales_follow_learn_images():
    """learn_images.py: centroid of the flattened (H·W, C) pixels in [−1, 1], then SC/n_ch."""
    img = np.random.default_rng(3).random((12, 20, 3))
    flat = (2 * img - 1).reshape(-1, 3)
    freqs = np.fft.rfftfreq(flat.shape[0], d=1)
    per_channel = []
    for c in range(3):
        mag = np.abs(np.fft.rfft(flat[:, c]))
        per_channel.append((mag * freqs).sum() / mag.sum())
    sc = 2 * np.mean(per_channel) / 3
    s0, s1 = siren2_noise_scales(img, "image")
    assert s0 == pytest.approx(50 * (1 - math.exp(-5 * sc / 3)), rel=1e-10)
    assert s1 == pytest.approx(0.4 * sc / 3, rel=1e-10)


def test_siren2_noise_scales_grey_image_2d_equals_single_channel():
    img = np.random.default_rng(4).random((16, 32))
    np.testing.assert_allclose(siren2_noise_scales(img, "image"), siren2_noise_scales(img[..., None], "image"),
                               rtol=1e-9)


def test_spectral_centroid_2d_array_is_multichannel_audio():
    """Documented: a 2-D array is (n, C) — here 32 channels of 16 samples, not a grey image."""
    x = np.random.default_rng(4).random((16, 32))
    per_channel = [spectral_centroid(x[:, c]) for c in range(32)]  # each = 2·centroid_c (n_ch = 1)
    assert spectral_centroid(x) == pytest.approx(np.mean(per_channel) / 32, rel=1e-9)
    assert spectral_centroid(x[..., None][:, :, 0:1].reshape(16, 32, 1)) != pytest.approx(spectral_centroid(x))


# ---------------------------------------------------------------------------
# TUNER frequencies
# ---------------------------------------------------------------------------


def test_reference_frequencies():
    """The official list (train_mrnet.py init_freqs), rebuilt here by hand."""
    xy = np.asarray(tfreq.reference_frequencies(order="xy"))
    assert xy.shape == (416, 2) and xy.dtype.kind == "i"
    # low block: x over [0..7, -0..-7], y likewise; kept x > 0 or (x == 0, y > 0)
    low_1d = list(range(8)) + [-v for v in range(8)]
    low = [(x, y) for x in low_1d for y in low_1d if x > 0 or (x == 0 and y > 0)]
    high_1d = [13 * i for i in range(13)] + [-13 * i for i in range(13)]
    high = [(x, y) for x in high_1d for y in high_1d if x > 0 or (x == 0 and y > 0)]
    assert len(low) == 126 and len(high) == 336
    assert [tuple(r) for r in xy.tolist()] == low + high[:288] + [(1, 0), (0, 1)]
    # the 288 kept high rows stop inside x = 143: (156, ·) is never used
    assert xy[:, 0].max() == 143 and np.sum(xy[:, 0] == 143) == 288 - 12 - 26 * 10
    # our (y, x) order swaps every pair
    yx = np.asarray(tfreq.reference_frequencies())
    np.testing.assert_array_equal(yx, xy[:, ::-1])
    assert np.sum(np.abs(yx).max(1) <= tfreq.REFERENCE_LOW_LIMIT) == 126 + 2
    assert tfreq.REFERENCE_LOW_LIMIT == 10  # config_init.yml block_limits
    with pytest.raises(ValueError):
        tfreq.reference_frequencies(n=500)
    with pytest.raises(ValueError):
        tfreq.reference_frequencies(order="zx")


def test_uniform_frequencies():
    k = np.asarray(tfreq.uniform_frequencies(416, 85, order="xy"))
    assert k.shape == (416, 2) and len({tuple(r) for r in k.tolist()}) == 416
    assert k[:, 0].min() >= 0 and k[:, 0].max() <= 85 and np.abs(k[:, 1]).max() <= 85
    # uniform over the 86·171 box: the mean of x is ≈ 42.5 (std of the mean ≈ 24.8/√416 ≈ 1.2)
    assert abs(k[:, 0].mean() - 42.5) < 5 and abs(k[:, 1].mean()) < 10
    np.testing.assert_array_equal(np.asarray(tfreq.uniform_frequencies(416, 85)), k[:, ::-1])
    with pytest.raises(ValueError, match="at most"):
        tfreq.uniform_frequencies(100, 3)


def test_uniform_integer_frequencies_per_seed():
    """TunerSiren without a list draws from uniform_frequencies' pool at init, differently per key."""
    model = TunerSiren(out_features=1, bandlimit=85, width=416)
    draw = lambda seed: np.asarray(model.init(jax.random.PRNGKey(seed), jnp.zeros((1, 2)))["constants"]["layers_0"]["k"])
    k0, k1 = draw(0), draw(1)
    for k in (k0, k1):   # (y, x) order: x ∈ [0, B], y ∈ [−B, B], distinct rows
        assert k.shape == (416, 2) and len({tuple(r) for r in k.tolist()}) == 416
        assert k[:, 1].min() >= 0 and k[:, 1].max() <= 85 and np.abs(k[:, 0]).max() <= 85
        assert abs(k[:, 1].mean() - 42.5) < 5 and abs(k[:, 0].mean()) < 10   # uniform: std of the mean ≈ 1.2 / 2.4
    overlap = len({tuple(r) for r in k0.tolist()} & {tuple(r) for r in k1.tolist()})
    assert overlap < 40    # two independent 416-of-14,706 draws share ≈ 11.8 rows
    np.testing.assert_array_equal(draw(0), k0)
    with pytest.raises(ValueError, match="at most"):
        TunerSiren(out_features=1, bandlimit=3, width=100).init(KEY, jnp.zeros((1, 2)))


def test_sampled_frequencies():
    k = np.asarray(tfreq.sampled_frequencies(416, 85))
    assert k.shape == (416, 2) and k.dtype.kind == "i"
    rows = [tuple(r) for r in k.tolist()]
    assert len(set(rows)) == 416
    assert (1, 0) in rows and (0, 1) in rows
    linf = np.abs(k).max(1)
    assert np.all(linf <= 85) and linf.max() == 85
    assert 0.68 <= np.mean(linf <= 28) <= 0.72  # low limit 85 // 3 = 28, ≈ 70 % low
    assert not set(rows) & {(-a, -b) for a, b in rows}  # never both k and −k
    assert all((a > 0) or (a == 0 and b > 0) for a, b in rows)
    assert rows == [tuple(r) for r in np.asarray(tfreq.sampled_frequencies(416, 85)).tolist()]  # deterministic
    assert rows != [tuple(r) for r in np.asarray(tfreq.sampled_frequencies(416, 85, seed=1)).tolist()]
    with pytest.raises(ValueError):
        tfreq.sampled_frequencies(416, 85, low_limit=90)


TUNER_SMALL = dict(frequencies=tfreq.sampled_frequencies(64, 8, 3), low_limit=3)


def test_tuner_first_layer_integer_frequencies_and_periodicity():
    model = Tuner(out_features=1, width=16, **TUNER_SMALL)
    enc = model.layers[0]
    assert isinstance(enc, IntegerFrequencyEncoding)
    ratio = np.asarray(enc.omega(), np.float64) / (2 * np.pi / enc.period)
    np.testing.assert_allclose(ratio, np.round(ratio), atol=1e-6)
    np.testing.assert_array_equal(np.round(ratio).astype(int), np.asarray(TUNER_SMALL["frequencies"]))
    x = _grid(5)
    v = _init(model, x)
    ve = {"params": v["params"]["layers_0"]}
    shifts = jnp.asarray([[0.0, 0.0], [3.0, 0.0], [0.0, -3.0], [1.5, 0.0]])
    outs = _jit(jax.vmap(lambda s: enc.apply(ve, x + s)))(shifts)
    for i in (1, 2):  # period p = 3 along each axis
        np.testing.assert_allclose(outs[i], outs[0], atol=1e-4)
    assert not np.allclose(outs[3], outs[0], atol=1e-2)


def test_tuner_frequencies_frozen_phases_trained():
    model = Tuner(out_features=1, width=16, **TUNER_SMALL)
    x = _grid(16)
    target = jnp.sin(3 * x[:, :1]) * jnp.cos(2 * x[:, 1:])
    params = _init(model, x)
    assert set(params["params"]["layers_0"]) == {"phase"}
    phase0 = np.asarray(params["params"]["layers_0"]["phase"])
    bound = 1 / math.sqrt(2)  # train_mrnet.py: Initializer(bias_init=False) keeps PyTorch's U(±1/√fan_in)
    assert np.all(np.abs(phase0) <= bound) and np.abs(phase0).max() > 0.8 * bound
    half_pi = _init(Tuner(out_features=1, width=16, phase_init="half-pi", **TUNER_SMALL), x)
    ph = np.asarray(half_pi["params"]["layers_0"]["phase"])
    assert np.all(np.abs(ph) <= np.pi / 2) and np.abs(ph).max() > 0.8 * np.pi / 2
    with pytest.raises(ValueError, match="phase_init"):
        Tuner(out_features=1, width=16, phase_init="zeros", **TUNER_SMALL)
    tx = optax.adam(1e-2)
    state = tx.init(params)

    @jax.jit
    def step(p, s):
        loss, g = jax.value_and_grad(lambda q: jnp.mean((model.apply(q, x) - target) ** 2))(p)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, loss

    losses = []
    for _ in range(20):
        params, state, loss = step(params, state)
        losses.append(float(loss))
    assert losses[-1] < losses[0]
    phase = np.asarray(params["params"]["layers_0"]["phase"], np.float64)
    assert np.abs(phase - phase0).max() > 1e-3  # phases moved
    inter = _inter(model, params, x)
    omega = 2 * np.pi / 3.0 * np.asarray(TUNER_SMALL["frequencies"], np.float64)
    np.testing.assert_allclose(inter["layers_0"]["__call__"][0],
                               np.sin(np.asarray(x, np.float64) @ omega.T + phase), atol=2e-5)


def test_tuner_hidden_init_std_per_row():
    width = 64
    model = TunerReference(out_features=1, width=width, depth=2)  # reference 416 frequencies
    p = _init(model, _grid(2))["params"]
    kern = np.asarray(p["layers_1"]["kernel"], np.float64)
    assert kern.shape == (416, width)
    low = tfreq.is_low(tfreq.reference_frequencies(), tfreq.REFERENCE_LOW_LIMIT)
    for mask, c in ((low, 1.0), (~low, 0.6)):
        block = kern[mask]
        expected = 0.3 * c / 30.0
        tol = 4 * _std_rel_se(block.size, NORMAL_KURTOSIS)
        assert abs(block.std() / expected - 1) < tol, (c, block.std(), expected)
        assert abs(block.mean()) < 4 * expected / math.sqrt(block.size)
        assert _ks(block.ravel() / expected, "norm") < 1.95 / math.sqrt(block.size)
    deep = np.asarray(p["layers_2"]["kernel"], np.float64)
    assert abs(deep.std() / (0.3 * 1.0 / 30.0) - 1) < 4 * _std_rel_se(deep.size, NORMAL_KURTOSIS)
    # SIREN-style alternative and validation
    ps = _init(TunerReference(out_features=1, width=width, hidden_init="siren"), _grid(2))["params"]
    _check_uniform(ps["layers_1"]["kernel"], math.sqrt(6 / 416) / 30.0, "tuner siren hidden")
    with pytest.raises(ValueError):
        TunerReference(hidden_init="xavier")
    with pytest.raises(ValueError):
        Tuner(frequencies=[(1, 0), (0, 1)])  # explicit frequencies need low_limit


def test_tuner_bound_groups():
    model = TunerReference(out_features=1, width=8, depth=2)
    groups = tuner_bound_groups(model)
    assert set(groups) == {"layers_1", "layers_2"}  # output layer layers_3 is unbounded
    g = groups["layers_1"]["kernel"]
    assert g.shape == (416, 1)
    linf = np.abs(np.asarray(tfreq.reference_frequencies())).max(1)
    np.testing.assert_array_equal(g[:, 0], np.where(linf <= 7, 0, 1))
    assert np.sum(g == 0) == 128
    assert np.all(np.asarray(groups["layers_2"]["kernel"]) == 2)
    with pytest.raises(ValueError):
        tuner_bound_groups(Siren())


# ---------------------------------------------------------------------------
# TUNER learned bounds
# ---------------------------------------------------------------------------


def _effective_kernel(layer: SineLayer, layer_params, fan_in):
    """The kernel the layer multiplies with, read off with an identity activation."""
    linear = layer.clone(activation=lambda z, omega: z)
    x = jnp.concatenate([jnp.eye(fan_in), jnp.zeros((1, fan_in))])
    z = np.asarray(_jit(linear.apply)({"params": layer_params}, x), np.float64)
    return z[:-1] - z[-1]


def test_tuner_learned_bounds_hold_and_train():
    omega_g = 30.0
    model = Tuner(out_features=1, width=16, depth=2, learned_bounds=True, **TUNER_SMALL)
    x = _grid(8)
    v = _init(model, x)
    p1 = v["params"]["layers_1"]
    assert set(p1) == {"kernel", "bias", "bound"}
    c = np.asarray(jax.nn.softplus(p1["bound"]), np.float64)
    assert np.all(c > 0)
    expected_c = tfreq.row_bounds(TUNER_SMALL["frequencies"], 3, 1.0, 0.6)
    np.testing.assert_allclose(c, expected_c, rtol=1e-5)
    np.testing.assert_allclose(jax.nn.softplus(v["params"]["layers_2"]["bound"]), 1.0, rtol=1e-5)

    layer = model.layers[1]
    w = _effective_kernel(layer, p1, 64)
    np.testing.assert_allclose(w, c[:, None] * np.tanh(omega_g * np.asarray(p1["kernel"], np.float64)) / omega_g,
                               atol=1e-6)
    assert np.all(np.abs(omega_g * w) <= c[:, None] + 1e-6)

    # huge raw kernel: still bounded, and the bound is reached (it is tight)
    huge = dict(p1, kernel=jnp.where(p1["kernel"] >= 0, 1e6, -1e6))
    w = _effective_kernel(layer, huge, 64)
    assert np.all(np.abs(omega_g * w) <= c[:, None] * (1 + 1e-6))
    np.testing.assert_allclose(np.abs(omega_g * w).max(1), c, rtol=1e-5)

    # gradient reaches the bound parameters of both hidden layers
    target = jnp.sin(4 * x[:, :1])
    g = _jit(jax.grad(lambda q: jnp.mean((model.apply(q, x) - target) ** 2)))(v)
    for name in ("layers_1", "layers_2"):
        gb = np.asarray(g["params"][name]["bound"])
        assert np.all(np.isfinite(gb)) and np.linalg.norm(gb) > 1e-8


# ---------------------------------------------------------------------------
# Harmonic MLP
# ---------------------------------------------------------------------------


def test_harmonic_frequencies_exact():
    assert harmonic_frequencies(7, 5.0) == (1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0)
    assert harmonic_frequencies(4, 3.0, base=0.5) == (0.5, 1.0, 1.5, 2.0)
    freqs = HarmonicMLP(hidden=(16, 8), max_freqs=(5.0, 3.0)).neuron_frequencies()
    assert freqs == {"harmonic_0": tuple(float(min(i + 1, 5)) for i in range(16)),
                     "harmonic_1": tuple(float(min(i + 1, 3)) for i in range(8))}
    with pytest.raises(ValueError):
        HarmonicMLP(hidden=(16, 8), max_freqs=(5.0,)).neuron_frequencies()


HARMONIC = HarmonicMLP(hidden=(64, 16), max_freqs=(5.0, 3.0))
HARMONIC_X = jax.random.uniform(jax.random.PRNGKey(1), (32, 784))
_HARMONIC_VARS = {}


def _harmonic_vars():
    if not _HARMONIC_VARS:
        _HARMONIC_VARS.update(_init(HARMONIC, HARMONIC_X))
    return _HARMONIC_VARS


def test_harmonic_init_column_scales():
    v = _harmonic_vars()
    kern = np.asarray(v["params"]["harmonic_0"]["kernel"], np.float64)
    f = np.asarray(harmonic_frequencies(64, 5.0))
    s = f ** -0.5 / np.mean(f ** -0.5)
    bound = 1 / math.sqrt(784)
    assert np.all(np.abs(kern) <= s * bound * (1 + 1e-6))
    for fv in np.unique(f):
        cols = kern[:, f == fv]
        expected = s[f == fv][0] * bound / math.sqrt(3)
        tol = 4 * _std_rel_se(cols.size, UNIFORM_KURTOSIS)
        assert abs(cols.std() / expected - 1) < tol, (fv, cols.std(), expected)
    # the scale really decreases with frequency (f=1 vs f=5 differ by √5)
    assert kern[:, f == 1].std() / kern[:, f == 5].std() == pytest.approx(math.sqrt(5), rel=0.1)
    bias = np.asarray(v["params"]["harmonic_0"]["bias"], np.float64)
    assert np.all(np.abs(bias) <= s * bound * (1 + 1e-6)) and np.abs(bias).max() > 0
    head = np.asarray(v["params"]["head"]["kernel"], np.float64)
    _check_uniform(head, 1 / math.sqrt(16), "harmonic head")


def test_harmonic_forward_matches_formula_in_eval():
    v = _harmonic_vars()
    inter = _inter(HARMONIC, v, HARMONIC_X)
    p = _np(v["params"])
    z = np.asarray(HARMONIC_X, np.float64) @ p["harmonic_0"]["kernel"] + p["harmonic_0"]["bias"]
    f = np.asarray(harmonic_frequencies(64, 5.0))
    np.testing.assert_allclose(inter["harmonic_0"]["__call__"][0],
                               np.sin(2 * np.pi / f * z) + 0.1 * z, atol=1e-5)


def test_harmonic_train_mode_dropout_and_batch_stats():
    model, x, v = HARMONIC, HARMONIC_X, _harmonic_vars()
    assert set(v) == {"params", "batch_stats"}
    with pytest.raises(Exception, match="dropout"):
        _jit(lambda vv: model.apply(vv, x, train=True, mutable=["batch_stats"]))(v)
    train = _jit(jax.vmap(lambda k: model.apply(v, x, train=True, mutable=["batch_stats"],
                                                   rngs={"dropout": k})))
    outs, upd = train(jnp.stack([jax.random.PRNGKey(1), jax.random.PRNGKey(2)]))
    assert outs.shape == (2, 32, 10)
    assert not np.allclose(outs[0], outs[1])  # dropout masks differ
    for name in ("bn_0", "bn_1"):
        old, new = v["batch_stats"][name], jax.tree_util.tree_map(lambda a: a[0], upd["batch_stats"][name])
        assert not np.allclose(old["mean"], new["mean"])
        assert not np.allclose(old["var"], new["var"])
    # running mean moves by momentum 0.1 towards the batch mean (PyTorch default)
    inter = _inter(model, v, x)
    z = inter["harmonic_0"]["__call__"][0]
    np.testing.assert_allclose(jax.tree_util.tree_map(lambda a: a[0], upd["batch_stats"]["bn_0"])["mean"],
                               0.1 * np.asarray(z).mean(0), rtol=1e-4, atol=1e-6)
    evaluate = _jit(lambda k: model.apply(v, x, rngs={"dropout": k}))
    np.testing.assert_array_equal(evaluate(jax.random.PRNGKey(3)), evaluate(jax.random.PRNGKey(5)))


# ---------------------------------------------------------------------------
# Fourier features
# ---------------------------------------------------------------------------


def test_fourier_features_constants_and_formula():
    sigma, m = 10.0, 2048
    model = FourierFeatureMLP(out_features=1, width=8, depth=1, num_features=m, sigma=sigma)
    x = _grid(4)
    v = _init(model, x)
    assert set(v) == {"params", "constants"}
    assert "layers_0" not in v["params"]  # B is not trainable
    b = np.asarray(v["constants"]["layers_0"]["B"], np.float64)
    assert b.shape == (2, m)
    assert abs(b.std() / sigma - 1) < 4 * _std_rel_se(b.size, NORMAL_KURTOSIS)
    feats = np.asarray(_inter(model, v, x)["layers_0"]["__call__"][0], np.float64)
    proj = 2 * np.pi * np.asarray(x, np.float64) @ b
    # float32 argument rounding: |proj| up to ~150, so ~1e-5 absolute error
    np.testing.assert_allclose(feats, np.concatenate([np.cos(proj), np.sin(proj)], -1), atol=1e-4)
    v2 = _init(model, x, jax.random.PRNGKey(1))
    assert not np.allclose(v2["constants"]["layers_0"]["B"], b)


def test_positional_encoding_deterministic():
    sigma, m = 10.0, 6
    model = FourierFeatureMLP(out_features=1, width=8, depth=1, num_features=m, sigma=sigma, positional=True)
    x = _grid(3)
    va, vb = _init(model, x), _init(model, x, jax.random.PRNGKey(9))
    assert "constants" not in va
    fa = _inter(model, va, x)["layers_0"]["__call__"][0]
    fb = _inter(model, vb, x)["layers_0"]["__call__"][0]
    np.testing.assert_array_equal(fa, fb)
    freqs = sigma ** (np.arange(m) / m)
    xx = np.asarray(x, np.float64)
    proj = 2 * np.pi * np.concatenate([xx[:, i:i + 1] * freqs for i in range(2)], axis=1)
    np.testing.assert_allclose(fa, np.concatenate([np.cos(proj), np.sin(proj)], -1), atol=1e-5)
    assert not np.allclose(va["params"]["layers_1"]["kernel"], vb["params"]["layers_1"]["kernel"])


def test_tuner_learned_bounds_learn_at_the_fixed_bound_rate():
    """Regression: with ``W = c·tanh(V)/ω`` (no ω inside the tanh) Adam moved ``ω·W`` by ≈ c·lr per step,
    30× slower than the fixed-bound layer (ω·lr), and the learned-bounds TUNER trailed by ~5 dB on Kodak."""
    import optax

    x = _grid(8)
    target = jnp.sin(4 * x[:, :1])
    lr, omega_g = 1e-3, 30.0
    moves = {}
    for learned in (False, True):
        model = Tuner(out_features=1, width=16, depth=1, learned_bounds=learned, **TUNER_SMALL)
        v = _init(model, x)
        tx = optax.adam(lr)
        loss = lambda p: jnp.mean((model.apply({"params": p}, x) - target) ** 2)
        p = v["params"]
        u, _ = tx.update(jax.grad(loss)(p), tx.init(p), p)
        p2 = optax.apply_updates(p, u)
        layer = model.layers[1]
        w0 = _effective_kernel(layer, p["layers_1"], 64)
        w1 = _effective_kernel(layer, p2["layers_1"], 64)
        moves[learned] = np.median(np.abs(omega_g * (w1 - w0)))
    # Adam's first step is ±lr per raw entry: fixed ω·lr; learned c·sech²(ωV)·ω·lr with c ∈ {0.6, 1}
    assert moves[False] == pytest.approx(omega_g * lr, rel=0.05)
    assert 0.5 * moves[False] < moves[True] <= 1.05 * moves[False]
