"""Variants of the SIREN step (plain JAX, ω0 fused, small-K layers as FMAs, XLA:CPU options,
the engine step) and its isolated components (matmuls alone, sine work alone)."""
from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import optax

from spectral_inr import ops, train

from benchmarks.timing import FnCase, JaxCase, log
from benchmarks.workloads import LR, engine_step, flax_step, matmul_flops


CPU_COMPILER_VARIANTS = {
    "xla: YNNPACK fusions off (Eigen dots)": {"xla_cpu_experimental_ynn_fusion_type": ""},
    "xla: multi_thread_eigen=false": {"xla_cpu_multi_thread_eigen": False},
    "xla: prefer_vector_width=512": {"xla_cpu_prefer_vector_width": 512},
}


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
