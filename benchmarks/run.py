"""spectral_inr performance benchmark (issue "Performance").

Usage (from the repository root)::

    python -m benchmarks.run            # full: 64², 128², 256×384 pixels; K = 1, 4, 16
    python -m benchmarks.run --quick    # tiny sizes, a smoke test (seconds)
    python -m benchmarks.run --no-torch --out /tmp/bench

Writes ``<out>/bench-<device>.json`` and ``.md`` (``bench-<device>-quick.*`` with
``--quick``); ``<device>`` is ``cpu`` or ``gpu-<kind>`` (e.g. ``gpu-h100``).

What is measured (all in one process; see ``docs/performance.md``):

1. **Train step** -- forward + backward + Adam update, full batch, MSE -- of SIREN
   3×256 and the TUNER Kodak net (416 integer frequencies, one hidden layer of 416,
   ``tuner_bounds`` chained after Adam) at several pixel counts, for this library
   (jit'd step, parameters and optimizer state donated, ``block_until_ready``)
   with ``jnp.sin`` (``SPECTRAL_INR_SINE=xla``) and with the fast sine, and for a
   PyTorch eager reference of the same network, initial parameters, optimizer and
   batch.  Cases of one (model, size) are timed round-robin after warm-up and the
   median is reported (interleaving biases all cases alike on a loaded machine).
2. **Achieved FLOP/s**: matmul FLOPs of the step over its time, divided by the
   rate of a 2048² float32 ``jnp`` matmul measured in the same process at the
   start and at the end of the run (the roofline fraction).
3. **Variants** of the SIREN step at the largest size (ω0 fused into the weights,
   no donation, ``jax.default_matmul_precision("highest")``, XLA:CPU compiler
   options, the engine's ``Fitter.step``) and a **profile attribution** (sine vs
   matmul vs other) from ``jax.profiler`` + the optimised HLO.
4. **Sweep**: a K-seed ``sweep`` (one vmapped program) vs K sequential ``fit``
   calls of a small audio-like 1-D SIREN -- warm (compile excluded; compile time
   is reported separately).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import re
import statistics
import sys
import time
import traceback
from typing import Any, Callable, Optional

import numpy as np

import jax
import jax.numpy as jnp
import optax

from spectral_inr import models, ops, optim, train

from benchmarks import hlo_profile
from experiments.common import cpu_model

LR = 1e-4
FULL_SIZES = ((64, 64), (128, 128), (256, 384))
QUICK_SIZES = ((16, 16),)

# XLA:CPU compiler options tried as variants (passed per compilation, so one process can compare them).
CPU_COMPILER_VARIANTS = {
    "xla: YNNPACK fusions off (Eigen dots)": {"xla_cpu_experimental_ynn_fusion_type": ""},
    "xla: multi_thread_eigen=false": {"xla_cpu_multi_thread_eigen": False},
    "xla: prefer_vector_width=512": {"xla_cpu_prefer_vector_width": 512},
}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')} cpu {time.process_time():.1f}s] {msg}", file=sys.stderr, flush=True)


def device_name() -> str:
    backend = jax.default_backend()
    if backend == "cpu":
        return "cpu"
    kind = jax.devices()[0].device_kind
    m = re.search(r"\b([A-Z]{1,2}\d{2,4}[A-Za-z]?)\b", kind)
    short = (m.group(1) if m else re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")).lower()
    return f"{'gpu' if backend in ('gpu', 'cuda', 'rocm') else backend}-{short}"


def _loadavg():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import version  # noqa: PLC0415

        return version(name)
    except Exception:
        return "?"


def torch_available() -> bool:
    try:
        import torch  # noqa: F401, PLC0415
    except Exception:
        return False
    return True


def environment(use_torch: bool) -> dict:
    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "jax": jax.__version__,
        "jaxlib": getattr(__import__("jaxlib"), "__version__", "?"),
        "spectral_inr": _dist_version("spectral_inr"),
        "numpy": np.__version__,
        "optax": optax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "device_kind": jax.devices()[0].device_kind,
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "jax_enable_x64": bool(jax.config.jax_enable_x64),
        "sine_impl_setting_at_start": ops.get_sine_impl(),
        "thread_env": {k: os.environ.get(k) for k in (
            "XLA_FLAGS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
            "TF_NUM_INTRAOP_THREADS", "SPECTRAL_INR_SINE")},
        "xla_cpu_threads": "XLA:CPU default: one intra-op pool sized to the visible cores",
    }
    try:
        import flax  # noqa: PLC0415

        env["flax"] = flax.__version__
    except Exception:  # pragma: no cover
        env["flax"] = None
    if use_torch:
        from benchmarks import torch_reference  # noqa: PLC0415

        env.update(torch_reference.versions())
    else:
        env["torch"] = None
    return env


def image_batch(h: int, w: int):
    """Pixel coordinates in [-1, 1]² (N, 2) and a smooth synthetic RGB target (N, 3)."""
    ys, xs = np.meshgrid(np.linspace(-1, 1, h, dtype=np.float32), np.linspace(-1, 1, w, dtype=np.float32),
                         indexing="ij")
    coords = np.stack([ys, xs], -1).reshape(-1, 2)
    r = 0.5 + 0.5 * np.sin(7 * xs + 3 * ys) * np.cos(5 * ys)
    g = 0.5 + 0.5 * np.cos(11 * xs * ys + 1.0)
    b = 0.5 + 0.25 * (np.sin(23 * xs) + np.sin(17 * ys))
    target = np.stack([r, g, b], -1).reshape(-1, 3).astype(np.float32)
    return coords, target


def audio_batch(n: int):
    """A 1-D audio-like signal on [-1, 1]: a few partials and a chirp."""
    t = np.linspace(-1, 1, n, dtype=np.float64)
    y = (0.5 * np.sin(2 * np.pi * 110 * t) + 0.25 * np.sin(2 * np.pi * 370 * t + 0.3)
         + 0.2 * np.sin(2 * np.pi * (50 * t + 300 * t * t)))
    return t[:, None].astype(np.float32), (y / np.abs(y).max())[:, None].astype(np.float32)


# ---------------------------------------------------------------------------
# FLOP counting
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Dense:
    fan_in: int
    fan_out: int
    weight_grad: bool = True   # dL/dW is computed (trainable weight)
    input_grad: bool = True    # dL/dx is computed (something before it is trainable)


def matmul_flops(n: int, layers) -> dict:
    """Matmul FLOPs of one train step: forward 2·N·in·out per layer; backward one
    such product for dW (trainable weights) and one for dx (if needed)."""
    fwd = sum(2 * n * l.fan_in * l.fan_out for l in layers)
    bwd = sum(2 * n * l.fan_in * l.fan_out * (int(l.weight_grad) + int(l.input_grad)) for l in layers)
    return {"forward": fwd, "backward": bwd, "total": fwd + bwd, "approx_3x_forward": 3 * fwd}


def siren_layers(width=256, depth=3, in_features=2, out_features=3):
    dims = [in_features] + [width] * depth + [out_features]
    return [Dense(a, b, True, i > 0) for i, (a, b) in enumerate(zip(dims[:-1], dims[1:]))]


def tuner_layers(n_freq=416, width=416, depth=1, in_features=2, out_features=3):
    layers = [Dense(in_features, n_freq, weight_grad=False, input_grad=False)]  # frozen Ω, phases only
    dims = [n_freq] + [width] * depth + [out_features]
    layers += [Dense(a, b, True, True) for a, b in zip(dims[:-1], dims[1:])]
    return layers


# ---------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------


class Case:
    """One timed thing: ``step()`` performs one blocking train step and returns the loss."""

    name: str
    framework: str
    sine: str
    variant: str
    compile_s: Optional[float] = None
    hlo_text: Optional[str] = None
    cost: Optional[dict] = None

    def step(self):  # pragma: no cover - interface
        raise NotImplementedError


class JaxCase(Case):
    def __init__(self, name, sine, variant, step_fn, params, opt_state, x, y, *, donate=True, options=None,
                 precision=None, pass_extra=None):
        self.name, self.framework, self.sine, self.variant = name, "jax", sine, variant
        self.x, self.y = x, y
        self.extra = pass_extra  # extra (non-donated) argument placed after the state, e.g. engine hp
        jitted = jax.jit(step_fn, donate_argnums=(0, 1) if donate else ())
        t0 = time.perf_counter()
        with ops.sine_impl(sine), jax.default_matmul_precision(precision or "default"):
            args = (params, opt_state, x, y) if pass_extra is None else (params, opt_state, pass_extra, x, y)
            lowered = jitted.lower(*args)
        self.compiled = lowered.compile(compiler_options=options or None)
        self.compile_s = time.perf_counter() - t0
        self.hlo_text = self.compiled.as_text()
        ca = self.compiled.cost_analysis()
        ca = ca[0] if isinstance(ca, (list, tuple)) else ca
        self.cost = {k: float(ca[k]) for k in ("flops", "transcendentals", "bytes accessed") if k in ca}
        self.p = jax.tree_util.tree_map(lambda a: jnp.array(a, copy=True), params)
        self.s = jax.tree_util.tree_map(lambda a: jnp.array(a, copy=True), opt_state)

    def step(self):
        if self.extra is None:
            self.p, self.s, loss = self.compiled(self.p, self.s, self.x, self.y)
        else:
            self.p, self.s, loss = self.compiled(self.p, self.s, self.extra, self.x, self.y)
        jax.block_until_ready((self.p, self.s, loss))
        return loss


class TorchCase(Case):
    def __init__(self, name, torch_step):
        self.name, self.framework, self.sine, self.variant = name, "torch", "torch.sin", "base"
        self._step = torch_step

    def step(self):
        return self._step()


def time_round_robin(cases, warmup: int, repeats: int) -> dict[str, dict]:
    """Warm up each case, then time ``repeats`` rounds, each running every case once."""
    out = {c.name: {"wall": [], "cpu": [], "warmup_losses": []} for c in cases}
    for c in cases:
        for _ in range(warmup):
            out[c.name]["warmup_losses"].append(float(c.step()))
    for _ in range(repeats):
        for c in cases:
            w0, c0 = time.perf_counter(), time.process_time()
            c.step()
            out[c.name]["wall"].append(time.perf_counter() - w0)
            out[c.name]["cpu"].append(time.process_time() - c0)
    return out


def matmul_rate(n: int, repeats: int, use_torch: bool = False) -> dict:
    """Rate of an n×n float32 ``jnp`` matmul (and, for context, torch's, interleaved)."""
    a = jax.random.normal(jax.random.PRNGKey(1), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.PRNGKey(2), (n, n), jnp.float32)
    f = jax.jit(lambda a, b: a @ b)
    f(a, b).block_until_ready()
    tmm = None
    if use_torch:
        import torch  # noqa: PLC0415

        ta, tb = torch.from_numpy(np.array(a)), torch.from_numpy(np.array(b))
        tmm = lambda: ta @ tb  # noqa: E731
        tmm()
    times, ttimes = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f(a, b).block_until_ready()
        times.append(time.perf_counter() - t0)
        if tmm is not None:
            t0 = time.perf_counter()
            tmm()
            ttimes.append(time.perf_counter() - t0)
    out = {"n": n, "times_s": times, "median_s": statistics.median(times),
           "gflops": 2 * n ** 3 / statistics.median(times) / 1e9,
           "best_gflops": 2 * n ** 3 / min(times) / 1e9}
    if ttimes:
        out["torch_times_s"] = ttimes
        out["torch_gflops"] = 2 * n ** 3 / statistics.median(ttimes) / 1e9
    return out


# ---------------------------------------------------------------------------
# step builders
# ---------------------------------------------------------------------------


def flax_step(model, tx):
    """A fresh (never traced) step function for a flax model and an optax transformation."""

    def loss_fn(params, x, y):
        return jnp.mean(jnp.square(model.apply({"params": params}, x) - y))

    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


def _dense_small_in(x, w):
    """``x @ w`` for a tiny fan-in K as K broadcast multiply-adds: XLA fuses them into
    the consumer (the sine), so the (N, width) pre-activation is never written, and
    dW becomes a reduction instead of a K-row GEMM."""
    z = x[:, 0:1] * w[0]
    for k in range(1, x.shape[1]):
        z = z + x[:, k:k + 1] * w[k]
    return z


@jax.custom_vjp
def _dense_small_out(h, w):
    """``h @ w`` for a tiny fan-out M (the output layer).  Same forward; the input
    gradient ``g @ wᵀ`` (a K=M GEMM writing an (N, width) array) is computed as M
    broadcast multiply-adds that XLA fuses into the next backward sine loop."""
    return h @ w


def _dense_small_out_fwd(h, w):
    return h @ w, (h, w)


def _dense_small_out_bwd(res, g):
    h, w = res
    dh = g[:, 0:1] * w[:, 0]
    for m in range(1, g.shape[1]):
        dh = dh + g[:, m:m + 1] * w[:, m]
    dw = jax.lax.dot_general(h, g, (((0,), (0,)), ((), ())))
    return dh, dw


_dense_small_out.defvjp(_dense_small_out_fwd, _dense_small_out_bwd)


def plain_siren_step(omegas, fused: bool, tx, small_k: bool = False):
    """SIREN in plain JAX.  ``fused=True`` expects parameters ``(ω0·W, ω0·b)`` and
    computes ``sin(x(ω0W) + ω0b)`` -- no separate ω0 multiply (forward or backward).
    ``small_k=True`` rewrites the 2-input first layer and the 3-output last layer as
    broadcast multiply-adds (see ``_dense_small_in`` / ``_dense_small_out``)."""
    last = len(omegas) - 1

    def apply(params, x):
        h = x
        for i, ((w, b), om) in enumerate(zip(params, omegas)):
            if small_k and i == 0 and w.shape[0] <= 4:
                z = _dense_small_in(h, w) + b
            elif small_k and i == last and w.shape[1] <= 4:
                z = _dense_small_out(h, w) + b
            else:
                z = h @ w + b
            h = z if om is None else ops.sin(z if fused else om * z)
        return h

    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(lambda p: jnp.mean(jnp.square(apply(p, x) - y)))(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


def siren_plain_params(params, omegas, fused):
    names = sorted(params, key=lambda s: int(s.split("_")[-1]))
    out = []
    for name, om in zip(names, omegas):
        w, b = params[name]["kernel"], params[name]["bias"]
        if fused and om is not None:
            w, b = w * om, b * om
        out.append((w, b))
    return out


class FnCase(Case):
    """A compiled function of fixed arguments (the isolated components)."""

    def __init__(self, name, fn, args, sine="-", flop=None):
        self.name, self.framework, self.sine, self.variant = name, "jax", sine, "component"
        self.args = args
        t0 = time.perf_counter()
        with ops.sine_impl(sine if sine in ops.SINE_IMPLS else ops.get_sine_impl()):
            self.compiled = jax.jit(fn).lower(*args).compile()
        self.compile_s = time.perf_counter() - t0
        self.flop = flop

    def step(self):
        jax.block_until_ready(self.compiled(*self.args))
        return 0.0


def _normal(key, shape):
    return jax.random.normal(key, shape, jnp.float32)


def matmul_component(n: int, layers) -> FnCase:
    """Exactly the matmuls of one train step (forward, dX, dW), same shapes, nothing else."""
    keys = iter(jax.random.split(jax.random.PRNGKey(7), 3 * len(layers)))
    hs = [_normal(next(keys), (n, l.fan_in)) for l in layers]
    ws = [_normal(next(keys), (l.fan_in, l.fan_out)) * 0.05 for l in layers]
    gs = [_normal(next(keys), (n, l.fan_out)) for l in layers]

    def f(hs, ws, gs):
        out = []
        for l, h, w, g in zip(layers, hs, ws, gs):
            out.append(h @ w)
            if l.input_grad:
                out.append(g @ w.T)
            if l.weight_grad:
                out.append(jax.lax.dot_general(h, g, (((0,), (0,)), ((), ()))))
        return out

    return FnCase("component: matmuls only", f, (hs, ws, gs), flop=matmul_flops(n, layers)["total"])


def sine_component(n: int, widths, omega: float, impl: str) -> FnCase:
    """The step's sine work: forward ``sin(ω(z+b))`` and backward ``ω·cos(ω(z+b))·g`` per
    hidden layer, from separate inputs so that XLA cannot share one pass between them
    (in the step a matmul sits between the two)."""
    keys = iter(jax.random.split(jax.random.PRNGKey(8), 4 * len(widths)))
    zf = [_normal(next(keys), (n, w)) for w in widths]
    zb = [_normal(next(keys), (n, w)) for w in widths]
    bs = [_normal(next(keys), (w,)) for w in widths]
    gs = [_normal(next(keys), (n, w)) for w in widths]

    def f(zf, zb, bs, gs):
        fwd = [ops.sin(omega * (z + b)) for z, b in zip(zf, bs)]
        bwd = [omega * ops.cos(omega * (z + b)) * g for z, b, g in zip(zb, bs, gs)]
        return fwd, bwd

    return FnCase(f"component: sine fwd+bwd only ({impl})", f, (zf, zb, bs, gs), sine=impl)


def _hlo_key(text: str) -> str:
    """The instructions of an HLO module without metadata (source locations differ
    between otherwise equal programs), without the module header (donation) and
    without ``operand_precision`` (ignored by float32 dots on XLA:CPU)."""
    keep = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "ROOT", "ENTRY", "}")):
            line = re.sub(r",\s*(metadata|backend_config)=\{.*?\}(?=,|$)", "", line)
            keep.append(re.sub(r",\s*operand_precision=\{[^}]*\}", "", line))
    return "\n".join(keep)


def engine_step(fitter):
    def step(state, _unused, hp, x, y):
        new_state, metrics = fitter.step(state, hp, x, y)
        return new_state, _unused, metrics["loss"]

    return step


# ---------------------------------------------------------------------------
# the measurements
# ---------------------------------------------------------------------------


def build_model(kind: str):
    if kind == "siren":
        model = models.Siren(out_features=3, width=256, depth=3)
        return model, optax.adam(LR), siren_layers(), None
    model = models.Tuner(out_features=3)
    groups = models.tuner_bound_groups(model)
    tx = optax.chain(optax.adam(LR), optim.tuner_bounds(groups))
    enc = model.layers[0]
    return model, tx, tuner_layers(len(enc.frequencies), model.layers[1].features), groups


def torch_case_for(kind, model, params, groups, coords, target):
    from benchmarks import torch_reference as tr  # noqa: PLC0415

    if kind == "siren":
        omegas = [l.omega for l in model.layers]
        net = tr.make_siren(params, omegas)
        return TorchCase("torch", tr.TorchStep(net, coords, target, LR))
    enc = model.layers[0]
    hidden = model.layers[1]
    net = tr.make_tuner(params, enc.frequencies, enc.period, hidden.omega)
    clamp = tr.tuner_clamp(net, groups, omega_g=hidden.omega)
    return TorchCase("torch", tr.TorchStep(net, coords, target, LR, clamp=clamp))


def variant_cases(model, params, x, y, quick=False):
    """Extra SIREN cases at the variant size (each builds its own compiled step).

    ``quick`` keeps only no-donation, ω0-fused and the engine step (a smoke test of the code paths)."""
    cases = []
    tx = optax.adam(LR)
    opt0 = tx.init(params)
    base = dict(params=params, opt_state=opt0, x=x, y=y)

    def add(name, make):
        try:
            cases.append(make())
        except Exception as exc:  # a flag unknown to this jaxlib, etc.: report, don't die
            log(f"variant {name!r} skipped: {type(exc).__name__}: {exc}")
            skipped.append({"variant": name, "error": f"{type(exc).__name__}: {exc}"[:300]})

    skipped: list = []
    add("no donation", lambda: JaxCase("jax fast, no donation", "fast", "no donation",
                                       flax_step(model, tx), donate=False, **base))
    if not quick:
        add("matmul precision highest", lambda: JaxCase(
            "jax fast, matmul precision=highest", "fast", "jax.default_matmul_precision('highest')",
            flax_step(model, tx), precision="highest", **base))
    omegas = [l.omega for l in model.layers]
    plain = [(True, False, "plain JAX, ω0 fused into W,b")]
    if not quick:
        plain = ([(False, False, "plain JAX, ω0·z (control)")] + plain
                 + [(False, True, "plain JAX, small-K first/last layer as broadcast FMA")])
    for fused, small_k, label in plain:
        p = siren_plain_params(params, omegas, fused)
        add(label, lambda p=p, fused=fused, small_k=small_k, label=label: JaxCase(
            f"jax fast, {label}", "fast", label, plain_siren_step(omegas, fused, tx, small_k), p, tx.init(p),
            x, y))
    if jax.default_backend() == "cpu":
        for label, opts in ([] if quick else CPU_COMPILER_VARIANTS.items()):
            add(label, lambda label=label, opts=opts: JaxCase(
                f"jax fast, {label}", "fast", label, flax_step(model, tx), options=opts, **base))
    # the engine's Fitter.step (best-params / divergence bookkeeping, inject_hyperparams Adam)
    fitter = train.Fitter(model_fn=lambda hp: model)
    hp = {"lr": jnp.float32(LR)}

    def make_engine():
        # the state Fitter.init would build, around the same initial parameters (built
        # directly: an eager Fitter.init costs seconds of op-by-op compilation)
        key = jax.random.key_data(jax.random.PRNGKey(0))
        state = train.TrainState(
            params=params, model_state={}, opt_state=fitter.optimizer_fn(hp).init(params),
            step=jnp.zeros((), jnp.int32), key=key, data_key=key, best_params=params,
            best_loss=jnp.asarray(jnp.inf, jnp.float32), best_step=jnp.zeros((), jnp.int32),
            diverged=jnp.zeros((), bool), diverged_step=jnp.full((), -1, jnp.int32))
        return JaxCase("jax fast, engine Fitter.step", "fast", "engine Fitter.step", engine_step(fitter),
                       state, jnp.zeros(()), x, y, pass_extra=hp)

    add("engine Fitter.step", make_engine)
    return cases, skipped


def bench_steps(args, use_torch: bool, rate_gflops_ref: Callable[[], float]) -> dict:
    rows, ratios, variants, skipped_all, checks, profiles = [], [], [], [], [], {}
    comp_rows, isolated = [], {}
    sizes = args.sizes
    variant_size = sizes[-1]
    for kind in args.models:
        model, tx, layers, groups = build_model(kind)
        # parameters do not depend on the batch size: one (jit'd -- eager init is slow) init per model
        params = jax.jit(model.init)(jax.random.PRNGKey(0), jnp.zeros((1, 2), jnp.float32))["params"]
        opt0 = jax.jit(tx.init)(params)
        for (h, w) in sizes:
            n = h * w
            coords, target = image_batch(h, w)
            x, y = jnp.asarray(coords), jnp.asarray(target)
            log(f"{kind} {h}x{w}: compiling")
            cases = [
                JaxCase("jax fast", "fast", "base", flax_step(model, tx), params, opt0, x, y),
                JaxCase("jax xla-sin", "xla", "base", flax_step(model, tx), params, opt0, x, y),
            ]
            for c in cases:  # the sine switch is read at trace time: check each compiled program
                has_sine = bool(re.search(r"\b(sine|cosine)\(", c.hlo_text))
                c.cost["hlo_has_xla_sine_op"] = has_sine
                if has_sine != (c.sine == "xla"):
                    raise RuntimeError(f"{c.name}: sine implementation not applied (HLO sine ops: {has_sine})")
                c.cost["hlo_has_f64"] = "f64[" in c.hlo_text
            if use_torch:
                cases.append(torch_case_for(kind, model, params, groups, coords, target))
            skipped = []
            components = []
            if kind == "siren" and (h, w) == variant_size and not args.no_variants:
                extra, skipped = variant_cases(model, params, x, y, quick=args.quick)
                cases += extra
                skipped_all += [{"model": kind, "pixels": n, **s} for s in skipped]
                hidden = [l for l in model.layers if l.omega is not None]
                components = [matmul_component(n, layers)] + [
                    sine_component(n, [l.features for l in hidden], float(hidden[0].omega), impl)
                    for impl in (("fast",) if args.quick else ("fast", "xla"))]
            log(f"{kind} {h}x{w}: timing {len(cases)} cases x {args.repeats} rounds")
            timed = time_round_robin(cases + components, args.warmup, args.repeats)
            flops = matmul_flops(n, layers)
            by_name = {}
            base_hlo = _hlo_key(cases[0].hlo_text)
            for c in components:
                t = timed[c.name]
                comp_rows.append({"model": kind, "pixels": n, "component": c.name,
                                  "median_ms": statistics.median(t["wall"]) * 1e3, "min_ms": min(t["wall"]) * 1e3,
                                  "times_ms": [v * 1e3 for v in t["wall"]], "compile_s": c.compile_s,
                                  "gflop": c.flop / 1e9 if c.flop else None,
                                  "gflops": c.flop / statistics.median(t["wall"]) / 1e9 if c.flop else None})
            for c in cases:
                t = timed[c.name]
                med = statistics.median(t["wall"])
                rate = rate_gflops_ref()
                achieved = flops["total"] / med / 1e9
                row = {
                    "model": kind, "height": h, "width": w, "pixels": n, "case": c.name,
                    "framework": c.framework, "sine": c.sine, "variant": c.variant,
                    "median_ms": med * 1e3, "min_ms": min(t["wall"]) * 1e3,
                    "times_ms": [v * 1e3 for v in t["wall"]],
                    "process_cpu_ms_median": statistics.median(t["cpu"]) * 1e3,
                    "warmup_losses": t["warmup_losses"],
                    "compile_s": c.compile_s, "cost_analysis": c.cost,
                    "hlo_identical_to_jax_fast": (_hlo_key(c.hlo_text) == base_hlo) if c.hlo_text else None,
                    "matmul_gflop": flops["total"] / 1e9,
                    "achieved_matmul_gflops": achieved,
                    "roofline_fraction": achieved / rate if rate else None,
                }
                rows.append(row)
                by_name[c.name] = row
            # equivalence check: same network and data -> same first losses
            ref = by_name["jax xla-sin"]["warmup_losses"]
            for other in ("jax fast", "torch"):
                if other in by_name and ref and by_name[other]["warmup_losses"]:
                    a, b = np.asarray(ref[:2]), np.asarray(by_name[other]["warmup_losses"][:2])
                    k = min(len(a), len(b))
                    checks.append({"model": kind, "pixels": n, "a": "jax xla-sin", "b": other,
                                   "losses_a": a[:k].tolist(), "losses_b": b[:k].tolist(),
                                   "max_rel_diff": float(np.max(np.abs(a[:k] - b[:k]) / np.abs(a[:k])))})
            if "torch" in by_name:
                for jc in ("jax fast", "jax xla-sin"):
                    ratios.append({"model": kind, "pixels": n, "height": h, "width": w, "jax_case": jc,
                                   "jax_ms": by_name[jc]["median_ms"], "torch_ms": by_name["torch"]["median_ms"],
                                   "ratio_jax_over_torch": by_name[jc]["median_ms"] / by_name["torch"]["median_ms"]})
            if (h, w) == variant_size and kind == "siren":
                base_ms = by_name["jax fast"]["median_ms"]
                base_min = by_name["jax fast"]["min_ms"]
                for c in cases:
                    r = by_name[c.name]
                    variants.append({"model": kind, "pixels": n, "case": c.name, "variant": c.variant,
                                     "sine": c.sine, "median_ms": r["median_ms"], "min_ms": r["min_ms"],
                                     "process_cpu_ms": r["process_cpu_ms_median"],
                                     "relative_to_jax_fast": r["median_ms"] / base_ms,
                                     "relative_to_jax_fast_min": r["min_ms"] / base_min,
                                     "hlo_identical_to_jax_fast": r["hlo_identical_to_jax_fast"]})
                comp = {r["component"]: r["median_ms"] for r in comp_rows if r["pixels"] == n and r["model"] == kind}
                mm_ms = comp.get("component: matmuls only")
                for case_name, impl in (("jax fast", "fast"), ("jax xla-sin", "xla")):
                    sine_ms = comp.get(f"component: sine fwd+bwd only ({impl})")
                    if mm_ms is None or sine_ms is None:
                        continue
                    step_ms = by_name[case_name]["median_ms"]
                    isolated[f"{kind} {h}x{w} {case_name}"] = {
                        "step_ms": step_ms, "matmul_ms": mm_ms, "sine_ms": sine_ms,
                        "rest_ms": step_ms - mm_ms - sine_ms,
                        "share": {"matmul": mm_ms / step_ms, "sine": sine_ms / step_ms,
                                  "rest": (step_ms - mm_ms - sine_ms) / step_ms}}
                if not args.no_profile:
                    for c in cases[:1 if args.quick else 2]:
                        log(f"profiling {kind} {h}x{w} {c.name}")
                        try:
                            prof = hlo_profile.attribute(c.compiled, c.step, args.profile_repeats)
                            prof["step_median_ms"] = by_name[c.name]["median_ms"]
                            prof["cost_analysis"] = c.cost
                            profiles[f"{kind} {h}x{w} {c.name}"] = prof
                        except Exception as exc:
                            log(f"profile failed: {exc}")
                            profiles[f"{kind} {h}x{w} {c.name}"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            del cases, components
    return {"rows": rows, "ratios": ratios, "variants": variants, "variants_skipped": skipped_all,
            "equivalence_checks": checks, "components": comp_rows, "attribution_isolated": isolated,
            "profile": profiles}


def bench_sweep(args) -> dict:
    """K-seed vmapped sweep vs K sequential fits (warm: compile excluded, reported apart)."""
    n, width, steps, ks = args.sweep_samples, args.sweep_width, args.sweep_steps, args.sweep_k
    t, y = audio_batch(n)
    # One Fitter (and model_fn) for all calls, so fit/sweep reuse their compiled programs.
    model = models.Siren(out_features=1, width=width, depth=3, first_omega0=3000.0)
    fitter = train.Fitter(model_fn=lambda hp: model)
    kw = dict(chunk=steps, progress=False, mesh=None)
    hp = {"lr": LR}

    log(f"sweep: {len(ks)} K values, {n} samples, width {width}, {steps} steps")
    t0 = time.perf_counter()
    first = train.fit(fitter, t, y, hp, steps, seed=0, **kw)
    fit_first_s = time.perf_counter() - t0
    kmax = max(ks)
    fit_walls, fit_final = [], []
    for i in range(kmax):
        t0 = time.perf_counter()
        r = train.fit(fitter, t, y, hp, steps, seed=i, **kw)
        fit_walls.append(time.perf_counter() - t0)
        fit_final.append(float(r.history["loss"][0, -1]))
    del first
    results = []
    for k in ks:
        members = train.grid(seeds=k, lr=[LR])
        t0 = time.perf_counter()
        train.sweep(fitter, t, y, members, steps, **kw)
        sweep_first_s = time.perf_counter() - t0
        walls = []
        res = None
        for _ in range(args.sweep_repeats):
            t0 = time.perf_counter()
            res = train.sweep(fitter, t, y, members, steps, **kw)
            walls.append(time.perf_counter() - t0)
        sweep_s = statistics.median(walls)
        seq_s = sum(fit_walls[:k])
        final = res.history["loss"][:, -1].astype(float)
        results.append({
            "K": k,
            "sweep_wall_s": sweep_s, "sweep_walls_s": walls,
            "sequential_wall_s": seq_s, "sequential_fit_walls_s": fit_walls[:k],
            "ratio_sweep_over_sequential": sweep_s / seq_s,
            "sweep_first_call_s": sweep_first_s,
            # K=1 is the very program fit() compiled above, so its first call is already warm
            "sweep_compile_s_estimate": None if k == 1 else sweep_first_s - sweep_s,
            "member_steps_per_s_sweep": k * steps / sweep_s,
            "member_steps_per_s_sequential": k * steps / seq_s,
            "final_loss_max_abs_diff_vs_fit": float(np.max(np.abs(final - np.asarray(fit_final[:k])))),
        })
        log(f"sweep K={k}: sweep {sweep_s:.3f}s vs sequential {seq_s:.3f}s")
    return {
        "config": {"model": f"Siren(out_features=1, width={width}, depth=3, first_omega0=3000)",
                   "samples": n, "steps": steps, "lr": LR, "chunk": steps,
                   "sine": ops.resolved_sine_impl(),
                   "timing": "warm: every program was compiled by a previous identical call; walls are "
                             "end-to-end fit()/sweep() calls (init, scan, host transfer), compile excluded. "
                             "Sequential wall for K = sum of the first K of max(K) warm fit() calls "
                             "(seeds 0..K-1)."},
        "fit_first_call_s": fit_first_s,
        "fit_compile_s_estimate": fit_first_s - statistics.median(fit_walls),
        "results": results,
    }


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def targets(report) -> dict:
    out = {}
    steps = report.get("train_step") or {}
    ratios = [r for r in steps.get("ratios", []) if r["jax_case"] == "jax fast"]
    if ratios:
        largest = max(r["pixels"] for r in ratios)
        vals = {r["model"]: r["ratio_jax_over_torch"] for r in ratios if r["pixels"] == largest}
        out["jax_step_le_0.5x_torch"] = {"pixels": largest, "ratios": vals, "target": 0.5,
                                         "reached": {m: v <= 0.5 for m, v in vals.items()}}
    rows = [r for r in steps.get("rows", []) if r["case"] == "jax fast"]
    if rows:
        largest = max(r["pixels"] for r in rows)
        vals = {r["model"]: r["roofline_fraction"] for r in rows if r["pixels"] == largest}
        out["roofline_ge_0.5"] = {"pixels": largest, "fractions": vals, "target": 0.5,
                                  "reached": {m: (v is not None and v >= 0.5) for m, v in vals.items()}}
    sw = report.get("sweep") or {}
    res = {r["K"]: r for r in sw.get("results", [])}
    if res:
        k = 16 if 16 in res else max(res)
        out[f"sweep{k}_le_0.25x_sequential"] = {"K": k, "ratio": res[k]["ratio_sweep_over_sequential"],
                                                "target": 0.25,
                                                "reached": res[k]["ratio_sweep_over_sequential"] <= 0.25}
    return out


def _fmt(v, nd=1):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def markdown(report) -> str:
    env = report["environment"]
    lines = [f"# spectral_inr benchmark — {report['device']} ({report['mode']})", "",
             f"Taken {report['timestamp']}; jax {env['jax']}, torch {env.get('torch') or 'not installed'}, "
             f"{env['cpu_model']} ({env['cpu_count']} CPUs), load average at start/end "
             f"{report.get('loadavg_start')} / {report.get('loadavg_end')}.", ""]
    if report.get("notes"):
        lines += [f"> {n}" for n in report["notes"]] + [""]
    mm = report.get("matmul_rate", {})
    if mm:
        torch_mm = f"; torch {mm['torch_gflops']:.1f} GFLOP/s" if mm.get("torch_gflops") else ""
        lines += [f"Reference matmul ({mm['n']}² fp32, jnp): {mm['gflops']:.1f} GFLOP/s "
                  f"(median of start+end samples; start {mm['start']['gflops']:.1f}, end {mm['end']['gflops']:.1f})"
                  f"{torch_mm}.", ""]
    steps = report.get("train_step")
    if steps:
        lines += ["## Train step (forward + backward + Adam, full batch, median ms)", "",
                  "| model | pixels | jax fast | jax xla-sin | torch | fast/torch | xla/torch | "
                  "matmul GFLOP | fast GFLOP/s | roofline |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        by = {(r["model"], r["pixels"], r["case"]): r for r in steps["rows"]}
        keys = sorted({(r["model"], r["pixels"]) for r in steps["rows"]})
        for m, n in keys:
            f, x, t = by.get((m, n, "jax fast")), by.get((m, n, "jax xla-sin")), by.get((m, n, "torch"))
            lines.append("| " + " | ".join([
                m, str(n), _fmt(f and f["median_ms"]), _fmt(x and x["median_ms"]), _fmt(t and t["median_ms"]),
                _fmt(f and t and f["median_ms"] / t["median_ms"], 2),
                _fmt(x and t and x["median_ms"] / t["median_ms"], 2),
                _fmt(f and f["matmul_gflop"], 2), _fmt(f and f["achieved_matmul_gflops"]),
                _fmt(f and f["roofline_fraction"], 2)]) + " |")
        lines.append("")
        if steps.get("variants"):
            lines += ["## SIREN variants (largest size)", "",
                      "| case | median ms | min ms | process CPU ms | × jax fast (median) | × jax fast (min) | "
                      "same HLO as jax fast |",
                      "|---|---:|---:|---:|---:|---:|:---:|"]
            for v in steps["variants"]:
                lines.append(f"| {v['case']} | {v['median_ms']:.1f} | {v['min_ms']:.1f} | {v['process_cpu_ms']:.0f} | "
                             f"{v['relative_to_jax_fast']:.2f} | {v['relative_to_jax_fast_min']:.2f} | "
                             f"{_fmt(v['hlo_identical_to_jax_fast'])} |")
            for s in steps.get("variants_skipped", []):
                lines.append(f"| {s['variant']} (skipped: {s['error'][:60]}) | – | – | – | – | – | – |")
            lines.append("")
        if steps.get("components"):
            lines += ["## Isolated components (same shapes as the step, timed in the same rounds)", "",
                      "| component | median ms | min ms | GFLOP/s |", "|---|---:|---:|---:|"]
            for c in steps["components"]:
                lines.append(f"| {c['component']} ({c['pixels']} px) | {c['median_ms']:.1f} | {c['min_ms']:.1f} | "
                             f"{_fmt(c['gflops'])} |")
            lines += ["", "| step | step ms | matmuls | sine | rest (reduce, Adam, loss, overhead) |",
                      "|---|---:|---:|---:|---:|"]
            for name, a in steps.get("attribution_isolated", {}).items():
                sh = a["share"]
                lines.append(f"| {name} | {a['step_ms']:.1f} | {a['matmul_ms']:.1f} ({100 * sh['matmul']:.0f}%) | "
                             f"{a['sine_ms']:.1f} ({100 * sh['sine']:.0f}%) | "
                             f"{a['rest_ms']:.1f} ({100 * sh['rest']:.0f}%) |")
            lines.append("")
        if steps.get("profile"):
            lines += ["## Profile attribution (jax.profiler events × optimised-HLO classes)", "",
                      "Async Eigen dots (the weight gradients) are not timed by their events; their work "
                      "shows up as `unattributed` or inflates overlapping thunks.", "",
                      "| program | profiled step ms | attributed ms | matmul | sine (+fused elementwise) | reduce | "
                      "other | unattributed |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|"]
            for name, p in steps["profile"].items():
                if "error" in p:
                    lines.append(f"| {name} | error: {p['error'][:80]} | | | | | | |")
                    continue
                ms, sh = p["ms_per_step"], p["share"]
                cell = lambda c: f"{ms[c]:.1f} ({100 * sh[c]:.0f}%)"  # noqa: E731
                lines.append(f"| {name} | {p['profiled_step_ms']:.1f} | {p['attributed_ms_per_step']:.1f} | "
                             f"{cell('matmul')} | {cell('sine')} | {cell('reduce')} | {cell('elementwise/other')} | "
                             f"{_fmt(p['unattributed_ms_per_step'])} |")
            lines.append("")
        if steps.get("equivalence_checks"):
            worst = max(c["max_rel_diff"] for c in steps["equivalence_checks"])
            lines += [f"Equivalence: first two losses of jax xla-sin vs jax fast / torch agree to "
                      f"max relative difference {worst:.2e}.", ""]
    sw = report.get("sweep")
    if sw:
        c = sw["config"]
        lines += ["## K-seed vmapped sweep vs K sequential fits (warm, compile excluded)", "",
                  f"{c['model']}, {c['samples']} samples, {c['steps']} steps, sine={c['sine']}. "
                  f"First fit() call {sw['fit_first_call_s']:.2f} s "
                  f"(compile ≈ {sw['fit_compile_s_estimate']:.2f} s).",
                  "", "| K | sweep s | sequential s | sweep/sequential | sweep first call s (≈ compile) |",
                  "|---:|---:|---:|---:|---:|"]
        for r in sw["results"]:
            lines.append(f"| {r['K']} | {r['sweep_wall_s']:.3f} | {r['sequential_wall_s']:.3f} | "
                         f"{r['ratio_sweep_over_sequential']:.2f} | {r['sweep_first_call_s']:.2f} "
                         f"({_fmt(r['sweep_compile_s_estimate'], 2)}) |")
        lines.append("")
    if report.get("targets"):
        lines += ["## Targets", ""]
        for k, v in report["targets"].items():
            lines.append(f"- `{k}`: " + json.dumps({kk: vv for kk, vv in v.items()}, default=str))
        lines.append("")
    if report.get("errors"):
        lines += ["## Errors", ""] + [f"- {e}" for e in report["errors"]] + [""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def _sizes(text: str):
    out = []
    for part in text.split(","):
        h, _, w = part.strip().lower().partition("x")
        out.append((int(h), int(w or h)))
    return tuple(out)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (smoke test)")
    p.add_argument("--out", default="results", help="output directory (default: results/)")
    p.add_argument("--device-name", default=None, help="override the <device> part of the file name")
    p.add_argument("--sizes", type=_sizes, default=None, help="pixel grids, e.g. 64x64,128x128,256x384")
    p.add_argument("--models", default="siren,tuner")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--matmul-n", type=int, default=None)
    p.add_argument("--sweep-k", default=None, help="comma-separated K values (default 1,4,16)")
    p.add_argument("--sweep-width", type=int, default=None)
    p.add_argument("--sweep-samples", type=int, default=None)
    p.add_argument("--sweep-steps", type=int, default=None)
    p.add_argument("--sweep-repeats", type=int, default=None)
    p.add_argument("--profile-repeats", type=int, default=None)
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch columns")
    p.add_argument("--no-variants", action="store_true")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--no-sweep", action="store_true")
    p.add_argument("--no-steps", action="store_true")
    a = p.parse_args(argv)
    q = a.quick
    a.sizes = a.sizes or (QUICK_SIZES if q else FULL_SIZES)
    a.models = [m.strip() for m in a.models.split(",") if m.strip()]
    for m in a.models:
        if m not in ("siren", "tuner"):
            p.error(f"unknown model {m!r}")
    a.repeats = a.repeats or (3 if q else 7)
    a.warmup = a.warmup or 2
    a.matmul_n = a.matmul_n or (512 if q else 2048)
    a.sweep_k = [int(k) for k in (a.sweep_k or ("1,2" if q else "1,4,16")).split(",")]
    a.sweep_width = a.sweep_width or (16 if q else 128)
    a.sweep_samples = a.sweep_samples or (256 if q else 4096)
    a.sweep_steps = a.sweep_steps or (10 if q else 200)
    a.sweep_repeats = a.sweep_repeats or (1 if q else 3)
    a.profile_repeats = a.profile_repeats or (1 if q else 3)
    return a


def main(argv=None) -> dict:
    args = parse_args(argv)
    use_torch = not args.no_torch and torch_available()
    notes = []
    if not args.no_torch and not use_torch:
        notes.append("PyTorch is not importable: torch columns skipped "
                     "(install a CPU build, e.g. `pip install torch==2.13.0`).")
    dev = args.device_name or device_name()
    suffix = "-quick" if args.quick else ""
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"bench-{dev}{suffix}")
    report: dict[str, Any] = {
        "schema": 1, "mode": "quick" if args.quick else "full", "device": dev,
        "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "loadavg_start": _loadavg(), "environment": environment(use_torch),
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(args).items()},
        "notes": notes, "errors": [],
    }
    report["settings"]["sizes"] = [list(s) for s in args.sizes]
    t_start = time.perf_counter()
    sine_before = ops.get_sine_impl()
    try:
        log(f"matmul reference {args.matmul_n}²")
        torch_mm = use_torch and not args.quick  # context only; skipped in the smoke test
        mm_start = matmul_rate(args.matmul_n, max(3, args.repeats // 2), torch_mm)
        rate = {"gflops": mm_start["gflops"]}
        if not args.no_steps:
            report["train_step"] = bench_steps(args, use_torch, lambda: rate["gflops"])
        mm_end = matmul_rate(args.matmul_n, max(3, args.repeats // 2), torch_mm)
        all_times = mm_start["times_s"] + mm_end["times_s"]
        med = statistics.median(all_times)
        report["matmul_rate"] = {"n": args.matmul_n, "start": mm_start, "end": mm_end, "median_s": med,
                                 "gflops": 2 * args.matmul_n ** 3 / med / 1e9}
        if "torch_times_s" in mm_start:
            tmed = statistics.median(mm_start["torch_times_s"] + mm_end["torch_times_s"])
            report["matmul_rate"]["torch_gflops"] = 2 * args.matmul_n ** 3 / tmed / 1e9
        # roofline fractions against the pooled (start+end) matmul rate
        for row in (report.get("train_step") or {}).get("rows", []):
            row["roofline_fraction"] = row["achieved_matmul_gflops"] / report["matmul_rate"]["gflops"]
        if not args.no_sweep:
            report["sweep"] = bench_sweep(args)
    except Exception as exc:  # keep what was measured; record the failure
        report["errors"].append(f"{type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        ops.set_sine_impl(sine_before)
    report["loadavg_end"] = _loadavg()
    report["total_seconds"] = time.perf_counter() - t_start
    report["process_cpu_seconds"] = time.process_time()
    report["targets"] = targets(report)
    with open(stem + ".json", "w") as f:
        json.dump(report, f, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    with open(stem + ".md", "w") as f:
        f.write(markdown(report))
    log(f"wrote {stem}.json and {stem}.md ({report['total_seconds']:.1f} s)")
    if report["errors"]:
        raise SystemExit(1)
    return report


if __name__ == "__main__":
    main()
