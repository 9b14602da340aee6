"""Layer diagnostics: every layer's pre-/post-activations on a grid, their
distributions and their per-neuron spectra.

For a :class:`~spectral_inr.models.SineLayer` ``y = act(z, ω)``, ``z = xW + b``,
the pre-activation is ``u = ω·z`` (so ``y = sin(u)`` for SIREN) and the
post-activation ``y``; for a linear layer (``ω = None``) both are ``z``.  For
TUNER's :class:`~spectral_inr.models.IntegerFrequencyEncoding`,
``u = ⟨ω_j, x⟩ + φ_j`` and ``y = sin(u)``.  Other encodings get ``pre = None``.
"""
from __future__ import annotations

import functools
from typing import Sequence

import jax
import jax.numpy as jnp

from spectral_inr.models.layers import IntegerFrequencyEncoding, SineLayer
from spectral_inr.spectral import distributions as dist
from spectral_inr.spectral.spectra import power_spectrum, radial_profile

__all__ = ["layer_activations", "effective_kernel", "activation_ks", "neuron_power_spectrum",
           "neuron_spectrum_profile", "sum_power_spectrum", "profile_centroid"]


def _layer_variables(variables, i):
    if "params" not in variables:
        variables = {"params": variables}
    name = f"layers_{i}"
    return {k: v[name] for k, v in variables.items() if name in v}


def effective_kernel(layer: SineLayer, layer_variables):
    """The ``W`` a :class:`SineLayer` multiplies by (after TUNER's learned-bound
    reparametrisation ``W = c·tanh(ω·V)/ω`` when the layer has one)."""
    kernel = layer_variables["params"]["kernel"]
    if layer.learned_bound is None:
        return kernel
    probe = layer.clone(activation=lambda z, omega: z, use_bias=False)
    return probe.apply(layer_variables, jnp.eye(kernel.shape[0], dtype=kernel.dtype))


def layer_activations(model, variables, inputs) -> dict:
    """Run a :class:`~spectral_inr.models.SinusoidalMLP` layer by layer.

    ``variables``: the ``init`` output (or its ``params``); ``inputs``: ``(N, d)``.
    Returns ``{"layers_i": {"pre": (N, n_i) or None, "post": (N, n_i)}}`` in
    layer order; the last ``post`` is the model output.  Runs as one jitted
    function (the model is closed over).
    """
    return jax.jit(functools.partial(_layer_activations, model))(variables, inputs)


def _layer_activations(model, variables, inputs):
    x = inputs
    out = {}
    for i, layer in enumerate(model.layers):
        v = _layer_variables(variables, i)
        if isinstance(layer, SineLayer):
            if layer.omega is None:
                pre = layer.apply(v, x)
            else:
                pre = layer.clone(activation=lambda z, omega: omega * z).apply(v, x)
        elif isinstance(layer, IntegerFrequencyEncoding):
            pre = x @ layer.omega(x.dtype).T + v["params"]["phase"]
        else:
            pre = None
        x = layer.apply(v, x)
        out[f"layers_{i}"] = {"pre": pre, "post": x}
    return out


def activation_ks(acts: dict, sigma=None) -> dict:
    """KS distances per layer: ``pre`` vs ``N(0, σ²)`` (σ = the samples' RMS
    unless given) and ``post`` vs arcsine.  Returns ``{"layers_i": {"pre_normal":
    D, "post_arcsine": D}}`` (missing entries for layers without ``pre``)."""
    res = {}
    for name, a in acts.items():
        r = {}
        if a["pre"] is not None:
            r["pre_normal"] = dist.ks_test(a["pre"], "normal", sigma)[0]
        r["post_arcsine"] = dist.ks_test(a["post"], "arcsine")[0]
        res[name] = r
    return res


def neuron_power_spectrum(act, signal_shape: Sequence[int]):
    """Mean over neurons of each neuron's power spectrum.

    ``act``: ``(N, n)`` activations on a grid of ``signal_shape`` (``N = ∏ shape``).
    ``P = (1/n) Σ_i fftshift|FFT(act[:, i])|²`` — one spectrum per neuron, then
    the mean; *not* the spectrum of ``Σ_i act[:, i]``, where neurons of opposite
    phase cancel (see :func:`sum_power_spectrum`).
    """
    shape = tuple(signal_shape)
    a = act.reshape(shape + (act.shape[-1],))
    return power_spectrum(a, ndim=len(shape)) / act.shape[-1]


def sum_power_spectrum(act, signal_shape: Sequence[int]):
    """``fftshift|FFT(Σ_i act[:, i])|² / n`` — the spectrum of the summed
    activations (what :func:`neuron_power_spectrum` is *not*)."""
    shape = tuple(signal_shape)
    return power_spectrum(act.sum(-1).reshape(shape), ndim=len(shape)) / act.shape[-1]


def neuron_spectrum_profile(act, signal_shape: Sequence[int]):
    """Radial profile ``(radii, P(r))`` of :func:`neuron_power_spectrum`."""
    return radial_profile(neuron_power_spectrum(act, signal_shape))


def profile_centroid(profile, radii=None):
    """Spectral centroid ``Σ r P(r) / Σ P(r)`` of a radial profile (in bins).

    For the SIREN² signal centroid use
    :func:`spectral_inr.models.siren2_scales.spectral_centroid`."""
    profile = jnp.asarray(profile)
    r = jnp.arange(profile.shape[0], dtype=profile.dtype) if radii is None else jnp.asarray(radii, profile.dtype)
    return jnp.sum(r * profile) / jnp.sum(profile)
