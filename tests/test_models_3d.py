"""Every registered model on 3-D inputs (video (t, y, x), volumes (z, y, x)): shapes, finiteness, and
SIREN's first-layer init at fan_in 3."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from spectral_inr.data import coordinate_grid
from spectral_inr.models import (
    MODELS,
    Finer,
    HarmonicMLP,
    IntegerFrequencyEncoding,
    SinusoidalMLP,
    Siren,
    TunerSiren,
    get_model,
    tuner_bound_groups,
)
from spectral_inr.models import tuner_frequencies as tfreq

KEY = jax.random.PRNGKey(0)
_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})
X3 = jnp.asarray(coordinate_grid((3, 4, 5)).reshape(-1, 3))          # a 3×4×5 (t, y, x) grid, 60 points
FREQS_3D = tfreq.sampled_frequencies(16, (2, 4, 4))                   # for TUNER's SIREN baseline

# registry name → keywords for a small 3-D model; "tuner" (TunerReference) is the authors' 2-D Kodak list
SMALL_3D = {
    "siren": {"out_features": 3, "width": 16, "depth": 2},
    "siren2": {"out_features": 3, "width": 16, "depth": 2, "noise_scales": (5.0, 0.3)},
    "finer": {"out_features": 3, "width": 16, "depth": 2, "first_bias_scale": 2.0},
    "tuner-sampled": {"out_features": 3, "bandlimit": (2, 4, 4), "width": 16},
    "tuner-siren": {"out_features": 3, "frequencies": FREQS_3D, "width": 16},   # uniform_frequencies is 2-D: explicit list
    "ffn": {"out_features": 3, "width": 16, "depth": 2, "num_features": 16},
    "harmonic": {"hidden": (16, 8), "max_freqs": (5.0, 3.0)},             # a classifier: any flat input, 10 classes
    # the baseline zoo
    "gauss": {"out_features": 3, "width": 16, "depth": 2},
    "hosc": {"out_features": 3, "width": 16, "depth": 2},
    "sinc": {"out_features": 3, "width": 16, "depth": 2},
    "siren-rff": {"out_features": 3, "width": 16, "depth": 2, "in_features": 3},
    "relu-pe": {"out_features": 3, "width": 16, "depth": 2},
    "wire": {"out_features": 3, "width": 16, "depth": 2},
    "wire2d": {"out_features": 3, "width": 16, "depth": 2},
    "fourier-net": {"out_features": 3, "width": 16, "depth": 2},
    "gabor-net": {"out_features": 3, "width": 16, "depth": 2},
    "bacon": {"out_features": 3, "width": 16, "depth": 2, "resolution": 32},
}
TWO_D_ONLY = {"tuner"}


def test_every_registered_model_is_covered():
    assert set(SMALL_3D) | TWO_D_ONLY == set(MODELS) and not set(SMALL_3D) & TWO_D_ONLY


@pytest.mark.parametrize("name", sorted(SMALL_3D))
def test_every_model_runs_on_3d_inputs(name):
    model = get_model(name, **SMALL_3D[name])
    variables = _jit(model.init)(KEY, X3)
    out = _jit(model.apply)(variables, X3)
    assert out.shape == (X3.shape[0], 10 if name == "harmonic" else 3)
    out = np.asarray(out)
    assert np.all(np.isfinite(out)) and np.std(out) > 0
    # the first layer sees all three coordinates: its kernel (or frequency list) is 3 wide
    first = jax.tree_util.tree_leaves(variables["params"][next(iter(variables["params"]))])
    assert first and all(np.all(np.isfinite(np.asarray(a))) for a in first)
    if isinstance(model, SinusoidalMLP) and isinstance(model.layers[0], IntegerFrequencyEncoding):
        assert np.asarray(model.layers[0].frequencies).shape[1] == 3
    elif isinstance(model, HarmonicMLP):
        assert variables["params"]["harmonic_0"]["kernel"].shape[0] == 3
    elif "kernel" in variables["params"].get("layers_0", {}):
        assert variables["params"]["layers_0"]["kernel"].shape[0] == 3
    # the output moves along every axis (time included): no coordinate is ignored
    grid = np.asarray(out).reshape(3, 4, 5, -1)
    for axis in range(3):
        assert np.abs(np.diff(grid, axis=axis)).max() > 1e-6, (name, axis)


@pytest.mark.parametrize("name", ["siren", "finer", "tuner-sampled", "ffn"])
def test_coordinate_gradients_are_3d_and_finite(name):
    model = get_model(name, **SMALL_3D[name])
    variables = _jit(model.init)(KEY, X3)
    jac = _jit(jax.vmap(jax.jacfwd(lambda x: model.apply(variables, x[None])[0])))(X3)
    assert jac.shape == (X3.shape[0], 3, 3) and np.all(np.isfinite(np.asarray(jac)))


def test_reference_tuner_is_2d_only():
    model = get_model("tuner", out_features=3, n_frequencies=24, width=16)
    assert np.asarray(model.layers[0].frequencies).shape[1] == 2
    with pytest.raises(TypeError):     # (N, 3) @ (3?, n): the authors' list has 2 columns
        model.init(KEY, X3)


def test_tuner_sampled_3d_bound_groups_follow_the_box():
    model = get_model("tuner-sampled", **SMALL_3D["tuner-sampled"])
    enc = model.layers[0]
    assert enc.low_limit == (1, 1, 1)
    groups = tuner_bound_groups(model)["layers_1"]["kernel"][:, 0]
    k = np.abs(np.asarray(enc.frequencies))
    np.testing.assert_array_equal(groups == 0, np.all(k <= 1, axis=1))


def test_tuner_siren_on_3d_frequencies():
    model = TunerSiren(out_features=1, frequencies=FREQS_3D, width=8)
    out = _jit(model.apply)(_jit(model.init)(KEY, X3), X3)
    assert out.shape == (X3.shape[0], 1) and np.all(np.isfinite(np.asarray(out)))


# ---------------------------------------------------------------------------
# SIREN's first layer at fan_in 3: W ~ U(±1/3), b ~ U(±1/√3)
# ---------------------------------------------------------------------------

def _check_uniform(sample, bound, what):
    """Inside ±bound, reaching it, KS at the 0.1 % level (1.95/√n), and the first two moments
    (mean 0 and variance bound²/3, each within 4 standard errors)."""
    s = np.asarray(sample, np.float64).ravel()
    n = s.size
    assert np.all(np.abs(s) <= bound * (1 + 1e-6)), f"{what}: outside ±{bound}"
    delta = -math.log(1e-6) / n        # P(max|s| < (1 − δ)·bound) = (1 − δ)^n < 1e-6
    assert np.abs(s).max() >= (1 - delta) * bound, what
    ks = stats.kstest(s, stats.uniform(loc=-bound, scale=2 * bound).cdf, method="asymp").statistic
    assert ks < 1.95 / math.sqrt(n), f"{what}: KS {ks}"
    var = bound ** 2 / 3
    assert abs(s.mean()) < 4 * math.sqrt(var / n), what
    # Var(s²) = E s⁴ − (E s²)² = bound⁴/5 − bound⁴/9
    assert abs(s.var() - var) < 4 * math.sqrt((bound ** 4 / 5 - var ** 2) / n), what


@pytest.mark.parametrize("ctor", [Siren, Finer], ids=["siren", "finer"])
def test_siren_first_layer_init_at_fan_in_3(ctor):
    width = 4096                                           # 3·4096 = 12288 first-layer weights
    model = ctor(out_features=1, width=width, depth=1)
    p = _jit(model.init)(KEY, X3)["params"]
    assert p["layers_0"]["kernel"].shape == (3, width)
    _check_uniform(p["layers_0"]["kernel"], 1.0 / 3, "first kernel (fan_in 3)")
    _check_uniform(p["layers_0"]["bias"], 1.0 / math.sqrt(3), "first bias (fan_in 3)")
    # every input axis gets the same distribution (no axis is special)
    k = np.asarray(p["layers_0"]["kernel"], np.float64)
    for axis in range(3):
        ks = stats.kstest(k[axis], stats.uniform(loc=-1 / 3, scale=2 / 3).cdf, method="asymp").statistic
        assert ks < 1.95 / math.sqrt(width), axis

