"""Tests for the multiplicative filter networks (spectral_inr.models.mfn) and BACON (spectral_inr.models.bacon).

Reference formulas: boschresearch/multiplicative-filter-networks ``mfn/mfn.py`` and
computational-imaging/bacon ``modules.py`` / ``experiments/train_img.py`` (cited per test).

Compilation dominates the run time on a 2-core box, so each model has four compiled programs,
cached and shared between tests: a wide init vmapped over traced hyper-parameters (the init
statistics), a small init vmapped over seeds, a 250-step Adam fit, and one evaluation.
"""
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from spectral_inr.models.bacon import IMAGE_INPUT_SCALES, IMAGE_OUTPUT_LAYERS, Bacon, multiscale_mse
from spectral_inr.models.mfn import FourierNet, GaborNet
from _init_stats import check_uniform, ks

KEY = jax.random.PRNGKey(0)
# Init graphs are compiled once: XLA's backend optimisations cost more than they save (as in test_models.py).
_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})
cache = functools.lru_cache(maxsize=None)


def _grid(h, w=None):
    w = h if w is None else w
    ys, xs = jnp.linspace(-1.0, 1.0, h), jnp.linspace(-1.0, 1.0, w)
    return jnp.stack(jnp.meshgrid(ys, xs, indexing="ij"), axis=-1).reshape(-1, 2)


def _np(tree):
    return jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), tree)


def _member(tree, i):
    return jax.tree_util.tree_map(lambda a: a[i], tree)


# ---------------------------------------------------------------------------
# shared compiled programs
# ---------------------------------------------------------------------------

# One init per model, vmapped over MEMBERS seeds whose hyper-parameters are traced: the first GROUP
# members have the values of the small model below (the fit, the spectrum), the others a second set.
MEMBERS, GROUP, DEPTH, WIDTH = 16, 8, 3, 32
HP = {
    "fourier": {"input_scale": (16.0, 256.0), "weight_scale": (1.0, 6.0)},
    "gabor": {"input_scale": (16.0, 64.0), "alpha": (6.0, 24.0), "beta": (1.0, 0.5), "weight_scale": (1.0, 2.0)},
    # BACON's resolution (N_y, N_x): K = [1, 1, 2, 2, 2] on both axes; [3, 3, 6, 6, 6] and [2, 2, 4, 4, 4]
    # (no ties N·s/2 ∈ ℤ + ½, where the traced float32 rule may differ from the float64 one)
    "bacon": {"res_y": (16.0, 48.0), "res_x": (16.0, 33.0)},
}
BUILD = {
    "fourier": lambda hp: FourierNet(1, WIDTH, DEPTH, **hp),
    "gabor": lambda hp: GaborNet(1, WIDTH, DEPTH, **hp),
    "bacon": lambda hp: Bacon(1, WIDTH, 4, resolution=(hp["res_y"], hp["res_x"])),
}


def hp_of(name, group):
    return {k: v[group] for k, v in HP[name].items()}


# The first group as concrete models.
SMALL = {
    "fourier": lambda: FourierNet(1, WIDTH, DEPTH, input_scale=16.0),
    "gabor": lambda: GaborNet(1, WIDTH, DEPTH, input_scale=16.0),
    "bacon": lambda: Bacon(1, WIDTH, 4, resolution=16),   # train_img.py's net at N = 16: limits 2, 4, 8 (Nyquist)
}


def _target(side=16):
    x = _grid(side)
    y = (jnp.sin(2.0 * x[:, :1]) * jnp.cos(3.0 * x[:, 1:]) + 0.3 * x[:, :1] * x[:, 1:]
         + 0.2 * jnp.sin(6.0 * x[:, :1] + 5.0 * x[:, 1:]))
    return x, y


@cache
def members(name):
    """The vmapped init of MEMBERS seeds (numpy leaves)."""
    hp = {k: jnp.repeat(jnp.asarray(v), GROUP) for k, v in HP[name].items()}
    init = _jit(jax.vmap(lambda key, h: BUILD[name](h).init(key, _target()[0][:1])))
    return jax.tree_util.tree_map(np.asarray, init(jax.random.split(KEY, MEMBERS), hp))


def group(name, g):
    """The GROUP members with the g-th hyper-parameters, stacked."""
    return jax.tree_util.tree_map(lambda a: a[g * GROUP:(g + 1) * GROUP], members(name))


def _loss(name, model, variables, x, y):
    if name == "bacon":   # the official loss: mean over the heads of each head's MSE (multiscale_image_mse)
        return multiscale_mse(model.apply(variables, x, all_scales=True), y)
    return jnp.mean((model.apply(variables, x) - y) ** 2)


# mfn/experiments/image_rep.py: Adam 1e-2; bacon training.py + config/img/bacon.ini: Adam(amsgrad=True) 5e-3
OPTIMIZERS = {"fourier": optax.adam(1e-2), "gabor": optax.adam(1e-2), "bacon": optax.amsgrad(5e-3)}
STEPS = 250


@cache
def fitted(name):
    """Member 0 after ``STEPS`` full-batch steps on the 16×16 target: ``(variables, losses, output,
    intermediates)``, the last two evaluated on the training pixels in the same compiled program."""
    model, (x, y), tx = SMALL[name](), _target(), OPTIMIZERS[name]
    v0 = _member(members(name), 0)
    rest = {k: c for k, c in v0.items() if k != "params"}
    kwargs = {"all_scales": True} if name == "bacon" else {}

    @jax.jit
    def run(params):
        def step(carry, _):
            p, s = carry
            loss, g = jax.value_and_grad(lambda q: _loss(name, model, {"params": q, **rest}, x, y))(p)
            u, s = tx.update(g, s, p)
            return (optax.apply_updates(p, u), s), loss
        (p, _), losses = jax.lax.scan(step, (v0["params"], tx.init(v0["params"])), None, length=STEPS)
        out, state = model.apply({"params": p, **rest}, x, capture_intermediates=True, **kwargs)
        return p, losses, out, state["intermediates"]

    params, losses, out, inter = run(v0["params"])
    return {"params": params, **rest}, np.asarray(losses), np.asarray(out, np.float64), inter


@cache
def _bacon_evaluator():
    model = SMALL["bacon"]()
    return _jit(lambda v, xx: model.apply(v, xx, capture_intermediates=True, all_scales=True))


def evaluate_bacon(variables, x):
    """Every head ``(S, n, C)`` and the intermediates."""
    out, state = _bacon_evaluator()(variables, x)
    return np.asarray(out, np.float64), state["intermediates"]


# ---------------------------------------------------------------------------
# MFN initialisation (mfn/mfn.py), with traced hyper-parameters
# ---------------------------------------------------------------------------


def test_fourier_net_init_follows_the_official_formulas():
    """FourierLayer: nn.Linear default U(±1/√d) times input_scale/√(n_layers+1), bias U(−π, π);
    MFNBase hidden U(±√(weight_scale/hidden)), PyTorch default biases; output layer PyTorch's default.
    Pooled over 8 seeds per group; input_scale and weight_scale are traced (one vmapped init)."""
    d = 2
    assert set(members("fourier")) == {"params"}
    for g in range(2):
        scale, ws = hp_of("fourier", g)["input_scale"], hp_of("fourier", g)["weight_scale"]
        p = _np(group("fourier", g)["params"])
        assert sorted(p) == ["filter_0", "filter_1", "filter_2", "filter_3", "linear_0", "linear_1", "linear_2",
                             "output"]
        check_uniform(np.stack([p[f"filter_{i}"]["kernel"] for i in range(DEPTH + 1)]),   # 2048 draws
                       scale / math.sqrt(DEPTH + 1) / math.sqrt(d), "filter kernels")
        check_uniform(np.stack([p[f"filter_{i}"]["bias"] for i in range(DEPTH + 1)]), math.pi, "filter biases")
        check_uniform(np.stack([p[f"linear_{i}"]["kernel"] for i in range(DEPTH)]), math.sqrt(ws / WIDTH),
                       "hidden kernels")
        check_uniform(np.stack([p[f"linear_{i}"]["bias"] for i in range(DEPTH)]), 1 / math.sqrt(WIDTH),
                       "hidden biases")
        check_uniform(p["output"]["kernel"], 1 / math.sqrt(WIDTH), "output kernel")
        check_uniform(p["output"]["bias"], 1 / math.sqrt(WIDTH), "output bias")


def test_gabor_net_init_follows_the_official_formulas():
    """GaborLayer: γ ~ Gamma(α/(n_layers+1), rate β), μ ~ U(−1, 1), Ω = U(±1/√d)·input_scale/√(n+1)·√γ_j,
    bias U(−π, π); hidden U(±√(weight_scale/hidden)).  Pooled over 8 seeds per group; α, β, input_scale and
    weight_scale are traced."""
    d = 2
    for g in range(2):
        scale, alpha, beta, ws = (hp_of("gabor", g)[k] for k in ("input_scale", "alpha", "beta", "weight_scale"))
        p = _np(group("gabor", g)["params"])
        f = [p[f"filter_{i}"] for i in range(DEPTH + 1)]
        gamma = np.stack([q["gamma"] for q in f])                       # 1024 draws
        law = stats.gamma(alpha / (DEPTH + 1), scale=1 / beta)          # shape 1.5, rate 1; shape 6, rate 0.5
        assert ks(gamma, law.cdf) < 1.95 / math.sqrt(gamma.size), g
        assert abs(gamma.mean() / law.mean() - 1) < 4 * law.std() / law.mean() / math.sqrt(gamma.size), g
        mu = np.stack([q["mu"] for q in f])
        assert mu.shape == (DEPTH + 1, GROUP, WIDTH, d)
        check_uniform(mu, 1.0, "mu")
        # each kernel column divided by its scale·√γ_j is PyTorch's U(±1/√d)
        base = np.stack([q["kernel"] / (scale / math.sqrt(DEPTH + 1) * np.sqrt(q["gamma"])[:, None, :]) for q in f])
        check_uniform(base, 1 / math.sqrt(d), "Gabor kernel / (scale·√γ)")
        check_uniform(np.stack([q["bias"] for q in f]), math.pi, "Gabor biases")
        check_uniform(np.stack([p[f"linear_{i}"]["kernel"] for i in range(DEPTH)]), math.sqrt(ws / WIDTH),
                       "hidden kernels")
        check_uniform(p["output"]["kernel"], 1 / math.sqrt(WIDTH), "output kernel")


def test_mfn_rejects_non_positive_hyper_parameters():
    for cls, bad in ((FourierNet, dict(input_scale=0.0)), (FourierNet, dict(width=0)), (GaborNet, dict(alpha=-1.0)),
                     (GaborNet, dict(beta=0.0)), (GaborNet, dict(weight_scale=-2.0))):
        with pytest.raises(ValueError):
            cls(**bad)


# ---------------------------------------------------------------------------
# MFN forward (mfn/mfn.py forward methods) against numpy float64
# ---------------------------------------------------------------------------


def _mfn_numpy(p, x, gabor):
    def filt(q):
        s = np.sin(x @ q["kernel"] + q["bias"])
        if gabor:
            s = s * np.exp(-0.5 * ((x[:, None, :] - q["mu"][None]) ** 2).sum(-1) * q["gamma"])
        return s

    gs = [filt(p[f"filter_{i}"]) for i in range(DEPTH + 1)]
    z = gs[0]
    for i in range(1, DEPTH + 1):
        z = gs[i] * (z @ p[f"linear_{i - 1}"]["kernel"] + p[f"linear_{i - 1}"]["bias"])
    return gs, z @ p["output"]["kernel"] + p["output"]["bias"]


# PSNR on the 256 training pixels (peak-to-peak of the target) after 250 steps.  Members 0–3 reached
# 59–60 dB (FourierNet), 56–58 dB (GaborNet) and 34–35 dB (BACON's finest head, trained with the official
# loss, in which the coarse heads pull on the shared layers) when the thresholds were set.
PSNR_THRESHOLDS = {"fourier": 45.0, "gabor": 45.0, "bacon": 28.0}


def _psnr(mse, y):
    return 10 * math.log10(float(y.max() - y.min()) ** 2 / mse)


@pytest.mark.parametrize("name", ["fourier", "gabor"])
def test_mfn_fits_and_matches_numpy_float64(name):
    """250 full-batch Adam steps at the official lr 1e-2 (image_rep.py) fit the 16×16 target; the trained
    network's filters and output equal the float64 formulas z_{i+1} = g_{i+1}(x)·(W_i z_i + b_i)."""
    x, y = _target()
    v, losses, out, inter = fitted(name)
    gs, ref = _mfn_numpy(_np(v["params"]), np.asarray(x, np.float64), name == "gabor")
    for i, g in enumerate(gs):   # float32 sine arguments of a few tens: ~1e-6 rounding
        np.testing.assert_allclose(inter[f"filter_{i}"]["__call__"][0], g, atol=3e-5, rtol=0)
    np.testing.assert_allclose(out, ref, atol=1e-4 * max(1.0, np.abs(ref).max()), rtol=0)
    psnr = _psnr(float(np.mean((out - np.asarray(y)) ** 2)), y)
    assert losses[-1] < 1e-3 * losses[0] and psnr > PSNR_THRESHOLDS[name], (name, losses[0], losses[-1], psnr)


# ---------------------------------------------------------------------------
# BACON: band-limit rule, frozen quantised frequencies (modules.py, train_img.py)
# ---------------------------------------------------------------------------


def _official_quanta(freq, scale=None, hidden_layers=None, q=2 * np.pi):
    """modules.py: input_scale = round((π·freq·s)/q)·q (MultiscaleBACON with input_scales), or
    round((π·freq/(hidden_layers+1))/q)·q (BACON; MultiscaleBACON without them) — in quanta of q."""
    if scale is None:
        return round((np.pi * freq / (hidden_layers + 1)) / q)
    return round((np.pi * freq * scale) / q)


def test_bacon_quanta_follow_the_official_rule():
    for res in range(2, 600):   # includes the official round-off at ties, e.g. N = 88, s = 1/8 → 5
        ms = Bacon(3, 8, 4, resolution=res)    # the image net: train_img.py's scales and heads
        official = [_official_quanta(res, s) for s in IMAGE_INPUT_SCALES]
        np.testing.assert_array_equal(ms.quanta(2), np.repeat(np.asarray(official)[:, None], 2, 1))
        single = Bacon(3, 8, 4, resolution=res, multiscale=False)    # BACON: s_l = 1/(hidden_layers + 1)
        np.testing.assert_array_equal(single.quanta(1)[:, 0], [_official_quanta(res, hidden_layers=4)] * 5)
        other = Bacon(1, 8, 2, resolution=(res, 30))   # another depth: uniform scales, a head at every layer
        np.testing.assert_array_equal(other.quanta(2), [[_official_quanta(res, hidden_layers=2),
                                                         _official_quanta(30, hidden_layers=2)]] * 3)
    assert Bacon().layer_scales() == IMAGE_INPUT_SCALES and Bacon().heads() == IMAGE_OUTPUT_LAYERS
    assert Bacon(depth=2).heads() == (1, 2) and Bacon(multiscale=False).heads() == (4,)
    for res in (128, 256, 512):  # heads 1, 2, 4 stop at N/8, N/4, N/2 cycles per period: the last is full-band
        np.testing.assert_array_equal(Bacon(resolution=res).band_limits(2)[:, 0], [res // 8, res // 4, res // 2])
    assert Bacon(resolution=88).quanta(1).ravel().tolist() == [5, 5, 11, 11, 11]   # 88/16 = 5.5 → 5
    assert Bacon(resolution=285, multiscale=False).quanta(1).ravel().tolist() == [29] * 5   # 28.5 → 29


def test_bacon_rounding_quirk_and_validation():
    """modules.py rounds per layer: 4 hidden layers at res 256 give 26 quanta each, a limit of 130 > 128."""
    assert Bacon(resolution=256, multiscale=False).band_limits(2).tolist() == [[130, 130]]
    for bad in (dict(depth=3, input_scales=(0.5, 0.5)), dict(multiscale=False, output_layers=(4,)),
                dict(output_layers=(2, 1)), dict(output_layers=(5,)), dict(resolution=1), dict(width=0),
                dict(input_scales=(-0.1, 0.3, 0.3, 0.25, 0.25)), dict(period=-2.0)):
        with pytest.raises(ValueError):
            Bacon(**bad)


def test_bacon_frequencies_are_frozen_integers_and_init_follows_the_official_code():
    """FourierLayer: integers uniform on {−K, …, K} per axis, frozen (in 'constants', not 'params'); phases
    U(−π, π); mfn_weights_init U(±√(6/width)) kernels, PyTorch U(±1/√width) biases.  Pooled over 8 seeds
    per group; the per-axis resolution is traced, so each group has its own K."""
    assert set(members("bacon")) == {"params", "constants"}
    for g in range(2):
        hp = hp_of("bacon", g)
        quanta = Bacon(resolution=(hp["res_y"], hp["res_x"])).quanta(2)
        v = group("bacon", g)
        p, c = _np(v["params"]), v["constants"]
        for i in range(5):
            assert set(p[f"filter_{i}"]) == {"phase"}
            k = c[f"filter_{i}"]["k"]
            assert k.dtype == np.int32 and k.shape == (GROUP, 2, WIDTH)
            for a in range(2):
                kmax, draws = int(quanta[i, a]), k[:, a].ravel()       # 256 draws
                assert draws.min() == -kmax and draws.max() == kmax, (g, i, a)
                counts = np.bincount(draws + kmax, minlength=2 * kmax + 1)
                expected = draws.size / counts.size
                assert ((counts - expected) ** 2 / expected).sum() < stats.chi2.ppf(1 - 1e-4, counts.size - 1)
        check_uniform(np.stack([p[f"filter_{i}"]["phase"] for i in range(5)]), math.pi, "phases")
        check_uniform(np.stack([p[f"linear_{i}"]["kernel"] for i in range(4)]), math.sqrt(6 / WIDTH), "hidden")
        check_uniform(np.stack([p[f"linear_{i}"]["bias"] for i in range(4)]), 1 / math.sqrt(WIDTH), "hidden bias")
        check_uniform(np.stack([p[f"output_{i}"]["kernel"] for i in (1, 2, 4)]), math.sqrt(6 / WIDTH),
                       "output kernels")
        assert "output_3" not in p


def _spectrum_grid(model, m):
    """An m×m grid covering exactly one period ``P`` per axis (DFT bin j = j cycles per period)."""
    t = -1.0 + float(model.periods(1)[0]) * np.arange(m) / m
    return jnp.asarray(np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2), jnp.float32)


def _power(out, m):
    """|FFT|² per head and channel of ``out`` ``(S, m², C)``, and max(|f_y|, |f_x|) per bin."""
    out = out.reshape(out.shape[0], m, m, -1)
    power = np.abs(np.fft.fft2(out, axes=(1, 2))) ** 2
    f = np.abs(np.fft.fftfreq(m, 1.0 / m))
    linf = np.broadcast_to(np.maximum(f[:, None], f[None, :])[None, :, :, None], power.shape)
    return power, linf


M_SPECTRUM = 48   # samples per period in the spectrum checks: bins up to 24 > the limit 8, no aliasing


def test_bacon_output_spectrum_is_band_limited_at_init():
    """The defining property: no energy above each head's configured maximum frequency beyond float32
    round-off, while each limit is reached (not merely respected).  Heads 1, 2, 4 stop at N/8, N/4, N/2."""
    model = SMALL["bacon"]()
    limits = model.band_limits(2)[:, 0]
    assert limits.tolist() == [2, 4, 8]
    grid = _spectrum_grid(model, M_SPECTRUM)
    for seed in range(2):
        v = _member(members("bacon"), seed)
        power, linf = _power(evaluate_bacon(v, grid)[0], M_SPECTRUM)
        for s, b in enumerate(limits):
            total = power[s].sum()
            assert power[s][linf[s] > b].sum() / total < 1e-11, (seed, s, b)
            assert power[s][linf[s] == b].sum() / total > 1e-6, (seed, s, b)
        # control: the same network with its integers scaled by 3/2 leaks above the limit
        leaky = dict(v, constants=jax.tree_util.tree_map(lambda k: k * 3 // 2, v["constants"]))
        p_leak, linf = _power(evaluate_bacon(leaky, grid)[0], M_SPECTRUM)
        assert p_leak[-1][linf[-1] > limits[-1]].sum() / p_leak[-1].sum() > 1e-3


def test_bacon_filters_match_numpy_and_the_network_is_periodic():
    """Filter i is sin(x·2πk/P + φ); the default P = 2N/(N−1) makes the network P-periodic along each axis
    (the N samples of linspace(−1, 1, N) fill one period, as BACON's pixel centres do with period 1)."""
    model, res = SMALL["bacon"](), 16
    period = 2 * res / (res - 1)
    np.testing.assert_allclose(np.asarray(model.periods(2)), [period] * 2, rtol=1e-7)
    assert np.allclose(np.asarray(Bacon(resolution=res, period=2.0).periods(2)), 2.0)   # pixel-centre grids
    v = _member(members("bacon"), 0)
    grid = _spectrum_grid(model, M_SPECTRUM)
    out, inter = evaluate_bacon(v, grid)
    xx = np.asarray(grid, np.float64)
    for i in range(5):
        k = np.asarray(v["constants"][f"filter_{i}"]["k"], np.float64)
        phase = np.asarray(v["params"][f"filter_{i}"]["phase"], np.float64)
        np.testing.assert_allclose(inter[f"filter_{i}"]["__call__"][0], np.sin(xx @ (2 * np.pi / period * k) + phase),
                                   atol=2e-5, rtol=0)
    # shifted by one period along y: the same outputs; by a third of a period along x: different ones
    shifted = evaluate_bacon(v, grid + jnp.asarray([period, 0.0]))[0]
    np.testing.assert_allclose(shifted, out, atol=1e-4 * np.abs(out).max())
    third = evaluate_bacon(v, grid + jnp.asarray([0.0, period / 3]))[0]
    assert np.abs(third - out).max() > 1e-2 * np.abs(out).max()


def test_bacon_fit_with_the_official_loss_stays_band_limited():
    """train_img.py's net at N = 16, the official multi-scale loss, Adam(amsgrad) 5e-3: the finest head fits
    the 16×16 target; coarser heads (narrower bands) fit worse; the frequencies did not move and every head's
    spectrum still stops at its limit."""
    x, y = _target()
    v, losses, heads, _ = fitted("bacon")   # heads: every head on the training pixels, (3, 256, 1)
    jax.tree_util.tree_map(np.testing.assert_array_equal, v["constants"], _member(members("bacon"), 0)["constants"])
    mses = ((heads - np.asarray(y)) ** 2).mean(axis=(1, 2))
    np.testing.assert_allclose(losses[-1], mses.mean(), rtol=0.5)   # the loss is the mean of the head MSEs
    psnr = _psnr(float(mses[-1]), y)
    assert losses[-1] < 0.1 * losses[0] and psnr > PSNR_THRESHOLDS["bacon"], (losses[0], losses[-1], psnr)
    assert mses[0] > mses[1] > mses[2]
    grid = _spectrum_grid(SMALL["bacon"](), M_SPECTRUM)
    power, linf = _power(evaluate_bacon(v, grid)[0], M_SPECTRUM)
    for s, b in enumerate(SMALL["bacon"]().band_limits(2)[:, 0]):
        assert power[s][linf[s] > b].sum() / power[s].sum() < 1e-11


def test_multiscale_mse_is_the_mean_of_per_head_mses():
    """loss_functions.multiscale_image_mse(use_resized=False): torch.stack([(y_i − img)²]).mean()."""
    rng = np.random.default_rng(0)
    outs, target = rng.normal(size=(3, 50, 3)), rng.normal(size=(50, 3))
    expected = np.mean([np.mean((o - target) ** 2) for o in outs])
    assert float(multiscale_mse(jnp.asarray(outs), jnp.asarray(target))) == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------------------
# vmapped seeds; the engine's contract
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fourier", "gabor", "bacon"])
def test_vmapped_init_over_seeds_differs_and_output_is_one_array(name):
    variables = group(name, 0)   # GROUP seeds, the same hyper-parameters
    for path, leaf in jax.tree_util.tree_leaves_with_path(variables):
        flat = np.asarray(leaf).reshape(GROUP, -1)
        where = jax.tree_util.keystr(path)
        for i in range(GROUP):
            for j in range(i + 1, GROUP):
                if leaf.dtype.kind == "f":   # continuous draws never collide
                    assert np.all(flat[i] != flat[j]), (where, i, j)
                else:                        # integer frequencies: different draws, not elementwise distinct
                    assert not np.array_equal(flat[i], flat[j]), (where, i, j)
    # the engine's contract: apply returns one (..., out_features) array; BACON's finest head by default
    x = _target()[0]
    model, v = SMALL[name](), _member(variables, 1)
    out = jax.eval_shape(model.apply, v, x)
    assert out.shape == (x.shape[0], 1)
    if name == "bacon":
        assert jax.eval_shape(lambda: model.apply(v, x, all_scales=True)).shape == (3, x.shape[0], 1)
        assert set(jax.eval_shape(model.init, KEY, x[:1])) == {"params", "constants"}
