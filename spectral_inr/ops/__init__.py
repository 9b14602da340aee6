"""Low-level numerical ops (fast float32 sine/cosine and the backend-aware selector; derivatives of fields)."""

from spectral_inr.ops import derivatives

from spectral_inr.ops.fast_sine import (
    ENV_VAR,
    FAST_SINE_ACCURATE_RANGE,
    FAST_SINE_MAX_ABS_ERR,
    SINE_IMPLS,
    cos,
    fast_cos,
    fast_sin,
    fast_sincos,
    get_sine_impl,
    reload_sine_impl_from_env,
    resolved_sine_impl,
    set_sine_impl,
    sin,
    sine_impl,
)

__all__ = [
    "ENV_VAR",
    "FAST_SINE_ACCURATE_RANGE",
    "FAST_SINE_MAX_ABS_ERR",
    "SINE_IMPLS",
    "cos",
    "derivatives",
    "fast_cos",
    "fast_sin",
    "fast_sincos",
    "get_sine_impl",
    "reload_sine_impl_from_env",
    "resolved_sine_impl",
    "set_sine_impl",
    "sin",
    "sine_impl",
]
