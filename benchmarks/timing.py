"""Timing and environment, shared by every benchmark: one round-robin timer for step cases,
one ``timed`` helper for whole calls, the matmul reference rate, and what the machine is."""
from __future__ import annotations

import os
import platform
import re
import statistics
import sys
import time
from typing import Any, Callable, Optional

import numpy as np

import jax
import jax.numpy as jnp
import optax

from spectral_inr import ops

from experiments.common import cpu_model


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


class Case:
    """One timed thing: ``step()`` performs one blocking train step and returns the loss."""

    name: str
    framework: str
    sine: str
    variant: str
    compile_s: Optional[float] = None
    hlo_text: Optional[str] = None
    cost: Optional[dict] = None
    losses_before: tuple = ()   # losses of steps taken before the timer (e.g. inductor's compiling call)

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


def time_round_robin(cases, warmup: int, repeats: int) -> dict[str, dict]:
    """Warm up each case, then time ``repeats`` rounds, each running every case once.

    ``warmup_losses[i]`` is every case's loss at step i: a case's ``losses_before`` come first.
    """
    out = {c.name: {"wall": [], "cpu": [], "warmup_losses": [float(v) for v in c.losses_before]} for c in cases}
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


def matmul_case(n: int) -> FnCase:
    """The reference n×n float32 ``jnp`` matmul as a case, timed once in every round beside the steps."""
    a = jax.random.normal(jax.random.PRNGKey(1), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.PRNGKey(2), (n, n), jnp.float32)
    return FnCase(f"reference matmul {n}²", lambda a, b: a @ b, (a, b), flop=2 * n ** 3)


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


def timed(fn: Callable[[], Any]) -> float:
    """Wall seconds of one call of ``fn`` (its result is blocked on, so device work counts)."""
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - t0


def compiled_bytes(compiled) -> int:
    """Bytes XLA allocates for a compiled program: arguments + outputs + temporaries − aliased (0 if unknown)."""
    mem = compiled.memory_analysis()
    if mem is None:
        return 0
    return int(mem.argument_size_in_bytes + mem.output_size_in_bytes + mem.temp_size_in_bytes
               - mem.alias_size_in_bytes)
