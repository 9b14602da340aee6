"""Protocols as data, and the models/optimizers they build (exact checks)."""
import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spectral_inr import models, protocols, recipes
from spectral_inr.models import tuner_frequencies as tfreq

_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})
KEY = jax.random.PRNGKey(0)


def _tiny(name, **kw):
    return dataclasses.replace(protocols.TUNER_KODAK[name], **{"width": 16, **kw})


def test_tuner_protocol_values_cite_the_official_config():
    off, paper = protocols.TUNER_KODAK["official"], protocols.TUNER_KODAK["paper"]
    assert (off.period, off.low_limit, off.omega_g, off.lr, off.batch_size, off.epochs) == (4.0, 10, 30.0, 5e-4,
                                                                                           65536, 5000)
    assert off.init_bounds == (1.0, 0.4) and off.clamp_bounds == (0.4, 0.4)
    assert paper.clamp_bounds == paper.init_bounds == (1.0, 0.6)
    assert off.steps(int(512 * 512 * 0.95)) == 5000 * 4

def test_quick_is_a_scale_model_of_the_official_run():
    """issue 23 §3: at 128² every frequency keeps its place relative to Nyquist, the list keeps its blocks,
    parameters per pixel and batches per epoch are the official run's."""
    off, quick = protocols.TUNER_KODAK["official"], protocols.TUNER_KODAK["quick"]
    side = lambda p: p.resize or p.crop  # noqa: E731
    assert off.period * side(off) == quick.period * side(quick) == 2048     # k/(p·side): Nyquist-relative
    assert quick.baseline_bandlimit == off.baseline_bandlimit and quick.low_limit == off.low_limit
    full = np.asarray(tfreq.reference_frequencies(n=416))
    sub = np.asarray(tfreq.reference_frequencies(n=416, stride=quick.frequency_stride))
    assert len(sub) == quick.width == 106
    low = lambda k: np.abs(k).max(1) <= off.low_limit  # noqa: E731
    assert abs(low(sub).mean() - low(full).mean()) < 0.02                  # the low block's share (~31 %)
    assert np.abs(sub).max() == np.abs(full).max() == 156                  # the high block's extent
    per_pixel = lambda p: p.width ** 2 / side(p) ** 2  # noqa: E731
    assert per_pixel(quick) == pytest.approx(per_pixel(off), rel=0.1)
    train = lambda p: int(side(p) ** 2 * (1 - p.test_fraction))  # noqa: E731
    assert quick.steps(train(quick)) / quick.epochs == off.steps(train(off)) / off.epochs == 4
    assert quick.extra_first_omega0 * side(off) == off.extra_first_omega0 * side(quick)
    paper = protocols.TUNER_KODAK["quick-paper"]
    assert dataclasses.replace(paper, name="quick", init_bounds=quick.init_bounds,
                               clamp_bounds=quick.clamp_bounds) == quick
    with pytest.raises(ValueError, match="divide"):
        protocols.tuner.scale_model(off, 100)


@pytest.mark.parametrize("name, expected", [("official", (0.4, 0.4)), ("paper", (1.0, 0.6))])
def test_tuner_clamp_bounds_after_a_step(name, expected):
    """Drive every hidden weight far out of range: the projection lands exactly on c/ω_G per row."""
    p = _tiny(name, width=140)   # 126 low rows, 12 high rows (13, 0)…, then e1, e2
    fitter = recipes.tuner_protocol_fitter(p, "tuner", out_features=1)
    model = fitter.model_fn({})
    params = _jit(model.init)(KEY, jnp.zeros((1, 2)))["params"]
    big = jax.tree_util.tree_map(lambda x: x + 0.1, params)  # beyond every bound (≤ 1/30)
    tx = fitter.optimizer_fn({})
    state = tx.init(big)
    updates, _ = tx.update(jax.tree_util.tree_map(jnp.zeros_like, big), state, big)
    import optax
    new = optax.apply_updates(big, updates)
    kernel = np.asarray(new["layers_1"]["kernel"], np.float64)
    low = tfreq.is_low(tfreq.reference_frequencies(n=140), p.low_limit)
    want = np.where(low, expected[0], expected[1]) / 30.0
    np.testing.assert_allclose(kernel.max(axis=1), want, rtol=1e-5)
    assert low.sum() == 128 and (~low).sum() == 12


def test_tuner_protocol_uses_the_reference_list_and_official_phases():
    p = _tiny("official")
    model = recipes.tuner_protocol_fitter(p, "tuner").model_fn({})
    enc = model.layers[0]
    assert enc.frequencies == tfreq.reference_frequencies(n=16) and enc.period == 4.0
    phase = np.asarray(_jit(model.init)(KEY, jnp.zeros((1, 2)))["params"]["layers_0"]["phase"])
    assert np.abs(phase).max() <= 1 / math.sqrt(2)


def test_tuner_siren_baseline():
    p = _tiny("official")
    fitter = recipes.tuner_protocol_fitter(p, "tuner-siren")
    model = fitter.model_fn({})
    variables = _jit(model.init)(KEY, jnp.zeros((1, 2)))
    k = np.asarray(variables["constants"]["layers_0"]["k"])
    assert k.shape == (16, 2) and np.abs(k).max() <= 85 and k[:, 1].min() >= 0  # (y, x): x ∈ [0, B]
    # each seed its own draw (issue 23: one draw used to serve every seed)
    k1 = np.asarray(_jit(model.init)(jax.random.PRNGKey(1), jnp.zeros((1, 2)))["constants"]["layers_0"]["k"])
    assert len({tuple(r) for r in k.tolist()} ^ {tuple(r) for r in k1.tolist()}) > 16
    params = variables["params"]
    assert set(params["layers_0"]) == {"phase"}          # frequencies frozen
    w = np.asarray(params["layers_1"]["kernel"])
    assert np.abs(w).max() <= math.sqrt(6 / 16) / 30 and np.abs(w).max() > 0.8 * math.sqrt(6 / 16) / 30
    state = fitter.optimizer_fn({}).init(params)
    assert float(state.hyperparams["learning_rate"]) == pytest.approx(1e-4)   # train_siren.py
    with pytest.raises(ValueError, match="method"):
        recipes.tuner_protocol_fitter(p, "bacon")


def test_learned_bounds_protocol_uses_the_paper_sum():
    p = _tiny("official")
    fitter = recipes.tuner_protocol_fitter(p, "tuner-learned", out_features=1)
    params = _jit(fitter.model_fn({}).init)(KEY, jnp.zeros((1, 2)))["params"]
    c = jax.nn.softplus(params["layers_1"]["bound"])
    np.testing.assert_allclose(float(fitter.regularizer(params, {})), 2e-5 * float(jnp.sum(c)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(c), 1.0, rtol=1e-5)   # every row low at n = 16: c_low = 1.0


def test_siren2_notebook_scheme_noise_stds():
    """Kernel k ≥ 1 = U(±√(6/n)/ω0) + N(0, (S0/100^(k−1))²); layer 0 untouched."""
    width, depth, s0 = 256, 3, 0.5
    noisy = models.Siren2(out_features=1, width=width, depth=depth, first_omega0=3000.0,
                          noise_scales=(s0, 0.0), scheme="notebook")
    plain = models.Siren(out_features=1, width=width, depth=depth, first_omega0=3000.0)
    x = jnp.zeros((1, 1))
    pn, pp = _jit(noisy.init)(KEY, x)["params"], _jit(plain.init)(KEY, x)["params"]
    np.testing.assert_array_equal(pn["layers_0"]["kernel"], pp["layers_0"]["kernel"])
    base_var = (math.sqrt(6 / width) / 30) ** 2 / 3
    for k in range(1, depth + 1):
        w = np.asarray(pn[f"layers_{k}"]["kernel"], np.float64)
        expected = math.sqrt(base_var + (s0 / 100 ** (k - 1)) ** 2)
        rel = 4 * math.sqrt(2 / w.size) + 0.01
        assert abs(w.std() / expected - 1) < rel, (k, w.std(), expected)
    with pytest.raises(ValueError, match="scheme"):
        models.Siren2(scheme="paper")


def test_audio_and_dft_protocols():
    a = protocols.SIREN2_AUDIO["official"]
    assert (a.samples, a.width, a.depth, a.steps, a.lr, a.decay_every, a.decay) == (150_000, 222, 4, 1000, 1e-4, 20,
                                                                                    0.99)
    assert a.siren_first_omega0 == 3000.0 and a.siren2_first_omega0 == 30.0 and a.finer_bias_scale == 5.0
    d = protocols.DFT_GIST
    assert (d.n, d.vectors, d.units, d.epochs, d.batch_size, d.eps) == (32, 10_000, 64, 100, 100, 1e-7)
    assert d.steps() == 10_000


def test_finer_first_omega0_stays_below_the_grid_nyquist_limit():
    """ω0·(2β+3) ≤ π(n−1)/2: the first layer's largest initial local frequency, in rad per unit."""
    quick, official = protocols.SIREN2_AUDIO["quick"], protocols.SIREN2_AUDIO["official"]
    w = quick.finer_omega0(10_000)
    assert w * (2 * 5.0 + 3) == pytest.approx(math.pi * 9_999 / 2)
    assert official.finer_omega0(150_000) == 3000.0            # inactive cap at the paper's length
    # the local frequency of sin(ω0(|z|+1)z) is ω0(2|z|+1)|w|: check the bound numerically on the grid
    x = np.linspace(-1, 1, 10_000)
    z = 1.0 * x + 5.0                                           # extreme draw w = 1, b = 5
    phase = w * (np.abs(z) + 1) * z
    assert np.max(np.abs(np.diff(phase))) <= np.pi + 1e-9       # ≤ π rad per sample: no aliasing


def test_harmonic_mnist_protocol():
    p, q = protocols.HARMONIC_MNIST["paper"], protocols.HARMONIC_MNIST["quick"]
    assert (p.train_size, p.epochs, p.sweep_epochs, p.batch, p.hidden, p.max_freqs) == (None, 15, 5, 128, (512, 256),
                                                                                      (5.0, 3.0))
    assert (p.lr, p.weight_decay, p.freq_factor, p.plateau_patience_torch) == (1e-3, 1e-5, 0.1, 2)
    assert (q.train_size, q.epochs, q.seeds) == (10_000, 3, 2) and q.reduced
