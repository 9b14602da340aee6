"""WIRE (spectral_inr.models.wire): the Gabor activation, the official init, complex Adam, a tiny fit.

The reference is vishwa91/wire ``modules/wire.py`` (``ComplexGaborLayer``, ``INR``); the tests
that run PyTorch itself (its ``cfloat`` ``nn.Linear`` init and ``torch.optim.Adam`` on complex
parameters) are skipped when torch is not installed (it is the optional ``bench`` extra).
"""

import functools
import importlib.util
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from spectral_inr.models import Siren
from spectral_inr.models.wire import (WIRE_SETTINGS, Wire, Wire2d, gabor, gabor2d, hidden_width, wire_for)

KEY = jax.random.PRNGKey(0)
HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")

# Tiny graphs compiled once: XLA's backend optimisations cost more than they save (as tests/test_models.py).
_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})


def _grid(n):
    g = jnp.linspace(-1.0, 1.0, n)
    return jnp.stack(jnp.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)


def _params(model, x, key=KEY):
    return _jit(model.init)(key, x)["params"]


def _n_params(model, in_features):
    shapes = jax.eval_shape(model.init, KEY, jnp.zeros((1, in_features)))
    return sum(math.prod(a.shape) for a in jax.tree_util.tree_leaves(shapes["params"]))


def _np_forward(params, x, omega0, s0, first_omega0=None):
    """The official forward in numpy complex128, written from ``modules/wire.py``: real first
    layer, complex hidden layers ``exp(jω0·z − |s0·z|²)``, complex output, real part."""
    h = np.asarray(x, np.float64)
    n = len(params)
    for i in range(n):
        p = {k: np.asarray(v, np.float64) for k, v in params[f"layers_{i}"].items()}
        if "kernel" in p:
            w, b = p["kernel"], p["bias"]
        else:
            w, b = p["kernel_re"] + 1j * p["kernel_im"], p["bias_re"] + 1j * p["bias_im"]
        z = h @ w + b
        om = first_omega0 if (i == 0 and first_omega0 is not None) else omega0
        h = z.real if i == n - 1 else np.exp(1j * om * z - np.abs(s0 * z) ** 2)
    return h


# ---------------------------------------------------------------------------
# activation
# ---------------------------------------------------------------------------

_gabor = _jit(gabor)


def test_gabor_matches_numpy_complex128():
    rng = np.random.default_rng(0)
    z = rng.uniform(-1.5, 1.5, 4000) + 1j * rng.uniform(-0.3, 0.3, 4000)
    r = rng.uniform(-1.5, 1.5, 4000)
    for omega0, s0 in [(20.0, 30.0), (10.0, 10.0), (5.0, 5.0), (30.0, 0.7)]:
        for arg in (z, r):   # complex pre-activations (hidden layers) and real ones (first layer)
            expected = np.exp(1j * omega0 * arg - np.abs(s0 * arg) ** 2)
            with jax.enable_x64(True):   # same precision: equal up to rounding of the exponent
                got = np.asarray(_gabor(jnp.asarray(arg), omega0, s0))
            assert got.dtype == np.complex128
            # relative error ≤ |exponent|·ε₆₄ ≈ 2 025·1.1e-16 (s0 = 30, |z| = 1.5)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)   # atol: XLA flushes subnormals
            # float32 (the models' dtype) on the same rounded inputs: relative error ≤ |exponent|·ε₃₂
            # ≈ (87 + 45)·6e-8 before float32 underflows (e^-87); atol covers the underflow to 0
            a32 = arg.astype(np.complex64 if np.iscomplexobj(arg) else np.float32)
            ref32 = np.exp(1j * omega0 * a32.astype(np.complex128) - np.abs(s0 * a32.astype(np.complex128)) ** 2)
            np.testing.assert_allclose(np.asarray(_gabor(jnp.asarray(a32), omega0, s0)), ref32, rtol=2e-5, atol=1e-35)


def test_gabor2d_matches_numpy_and_gabor_gradient_is_finite_at_zero():
    rng = np.random.default_rng(1)
    z = rng.normal(size=500) * 0.3 + 1j * rng.normal(size=500) * 0.1
    y = rng.normal(size=500) * 0.3 + 1j * rng.normal(size=500) * 0.1
    expected = np.exp(1j * 10.0 * z) * np.exp(-(10.0 ** 2) * (np.abs(z) ** 2 + np.abs(y) ** 2))
    with jax.enable_x64(True):
        np.testing.assert_allclose(np.asarray(_jit(gabor2d)(jnp.asarray(z), jnp.asarray(y), 10.0, 10.0)), expected,
                                   rtol=1e-12, atol=1e-300)
    # Re ψ((1+j)v) = exp(−ω0·v − 2·s0²·v²)·cos(ω0·v): derivative −ω0 at v = 0, finite at z = 0
    g = _jit(jax.grad(lambda v: jnp.real(gabor(jax.lax.complex(v, v), 20.0, 30.0))))(0.0)
    assert float(g) == pytest.approx(-20.0)


# ---------------------------------------------------------------------------
# architecture, forward, parameter counts
# ---------------------------------------------------------------------------


def test_layout_real_leaves_and_real_output():
    model = Wire(out_features=3, width=64, depth=3)
    x = jnp.zeros((4, 5, 2))
    variables = jax.eval_shape(model.init, KEY, x)
    p = variables["params"]
    h = hidden_width(64, "sqrt2")
    assert h == int(64 / np.sqrt(2)) == 45
    assert set(p["layers_0"]) == {"kernel", "bias"} and p["layers_0"]["kernel"].shape == (2, h)
    for name in ("layers_1", "layers_2"):
        assert set(p[name]) == {"kernel_re", "kernel_im", "bias_re", "bias_im"}
        assert p[name]["kernel_re"].shape == (h, h)
    assert p["layers_3"]["kernel_re"].shape == (h, 3) and "layers_4" not in p
    for leaf in jax.tree_util.tree_leaves(p):   # no complex leaves: every optax/orbax tool sees reals
        assert leaf.dtype == jnp.float32
    out = jax.eval_shape(model.apply, variables, x)
    assert out.shape == (4, 5, 3) and out.dtype == jnp.float32


@pytest.mark.parametrize("in_features,out_features,width,depth,what", [
    (2, 3, 256, 3, "wire-image: 2 hidden × 256"),
    (2, 3, 256, 4, "finer-image: 3 hidden × 256"),
    (2, 3, 256, 5, "siren2-image: n_HLs 5 × 256"),
    (1, 1, 222, 4, "siren2-audio: n_HLs 4 × 222"),
])
def test_sqrt2_width_rule_keeps_siren_parameter_count(in_features, out_features, width, depth, what):
    """Real scalars of WIRE (÷√2, complex weights counted as two) vs SIREN at the same nominal
    width and depth: within 1.5 % — ``int(width/√2)`` truncates by up to one unit, up to 2/h of
    the count (2×256: 133 403 vs 133 123, +0.2 %; 3×222 audio, h = 156: 147 578 vs 149 185, −1.1 %)."""
    wire = _n_params(Wire(out_features, width=width, depth=depth), in_features)
    siren = _n_params(Siren(out_features, width=width, depth=depth), in_features)
    assert abs(wire / siren - 1) < 0.015, (what, wire, siren)
    # without the rule a complex network has about twice the parameters
    full = _n_params(Wire(out_features, width=width, depth=depth, width_rule="none"), in_features)
    assert 1.9 < full / siren < 2.05, (what, full, siren)


def test_wire2d_half_width_keeps_siren_parameter_count():
    """WIRE-2D: two complex maps per layer at width/2 (wire_ct.py's 2 × 300): within 1 %."""
    model = Wire2d(out_features=1, width=300, depth=3)
    p = jax.eval_shape(model.init, KEY, jnp.zeros((1, 2)))["params"]
    assert set(p["layers_1"]) == {"kernel_re", "kernel_im", "bias_re", "bias_im",
                                  "orth_kernel_re", "orth_kernel_im", "orth_bias_re", "orth_bias_im"}
    assert p["layers_1"]["kernel_re"].shape == (150, 150)
    wire, siren = _n_params(model, 2), _n_params(Siren(1, width=300, depth=3), 2)
    assert abs(wire / siren - 1) < 0.01, (wire, siren)
    small = Wire2d(out_features=2, width=16, omega0=10.0, s0=5.0)
    x = _grid(3)
    params, out = _jit(lambda: (lambda v: (v["params"], small.apply(v, x)))(small.init(KEY, x)))()
    assert out.shape == (9, 2) and out.dtype == jnp.float32
    h = np.asarray(x, np.float64)          # modules/wire2d.py: ComplexGaborLayer2D, then complex linear, .real
    for i in range(3):
        q = {k: np.asarray(v, np.float64) for k, v in params[f"layers_{i}"].items()}
        c = (lambda k: q[k]) if i == 0 else (lambda k: q[k + "_re"] + 1j * q[k + "_im"])
        z, y = h @ c("kernel") + c("bias"), h @ c("orth_kernel") + c("orth_bias")
        h = np.exp(1j * 10.0 * z) * np.exp(-25.0 * (np.abs(z) ** 2 + np.abs(y) ** 2))
    q = {k: np.asarray(v, np.float64) for k, v in params["layers_3"].items()}
    expected = (h @ (q["kernel_re"] + 1j * q["kernel_im"]) + q["bias_re"] + 1j * q["bias_im"]).real
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=2e-5)


# ---------------------------------------------------------------------------
# initialisation: PyTorch's nn.Linear default, real and imaginary parts i.i.d.
# ---------------------------------------------------------------------------


def _check_uniform(sample, bound, what):
    """``sample`` ~ U(±bound): inside, reaching near the bound, KS below 1.95/√n (≈ 0.1 % level)."""
    s = np.asarray(sample, np.float64).ravel()
    n = s.size
    assert np.all(np.abs(s) <= bound * (1 + 1e-6)), f"{what}: outside ±{bound}"
    delta = -math.log(1e-6) / n          # P(max|s| < (1−δ)·bound) = (1−δ)^n < 1e-6
    assert np.abs(s).max() >= (1 - delta) * bound, f"{what}: max {np.abs(s).max()} far below {bound}"
    ks = stats.kstest(s, stats.uniform(loc=-bound, scale=2 * bound).cdf, method="asymp").statistic
    assert ks < 1.95 / math.sqrt(n), f"{what}: KS {ks} vs U(±{bound})"


@pytest.fixture(scope="module")
def wide():
    """WIRE 3 × 512 (hidden 362: 131 044 draws per kernel part), initialised once."""
    return _params(Wire(out_features=3, width=512, depth=3), _grid(2))


def test_init_is_torch_linear_default_on_the_real_view(wide):
    """kaiming_uniform_(a=√5) → U(±1/√fan_in); a cfloat tensor's uniform_ fills view_as_real, so
    real and imaginary parts are i.i.d. U(±1/√fan_in); biases U(±1/√fan_in) likewise."""
    p = wide
    h = hidden_width(512, "sqrt2")
    _check_uniform(p["layers_0"]["kernel"], 1 / math.sqrt(2), "first kernel (real, fan_in 2)")
    _check_uniform(p["layers_0"]["bias"], 1 / math.sqrt(2), "first bias")
    for name in ("layers_1", "layers_2", "layers_3"):
        bound = 1 / math.sqrt(h)
        for leaf in ("kernel_re", "kernel_im", "bias_re", "bias_im"):
            _check_uniform(p[name][leaf], bound, f"{name}/{leaf}")
        re, im = (np.asarray(p[name][k], np.float64).ravel() for k in ("kernel_re", "kernel_im"))
        # independent parts: |ρ| < 4/√n (4 σ of an i.i.d. sample correlation)
        assert abs(np.corrcoef(re, im)[0, 1]) < 4 / math.sqrt(re.size), name
    # different layers and parts are different draws
    assert not np.allclose(p["layers_1"]["kernel_re"], p["layers_2"]["kernel_re"])
    assert not np.allclose(p["layers_1"]["kernel_re"], p["layers_1"]["kernel_im"])


@needs_torch
def test_init_matches_torch_cfloat_linear_draws(wide):
    """Two-sample KS of our hidden kernel parts against torch's own ``nn.Linear(…, dtype=cfloat)``."""
    import torch  # noqa: PLC0415

    h = hidden_width(512, "sqrt2")
    torch.manual_seed(0)
    w = torch.nn.Linear(h, h, dtype=torch.cfloat).weight.detach()
    ours = wide["layers_1"]
    for part, theirs in (("kernel_re", w.real), ("kernel_im", w.imag)):
        p_value = stats.ks_2samp(np.asarray(ours[part]).ravel(), theirs.numpy().ravel(), method="asymp").pvalue
        assert p_value > 1e-3, (part, p_value)


def test_vmapped_members_differ_take_traced_hyperparameters_and_follow_the_official_forward():
    """One vmapped sweep over (seed, ω0, s0, first ω0), the model built inside the trace: every
    parameter differs between members, and each member's output is the official composition
    (``_np_forward``, complex128) of its own parameters with its own values."""
    x = _grid(4)
    n = 4
    keys = jax.random.split(KEY, n)
    omegas, scales, firsts = (jnp.array(v) for v in ([5.0, 10.0, 20.0, 10.0], [5.0, 10.0, 30.0, 40.0],
                                                     [5.0, 25.0, 20.0, 10.0]))

    def member(key, om, s0, first):
        m = Wire(out_features=2, width=16, depth=3, omega0=om, s0=s0, first_omega0=first)
        v = m.init(key, x)
        return v["params"], m.apply(v, x)

    params, out = _jit(jax.vmap(member))(keys, omegas, scales, firsts)
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        flat = np.asarray(leaf).reshape(n, -1)
        for i in range(n):
            for j in range(i + 1, n):
                assert np.all(flat[i] != flat[j]), f"{jax.tree_util.keystr(path)}: members {i},{j} share entries"
    for i in range(n):
        p = jax.tree_util.tree_map(lambda a: a[i], params)
        expected = _np_forward(p, x, float(omegas[i]), float(scales[i]), float(firsts[i]))
        np.testing.assert_allclose(out[i], expected, rtol=1e-4, atol=2e-5)
    assert not np.allclose(out[0], out[1])


# ---------------------------------------------------------------------------
# Adam on complex weights
# ---------------------------------------------------------------------------


def _torch_adam_real_view(p, grad_fn, lr, steps, b1=0.9, b2=0.999, eps=1e-8):
    """``torch.optim.Adam`` (``_single_tensor_adam``) on a complex parameter: it runs on
    ``view_as_real(param)`` — each real and imaginary part its own first and second moment,
    ``p ← p − lr·m̂/(√v̂ + ε)``.  ``grad_fn`` returns ``(∂L/∂Re, ∂L/∂Im)``: torch's ``.grad``."""
    p = np.stack([p.real, p.imag], -1).astype(np.float64)
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t in range(1, steps + 1):
        g = grad_fn(p[..., 0] + 1j * p[..., 1])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p[..., 0] + 1j * p[..., 1]


def test_optax_adam_on_real_imaginary_leaves_is_torch_adam_and_on_complex_leaves_is_not():
    target = np.array([0.3 - 1.0j, 2.0 + 0.5j, -0.2 + 0.1j])
    weight = np.array([1.0, 5.0, 0.2])
    z0 = np.array([1.0 + 2.0j, -0.5 + 0.1j, 0.4 - 0.7j])

    def loss_ri(re, im):        # L(Re z, Im z), a real loss of a complex parameter
        return jnp.sum(weight * ((re - target.real) ** 2 + (im - target.imag) ** 2)) + jnp.sum(re ** 3)

    def grad_ri(z):             # torch's .grad of a complex leaf, as a real pair (∂L/∂Re, ∂L/∂Im)
        return np.stack([2 * weight * (z.real - target.real) + 3 * z.real ** 2,
                         2 * weight * (z.imag - target.imag)], -1)

    lr, steps = 0.1, 4
    expected = _torch_adam_real_view(z0, grad_ri, lr, steps)
    if HAS_TORCH:   # the transcription is torch's own Adam on a complex128 parameter
        import torch  # noqa: PLC0415

        zt = torch.nn.Parameter(torch.tensor(z0))
        opt = torch.optim.Adam([zt], lr=lr)
        wt, tt = torch.tensor(weight), torch.tensor(target)
        for _ in range(steps):
            opt.zero_grad()
            (torch.sum(wt * (zt - tt).abs() ** 2) + torch.sum(zt.real ** 3)).backward()
            opt.step()
        np.testing.assert_allclose(zt.detach().numpy(), expected, rtol=0, atol=1e-12)

    # (1) our storage: two real leaves, plain optax.adam (float64: equal to rounding)
    tx = optax.adam(lr)

    @_jit
    def run(params):
        state = tx.init(params)
        for _ in range(steps):
            g = jax.grad(lambda p: loss_ri(p["re"], p["im"]))(params)
            updates, state = tx.update(g, state, params)
            params = optax.apply_updates(params, updates)
        return params

    with jax.enable_x64(True):
        params = run({"re": jnp.asarray(z0.real), "im": jnp.asarray(z0.imag)})
    np.testing.assert_allclose(np.asarray(params["re"]) + 1j * np.asarray(params["im"]), expected, rtol=0, atol=1e-12)

    # (2) one complex leaf, plain optax.adam: JAX's grad is ∂L/∂Re − j·∂L/∂Im (the conjugate)
    @_jit
    def first_step(z):
        g = jax.grad(lambda z: loss_ri(jnp.real(z), jnp.imag(z)))(z)
        updates, _ = tx.update(g, tx.init(z), z)
        return g, optax.apply_updates(z, updates)

    with jax.enable_x64(True):
        g, first = (np.asarray(a) for a in first_step(jnp.asarray(z0)))
    np.testing.assert_allclose(g, grad_ri(z0)[..., 0] - 1j * grad_ri(z0)[..., 1], rtol=1e-12)
    # the imaginary parts move *up* the gradient (torch's first Adam step is −lr·sign(g) per part) …
    assert np.all(np.sign(first.imag - z0.imag) == np.sign(grad_ri(z0)[..., 1]))
    # … and the real parts by lr·|g_re|/|g| (one second moment |g|² for both parts), not by lr
    step_re = np.abs(first.real - z0.real)
    g_re, g_abs = np.abs(grad_ri(z0)[..., 0]), np.hypot(grad_ri(z0)[..., 0], grad_ri(z0)[..., 1])
    np.testing.assert_allclose(step_re, lr * g_re / g_abs, rtol=1e-6)
    assert np.max(np.abs(step_re - lr)) > 0.03


@needs_torch
def test_wire_adam_steps_match_torch_on_complex_parameters():
    """Our WIRE + plain ``optax.adam`` against the same network written in torch with ``cfloat``
    parameters + ``torch.optim.Adam`` (float64 both sides): equal outputs at init and every
    parameter equal after 5 steps."""
    import torch  # noqa: PLC0415

    omega0, s0, lr, steps = 10.0, 10.0, 1e-2, 5
    model = Wire(out_features=3, width=16, depth=3, omega0=omega0, s0=s0)
    rng = np.random.default_rng(5)
    x32 = rng.uniform(-1, 1, (64, 2))
    target = rng.uniform(0, 1, (64, 3))
    shapes = jax.eval_shape(model.init, KEY, jnp.zeros((1, 2)))["params"]    # the official init's bounds,
    p32 = jax.tree_util.tree_map(lambda a: rng.uniform(-1, 1, a.shape) / math.sqrt(16), shapes)   # drawn by numpy

    def torch_leaves(p):
        out = []
        for i in range(len(p)):
            q = {k: torch.tensor(np.asarray(v, np.float64)) for k, v in p[f"layers_{i}"].items()}
            if "kernel" in q:
                out += [q["kernel"], q["bias"]]
            else:
                out += [torch.complex(q["kernel_re"], q["kernel_im"]), torch.complex(q["bias_re"], q["bias_im"])]
        return [torch.nn.Parameter(t) for t in out]

    def torch_forward(leaves, x):   # modules/wire.py: real first layer, cfloat after it, .real at the end
        h = x
        for i in range(0, len(leaves) - 2, 2):
            z = h @ leaves[i] + leaves[i + 1]
            h = torch.exp(1j * omega0 * z - (s0 * z).abs().square())
        return (h @ leaves[-2] + leaves[-1]).real

    leaves = torch_leaves(p32)
    xt, tt = torch.tensor(np.asarray(x32, np.float64)), torch.tensor(target)
    start = torch_forward(leaves, xt).detach().numpy()
    opt = torch.optim.Adam(leaves, lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        ((torch_forward(leaves, xt) - tt) ** 2).mean().backward()
        opt.step()

    tx = optax.adam(lr)

    @_jit
    def run(p, x, y):
        def loss(q):
            return jnp.mean((model.apply({"params": q}, x) - y) ** 2)

        def step(carry, _):
            q, state = carry
            updates, state = tx.update(jax.grad(loss)(q), state, q)
            return (optax.apply_updates(q, updates), state), None

        (p_end, _), _ = jax.lax.scan(step, (p, tx.init(p)), None, steps)
        return model.apply({"params": p}, x), p_end

    with jax.enable_x64(True):
        p64 = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), p32)
        out0, ours = run(p64, jnp.asarray(x32, jnp.float64), jnp.asarray(target))
    np.testing.assert_allclose(np.asarray(out0), start, rtol=1e-10, atol=1e-12)
    for a, b in zip(torch_leaves(ours), leaves):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=1e-10)


# ---------------------------------------------------------------------------
# a tiny fit
# ---------------------------------------------------------------------------


def test_tiny_fit_learns_a_16x16_image():
    """16×16 target (two sinusoids and a step) in [0, 1]; WIRE 3 × 32 (hidden 22) at SIREN²'s
    ω0 = s0 = 10; 300 full-batch Adam steps, lr 5e-3 decayed to 5e-4 (WIRE's 0.1^(t/T)).
    Measured: PSNR 46 dB, loss 0.64 → 2.5e-5.  Asserted: PSNR > 30 dB and a 1000× drop."""
    n = 16
    g = np.linspace(-1, 1, n)
    yy, xx = np.meshgrid(g, g, indexing="ij")
    x = jnp.asarray(np.stack([yy, xx], -1).reshape(-1, 2), jnp.float32)
    image = 0.5 + 0.25 * np.sin(3 * np.pi * xx) * np.cos(2 * np.pi * yy) + 0.2 * ((xx > 0.1) & (yy < 0.3))
    target = jnp.asarray(image.reshape(-1, 1), jnp.float32)
    model = Wire(out_features=1, width=32, depth=3, omega0=10.0, s0=10.0)
    steps = 300
    tx = optax.adam(optax.exponential_decay(5e-3, steps, 0.1, end_value=5e-4))

    def loss(p):
        return jnp.mean((model.apply(p, x) - target) ** 2)

    @_jit
    def fit(key):
        p = model.init(key, x)

        def step(carry, _):
            p, s = carry
            value, grads = jax.value_and_grad(loss)(p)
            updates, s = tx.update(grads, s, p)
            return (optax.apply_updates(p, updates), s), value

        (p, _), history = jax.lax.scan(step, (p, tx.init(p)), None, steps)
        return history[0], loss(p)

    first, last = (float(v) for v in fit(KEY))
    psnr = -10 * math.log10(last)       # peak 1
    assert psnr > 30.0, (first, last, psnr)
    assert last < first / 1000, (first, last)


# ---------------------------------------------------------------------------
# the sources' settings
# ---------------------------------------------------------------------------


def test_settings_build_and_schedules_follow_the_official_formulas():
    for name, s in WIRE_SETTINGS.items():
        model = wire_for(name, out_features=1)
        assert _n_params(model, 2) > 0, name
    # LambdaLR(lambda x: f**min(x/niters, 1)), stepped per epoch
    s = WIRE_SETTINGS["finer-image"]
    sched = s.lr_schedule()
    for e in (0, 1, 1234, 4999, 5000, 7000):
        assert math.isclose(float(sched(e)), 5e-3 * 0.1 ** min(e / 5000, 1), rel_tol=1e-5), e
    # StepLR(step_size=20, gamma=0.998)
    s = WIRE_SETTINGS["siren2-image"]
    sched = s.lr_schedule()
    for e in (0, 19, 20, 399, 400, 3999):
        assert math.isclose(float(sched(e)), 1e-4 * 0.998 ** (e // 20), rel_tol=1e-5), e
    # wire_image_denoise.py: lr × min(1, maxpoints/HW), held over the epoch's minibatches
    s = WIRE_SETTINGS["wire-image"]
    n_points = 4 * 256 * 256
    assert math.isclose(s.initial_lr(n_points), 5e-3 / 4)
    sched = s.lr_schedule(n_points=n_points, steps_per_epoch=4)
    for step in (0, 3, 4, 4001, 8000, 9000):
        assert math.isclose(float(sched(step)), 5e-3 / 4 * 0.1 ** min((step // 4) / 2000, 1), rel_tol=1e-5), step
    assert float(WIRE_SETTINGS["wire-multi-sr"].lr_schedule()(1999)) == pytest.approx(5e-3)
    assert wire_for("wire-ct").layers[0].two_d is True and wire_for("wire-image").layers[0].two_d is False


def test_bad_arguments():
    with pytest.raises(ValueError, match="width_rule"):
        Wire(width_rule="sqrt3")
    with pytest.raises(ValueError, match="no hidden unit"):
        Wire(width=1)
    with pytest.raises(ValueError, match="omega0"):
        Wire(omega0=-1.0)
    with pytest.raises(ValueError, match="s0"):
        Wire(s0=0.0)
    with pytest.raises(ValueError, match="depth"):
        Wire(depth=0)
    with pytest.raises(ValueError, match="unknown WIRE setting"):
        wire_for("wire-nerf")
