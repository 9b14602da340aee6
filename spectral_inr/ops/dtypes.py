"""Dtype helpers shared by the metrics and the spectral toolkit."""
from __future__ import annotations

import jax.numpy as jnp


def as_float(x):
    """``x`` as a JAX array of an inexact dtype of at least float32 precision
    (integers and float16 become float32; float64 and complex stay)."""
    x = jnp.asarray(x)
    return x.astype(jnp.promote_types(x.dtype, jnp.float32))
