"""The run environment recorded beside every result (experiments, benchmarks, the CLI's
``metrics.json``): device, versions, the CPU's name and the sine implementation in use."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's name (``/proc/cpuinfo``'s ``model name``; ``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment() -> dict:
    """``device`` (``platform:kind``), ``device_kind``, ``device_count``, ``jax``, ``python``, ``cpus``,
    ``machine``, ``cpu_model`` and ``sine`` (``spectral_inr.ops.resolved_sine_impl()``)."""
    import jax

    from spectral_inr import ops

    dev = jax.devices()[0]
    return {"device": f"{dev.platform}:{dev.device_kind}", "device_kind": dev.device_kind,
            "device_count": jax.device_count(), "jax": jax.__version__, "python": platform.python_version(),
            "cpus": os.cpu_count(), "machine": platform.machine(), "cpu_model": cpu_model(),
            "sine": ops.resolved_sine_impl()}
