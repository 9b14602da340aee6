"""Shared tiny problem for the training-engine test scripts (run as subprocesses).

Kept deterministic and tiny (16×16 image, width 16/32) so every script runs in
a few seconds on 2 CPU cores.
"""
from __future__ import annotations

import numpy as np

from spectral_inr import models as M
from spectral_inr.data import coordinate_grid
from spectral_inr.train import Fitter


def smooth_target(size: int = 16):
    """``(N, 2)`` coordinates and a smooth ``(N, 1)`` target on a ``size×size`` grid."""
    coords = coordinate_grid((size, size)).reshape(-1, 2)
    y = np.sin(2.0 * coords[:, :1]) * np.cos(3.0 * coords[:, 1:]) + 0.3 * coords[:, :1] * coords[:, 1:]
    return coords, y.astype(np.float32)


def siren_fitter(width: int = 16, depth: int = 2, **kwargs) -> Fitter:
    """A SIREN fitter whose ω0 is a traced hyper-parameter."""
    return Fitter(lambda hp: M.Siren(out_features=1, width=width, depth=depth, omega0=hp["omega0"],
                                     first_omega0=hp["omega0"]), **kwargs)


# The configuration shared by the resume test and ``fit_until_killed.py``.
RESUME_MEMBERS = [{"lr": 1e-3, "omega0": 20.0, "seed": 0}, {"lr": 3e-4, "omega0": 20.0, "seed": 1}]


def enable_compile_cache(path) -> None:
    """Turn on JAX's persistent compilation cache in ``path`` for this process.

    Every ``sweep``/``fit`` call builds fresh ``jax.jit`` objects, so identical
    programs (same K, chunk and model) are recompiled each call — ~3 s of CPU
    each on a loaded 2-core box.  The persistent cache turns repeats into ~0.3 s
    loads.  A cached executable is the same compiled program, so bitwise
    comparisons are unaffected.  Subprocesses get the same cache through
    :func:`compile_cache_env`.
    """
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc

    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    cc.reset_cache()


def disable_compile_cache(previous: dict) -> None:
    """Restore the config saved by :func:`compile_cache_config`."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc

    for name, value in previous.items():
        jax.config.update(name, value)
    cc.reset_cache()


def compile_cache_config() -> dict:
    import jax

    names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs",
             "jax_persistent_cache_min_entry_size_bytes")
    return {n: getattr(jax.config, n) for n in names}


def compile_cache_env(path) -> dict:
    """Environment variables giving a subprocess the same persistent cache."""
    return {"JAX_COMPILATION_CACHE_DIR": str(path), "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
