"""Tests for spectral_inr.models.baselines: Gauss, HOSC, sinc, SIREN-RFF, ReLU+PE (issue 21).

Per model: the activation against a float64 numpy reference, the init distributions against the
authors' formula (KS/moment tests with the thresholds stated next to them, as in tests/test_models.py),
distinct members under a vmapped init, and a tiny fit that learns.  Compiles dominate the run time, so
each test jits what it needs once (:func:`_many`).
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from spectral_inr.models import activations
from spectral_inr.models.baselines import (BASELINE_DEPTH, BASELINE_WIDTH, FINER_PEMLP, GAUSS_SCALE, Gauss, Hosc,
                                           ReluPe, Sinc, SirenRff)
from spectral_inr.models.layers import FourierFeatures, NerfPositionalEncoding, nerf_num_frequencies
from _init_stats import check_uniform, ks

KEY = jax.random.PRNGKey(0)
# Tiny graphs, compiled once: XLA's backend optimisations cost more than they save (as tests/test_models.py).
_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})


def _grid(h, w=None):
    w = h if w is None else w
    ys, xs = jnp.linspace(-1.0, 1.0, h), jnp.linspace(-1.0, 1.0, w)
    return jnp.stack(jnp.meshgrid(ys, xs, indexing="ij"), axis=-1).reshape(-1, 2)


def _many(**specs):
    """``{name: (variables, intermediates)}`` for ``name=(model, x)``, every init from ``KEY``, in one compile."""
    def f(key):
        out = {}
        for name, (model, x) in specs.items():
            v = model.init(key, x)
            out[name] = (v, model.apply(v, x, capture_intermediates=True)[1]["intermediates"])
        return out
    return _jit(f)(KEY)


def _np(tree):
    return jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), tree)


def _check_torch_default(p, fan_ins, what, first=0):
    """Dense layers ``first, first+1, …``: ``W, b ~ U(±1/√fan_in)`` (PyTorch's nn.Linear default)."""
    for i, fan_in in enumerate(fan_ins, start=first):
        check_uniform(p[f"layers_{i}"]["kernel"], 1 / math.sqrt(fan_in), f"{what} layers_{i} kernel")
        check_uniform(p[f"layers_{i}"]["bias"], 1 / math.sqrt(fan_in), f"{what} layers_{i} bias")


def _check_siren_init(p, d, width, depth, omega0, what):
    """SIREN: first kernel U(±1/d), later kernels (output included) U(±√(6/n)/ω0), biases U(±1/√fan_in)."""
    check_uniform(p["layers_0"]["kernel"], 1 / d, f"{what} first kernel")
    check_uniform(p["layers_0"]["bias"], 1 / math.sqrt(d), f"{what} first bias")
    for i in range(1, depth + 1):
        check_uniform(p[f"layers_{i}"]["kernel"], math.sqrt(6 / width) / omega0, f"{what} layers_{i} kernel")
        check_uniform(p[f"layers_{i}"]["bias"], 1 / math.sqrt(width), f"{what} layers_{i} bias")


def _check_layers(inter, params, x, fn, layers):
    """The model's hidden outputs equal ``fn(hW + b)`` computed in float64 from its own parameters."""
    h = np.asarray(x, np.float64)
    for i in layers:
        h = fn(h @ params[f"layers_{i}"]["kernel"] + params[f"layers_{i}"]["bias"])
        np.testing.assert_allclose(inter[f"layers_{i}"]["__call__"][0], h, atol=2e-5, err_msg=f"layers_{i}")


# ---------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------

Z = np.concatenate([np.linspace(-3, 3, 601), [0.0, 1e-8, -1e-8, 1e-4, -3e-3, 0.0331, 1e3, -1e3, 12345.67]])


def test_activations_match_float64_references():
    z = jnp.asarray(Z, jnp.float32)
    z64 = np.asarray(z, np.float64)
    beta, omegas, betas = 8.0, (1.0, 30.0), (1.0, 4.0)
    fns = {"gauss": activations.gauss, "hosc": activations.hosc, "sinc": activations.sinc}
    assert set(fns) <= set(activations.ACTIVATIONS)

    def all_values(zz):
        out = {f"{k}{w}": f(zz, w) for k, f in fns.items() for w in omegas}
        # traced hyper-parameters (vmapped sweeps): β as a vmapped array
        out["hosc-vmapped-beta"] = jax.vmap(lambda b: activations.hosc(zz, 30.0, beta=b))(jnp.asarray(betas))
        return out

    out = _jit(all_values)(z)
    for omega in omegas:
        wz32 = np.asarray(np.float32(omega) * np.asarray(z), np.float64)   # ω·z as float32 computes it
        np.testing.assert_allclose(out[f"gauss{omega}"], np.exp(-(omega * z64) ** 2), rtol=1e-5, atol=1e-7)
        # |d tanh(β s)/ds| ≤ β: the sine's 1.5e-7 absolute error becomes ≤ 1.2e-6
        np.testing.assert_allclose(out[f"hosc{omega}"], np.tanh(beta * np.sin(wz32)), rtol=0, atol=2e-6)
        # normalised sinc, exactly 1 at 0; the 1/(πωz) envelope keeps the absolute error tiny at large |z|
        np.testing.assert_allclose(out[f"sinc{omega}"], np.sinc(omega * z64), rtol=1e-5, atol=1e-6)
        assert np.all(np.asarray(out[f"sinc{omega}"])[z64 == 0] == 1.0)
    wz32 = np.asarray(np.float32(30.0) * np.asarray(z), np.float64)
    for i, b in enumerate(betas):
        np.testing.assert_allclose(out["hosc-vmapped-beta"][i], np.tanh(b * np.sin(wz32)), atol=1e-6)


def test_sinc_derivatives_are_finite_and_exact_at_zero():
    omega = 2.5
    f = functools.partial(activations.sinc, omega=omega)
    z = jnp.asarray(np.concatenate([[0.0], np.linspace(-2, 2, 401)]), jnp.float32)
    edge = jnp.asarray([0.0999, 0.1, 0.1001], jnp.float32) / (math.pi * omega)   # the Taylor branch's edge
    d1, d2, at_edge = _jit(lambda zz, e: (jax.vmap(jax.grad(f))(zz), jax.vmap(jax.grad(jax.grad(f)))(zz), f(e)))(
        z, edge)
    d1, d2 = np.asarray(d1, np.float64), np.asarray(d2, np.float64)
    assert np.all(np.isfinite(d1)) and np.all(np.isfinite(d2))
    assert d1[0] == 0.0
    np.testing.assert_allclose(d2[0], -(math.pi * omega) ** 2 / 3, rtol=1e-5)
    # away from 0: d/dz sinc(ωz) = πω (u cos u − sin u)/u², u = πωz
    z64 = np.asarray(z, np.float64)
    nz = z64 != 0
    u = math.pi * omega * z64[nz]
    np.testing.assert_allclose(d1[nz], math.pi * omega * (u * np.cos(u) - np.sin(u)) / u ** 2,
                               atol=2e-5 * math.pi * omega)
    # the Taylor branch (|u| < 0.1) and the division meet continuously
    np.testing.assert_allclose(at_edge, np.sinc(omega * np.asarray(edge, np.float64)), rtol=1e-6)


# ---------------------------------------------------------------------------
# Gauss
# ---------------------------------------------------------------------------


def test_gauss_init_is_torch_default_and_forward_is_exp():
    width, depth = 256, 2
    model = Gauss(out_features=3, width=width, depth=depth)
    assert model.layers[0].omega == GAUSS_SCALE == 30.0
    small, xs = Gauss(out_features=1, width=16, depth=2, scale=3.0), _grid(5)
    got = _many(big=(model, _grid(2)), small=(small, xs))
    _check_torch_default(_np(got["big"][0]["params"]), (2, width, width), "Gauss")
    # each hidden layer is exp(−(s·(hW + b))²), s = the scale
    v, inter = got["small"]
    _check_layers(inter, _np(v["params"]), xs, lambda t: np.exp(-(3.0 * t) ** 2), range(2))
    with pytest.raises(ValueError):
        Gauss(scale=0.0)


# ---------------------------------------------------------------------------
# HOSC and sinc (SIREN init, our choice)
# ---------------------------------------------------------------------------


def test_hosc_and_sinc_init_is_siren_and_forward_matches():
    width, depth, omega0 = 256, 2, 30.0
    xs = _grid(5)
    got = _many(hosc=(Hosc(out_features=3, width=width, depth=depth, omega0=omega0, beta=8.0), _grid(2)),
                sinc=(Sinc(out_features=3, width=width, depth=depth, omega0=omega0), _grid(2)),
                hosc_small=(Hosc(out_features=1, width=16, depth=2, omega0=5.0, beta=3.0), xs),
                sinc_small=(Sinc(out_features=1, width=16, depth=2, omega0=5.0), xs))
    for name in ("hosc", "sinc"):
        _check_siren_init(_np(got[name][0]["params"]), 2, width, depth, omega0, name)
    # forward against numpy, with non-default ω0 and β
    refs = {"hosc": lambda t: np.tanh(3.0 * np.sin(5.0 * t)), "sinc": lambda t: np.sinc(5.0 * t)}
    for name, ref in refs.items():
        v, inter = got[f"{name}_small"]
        _check_layers(inter, _np(v["params"]), xs, ref, range(2))
    for bad in (lambda: Hosc(omega0=-1.0), lambda: Sinc(omega0=0.0), lambda: Hosc(beta=0.0)):
        with pytest.raises(ValueError):
            bad()


# ---------------------------------------------------------------------------
# SIREN-RFF
# ---------------------------------------------------------------------------


def test_siren_rff_features_and_init():
    """SIREN² ``RFF``/``SIREN_RFF``: B ~ N(0, 30²) frozen in 'constants', [cos xB, sin xB] without 2π,
    first kernel U(±1/in_dim) (the coordinate dimension, not the fan-in 2m), later U(±√(6/n)/ω0)."""
    width, omega0 = 256, 30.0
    model = SirenRff(out_features=1, width=width, depth=3)
    assert model.layers[0].num_features == width // 2 and model.layers[0].sigma == 30.0
    assert model.layers[1].omega == 3000.0 and model.layers[2].omega == 30.0
    two = SirenRff(out_features=3, width=8, depth=1, num_features=2048, in_features=2)
    small = SirenRff(out_features=1, width=8, depth=1, first_omega0=2.0, sigma=3.0)
    xs = jnp.linspace(-1, 1, 16)[:, None]
    got = _many(big=(model, jnp.linspace(-1, 1, 8)[:, None]), two=(two, _grid(2)), small=(small, xs))

    v = _np(got["big"][0])
    assert set(v) == {"params", "constants"} and "layers_0" not in v["params"]
    assert v["constants"]["layers_0"]["B"].shape == (1, width // 2)
    p = v["params"]
    check_uniform(p["layers_1"]["kernel"], 1.0, "RFF first kernel (in_dim 1)")   # 1/fan_in would be 1/256
    check_uniform(p["layers_1"]["bias"], 1 / math.sqrt(width), "RFF first bias (fan-in 2m)")
    for i in (2, 3, 4):
        check_uniform(p[f"layers_{i}"]["kernel"], math.sqrt(6 / width) / omega0, f"RFF layers_{i} kernel")
        check_uniform(p[f"layers_{i}"]["bias"], 1 / math.sqrt(width), f"RFF layers_{i} bias")

    # 2-D coordinates: first bound 1/2; B's 2·2048 draws against N(0, 30²) (KS at ≈0.1 %, std within 4 SE)
    v2 = _np(got["two"][0])
    b = v2["constants"]["layers_0"]["B"]
    assert b.shape == (2, 2048)
    assert ks(b / 30.0, "norm") < 1.95 / math.sqrt(b.size)
    assert abs(b.std() / 30.0 - 1) < 4 * math.sqrt(2 / (4 * b.size))
    check_uniform(v2["params"]["layers_1"]["kernel"], 0.5, "RFF first kernel (in_dim 2)")

    # forward: γ(x) = [cos xB, sin xB], then sin(ω_first(γW + b)); a small ω_first keeps float32 exact
    vs, inter = got["small"]
    q = _np(vs)
    proj = np.asarray(xs, np.float64) @ q["constants"]["layers_0"]["B"]
    gamma = np.concatenate([np.cos(proj), np.sin(proj)], axis=-1)
    np.testing.assert_allclose(inter["layers_0"]["__call__"][0], gamma, atol=1e-6)
    _check_layers(inter, q["params"], gamma, lambda t: np.sin(2.0 * t), (1,))

    with pytest.raises(ValueError, match="in_features"):
        SirenRff(width=8, depth=1).init(KEY, _grid(2))          # built for 1-D, given 2-D coordinates


# ---------------------------------------------------------------------------
# ReLU + NeRF positional encoding
# ---------------------------------------------------------------------------


def _wire_posenc(coords, n, base=np.pi):
    """vishwa91/wire modules/relu.py PosEncoding.forward, written out: x, then per octave i, per axis j: sin, cos."""
    out = [coords]
    for i in range(n):
        for j in range(coords.shape[-1]):
            c = coords[:, j:j + 1]
            out += [np.sin(2 ** i * base * c), np.cos(2 ** i * base * c)]
    return np.concatenate(out, axis=-1)


def test_nerf_num_frequencies_rule():
    # ⌊log2(n/4)⌋ for 1-D and 2-D (min side), 10 for 3-D, 4 otherwise (WIRE/SIREN² PosEncoding)
    assert nerf_num_frequencies(2, 512) == 7
    assert nerf_num_frequencies(2, (256, 512)) == 6
    assert nerf_num_frequencies(2, 170) == 5            # WIRE's denoising: sidelength = max(H, W)/3
    assert nerf_num_frequencies(1, 512) == 7            # SIREN²'s audio: sidelength 512 whatever the length
    assert nerf_num_frequencies(1, 64) == 4
    assert nerf_num_frequencies(3, 64) == 10
    assert nerf_num_frequencies(4, 512) == 4
    assert nerf_num_frequencies(2, 2) == 0              # the official rule breaks below 4 samples
    for n in (8, 16, 100, 512, 1000, 4096):
        assert 2 ** nerf_num_frequencies(2, n) <= n / 4 < 2 ** (nerf_num_frequencies(2, n) + 1)


def test_relu_pe_encoding_init_and_forward():
    width = 256
    x1, x2, x3 = jnp.linspace(-1, 1, 9)[:, None], _grid(4, 5), jnp.zeros((2, 3))
    got = _many(pe=(ReluPe(out_features=3, width=width, depth=2, sidelength=64), x2),        # L = 4
                default2=(ReluPe(width=4, depth=1), x2), default3=(ReluPe(width=4, depth=1), x3),
                finer=(NerfPositionalEncoding(**FINER_PEMLP), x1))
    v, inter = got["pe"]
    enc = inter["layers_0"]["__call__"][0]
    np.testing.assert_allclose(enc, _wire_posenc(np.asarray(x2, np.float64), 4), atol=2e-6)
    p = _np(v["params"])
    assert p["layers_1"]["kernel"].shape == (2 * (2 * 4 + 1), width)
    _check_torch_default(p, (18, width, width), "ReLU+PE", first=1)
    _check_layers(inter, p, enc, lambda t: np.maximum(t, 0.0), (1,))
    # defaults: sidelength 512 → 7 octaves in 2-D; 10 in 3-D
    assert got["default2"][0]["params"]["layers_1"]["kernel"].shape == (2 * 15, 4)
    assert got["default3"][0]["params"]["layers_1"]["kernel"].shape == (3 * 21, 4)
    # FINER's PEMLP: f_k = 2^k (no π), 10 octaves
    np.testing.assert_allclose(got["finer"][1]["__call__"][0], _wire_posenc(np.asarray(x1, np.float64), 10, base=1.0),
                               atol=2e-6)
    with pytest.raises(ValueError):
        ReluPe(num_frequencies=-1)


def test_fourier_features_default_keeps_two_pi():
    x = jnp.linspace(-1, 1, 5)[:, None]
    v, inter = _many(ff=(FourierFeatures(num_features=4, sigma=2.0), x))["ff"]
    proj = 2 * np.pi * np.asarray(x, np.float64) @ np.asarray(v["constants"]["B"], np.float64)
    np.testing.assert_allclose(inter["__call__"][0], np.concatenate([np.cos(proj), np.sin(proj)], -1), atol=1e-5)


# ---------------------------------------------------------------------------
# vmapped init over seeds, and a tiny fit that learns (one compile per model)
# ---------------------------------------------------------------------------

# 64 samples of a two-tone signal on [−1, 1]; 4 seeds (a vmapped init) each trained 300 full-batch Adam
# steps (plain optax, constant rate).  Authors' defaults and learning rates where they have them: Gauss
# s = 30 at FINER's run_gauss.sh 5e-3; SIREN-RFF σ = 30, ω_first = 3000 at SIREN²'s 1e-4; ReLU+PE at
# FINER's run_pemlp.sh 1e-3; HOSC and sinc (ω0 = 30) at 1e-3.  Over PRNGKey(0..2) every model's MSE fell
# at least 165× (SIREN-RFF; sinc ≥ 590×, the others ≥ 1e4×), so FIT_FACTOR = 50 is a wide margin; a broken
# init or activation stays within a few ×.
FIT = {  # model, learning rate
    "gauss": (lambda: Gauss(out_features=1, width=32, depth=2), 5e-3),
    "hosc": (lambda: Hosc(out_features=1, width=32, depth=2), 1e-3),
    "sinc": (lambda: Sinc(out_features=1, width=32, depth=2), 1e-3),
    "siren-rff": (lambda: SirenRff(out_features=1, width=32, depth=2), 1e-4),
    "relu-pe": (lambda: ReluPe(out_features=1, width=32, depth=2, sidelength=64), 1e-3),
}
FIT_SEEDS, FIT_STEPS, FIT_FACTOR = 4, 300, 50.0


@pytest.mark.parametrize("name", sorted(FIT))
def test_vmapped_seeds_differ_and_each_learns(name):
    build, lr = FIT[name]
    model, opt = build(), optax.adam(lr)
    x = jnp.linspace(-1, 1, 64)[:, None]
    y = 0.5 * jnp.sin(2 * jnp.pi * x) + 0.3 * jnp.cos(5 * jnp.pi * x + 1.0)

    def fit(variables):
        rest = {k: v for k, v in variables.items() if k != "params"}      # SIREN-RFF's frozen B

        def loss_fn(prm):
            return jnp.mean((model.apply({"params": prm, **rest}, x) - y) ** 2)

        def step(carry, _):
            prm, state = carry
            loss, grads = jax.value_and_grad(loss_fn)(prm)
            updates, state = opt.update(grads, state, prm)
            return (optax.apply_updates(prm, updates), state), loss

        prm = variables["params"]
        (prm, _), losses = jax.lax.scan(step, (prm, opt.init(prm)), None, length=FIT_STEPS)
        return losses[0], loss_fn(prm)

    def run(keys):
        variables = jax.vmap(model.init, in_axes=(0, None))(keys, x)
        return variables, jax.vmap(fit)(variables)

    variables, (first, last) = _jit(run)(jax.random.split(KEY, FIT_SEEDS))

    n = FIT_SEEDS
    leaves = [(jax.tree_util.keystr(path), leaf) for path, leaf in jax.tree_util.tree_leaves_with_path(variables)
              if getattr(path[-1], "key", None) in ("kernel", "B")]
    assert leaves
    for path, leaf in leaves:
        flat = np.asarray(leaf).reshape(n, -1)
        for i in range(n):
            for j in range(i + 1, n):
                assert np.all(flat[i] != flat[j]), f"{name}: {path} members {i},{j} share entries"
    first, last = np.asarray(first, np.float64), np.asarray(last, np.float64)
    assert len(set(first.tolist())) == n                        # the members start from different functions
    assert np.all(np.isfinite(last))
    assert np.all(last < first / FIT_FACTOR), f"{name}: MSE {first} → {last}, not {FIT_FACTOR}× lower"


def test_hyper_parameters_may_be_traced():
    """Sweeps vmap over scale/ω0/β/σ/base: the presets build from tracers (no Python branching on them),
    and each vmapped member equals the same model built from that member's value alone."""
    x = jnp.linspace(-1, 1, 8)[:, None]

    def outputs(hp):
        # Gauss's scale and sinc's ω0 are SineLayer's ω like SIREN's; these three add new traced paths
        models = {"hosc": Hosc(1, 8, 2, omega0=hp, beta=hp / 3),
                  "siren-rff": SirenRff(1, 8, 2, sigma=hp / 10, omega0=hp, first_omega0=hp),
                  "relu-pe": ReluPe(1, 8, 2, sidelength=64, base_frequency=hp / 10)}
        return {k: m.apply(m.init(KEY, x), x) for k, m in models.items()}

    hps = jnp.asarray([10.0, 30.0])   # small enough that float32 rounding (vmapped vs not) stays < 1e-5
    swept, alone = _jit(jax.vmap(outputs))(hps), [_jit(outputs)(h) for h in hps]
    for i in range(len(hps)):
        for k in swept:
            np.testing.assert_allclose(swept[k][i], alone[i][k], rtol=1e-5, atol=1e-5, err_msg=k)
    assert not np.allclose(swept["hosc"][0], swept["hosc"][1])


def test_defaults_are_the_documented_ones():
    assert (BASELINE_WIDTH, BASELINE_DEPTH) == (256, 4)
    for build in (Gauss, Hosc, Sinc, ReluPe, SirenRff):
        hidden = [layer for layer in build().layers if getattr(layer, "omega", None) is not None]
        assert len(hidden) == 4 and all(layer.features == 256 for layer in hidden)
    assert Hosc().layers[0].activation.keywords == {"beta": 8.0}
    assert Sinc().layers[0].omega == 30.0 and Hosc().layers[0].omega == 30.0
