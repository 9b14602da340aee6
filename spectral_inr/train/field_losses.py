"""Losses that see the model as a function of its coordinates (``Fitter(field_loss=…)``).

A field loss is ``field_loss(field, x, y, hp, key) -> scalar``: ``field`` maps a batch of
coordinates ``(M, d)`` to the model's outputs ``(M, C)`` (pointwise, see
:mod:`spectral_inr.ops.derivatives`), ``(x, y)`` is the step's minibatch, ``hp`` the member's
hyper-parameters and ``key`` a per-step PRNG key (for points the loss draws itself).  It may
evaluate ``field`` anywhere and differentiate it; value losses ``loss_fn(pred, target)`` stay
what they were (and as fast).

Sources: SIREN (Sitzmann et al. 2020), ``vsitzmann/siren`` ``loss_functions.py``
(``gradients_mse``, ``laplace_mse``, ``sdf``) and ``dataio.py`` (``PointCloud``).
"""
from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from spectral_inr.ops import derivatives


def gradient_mse(field, x, y, hp=None, key=None):
    """``mean_i Σ_j (∂f/∂x_j(x_i) − y_ij)²`` (``loss_functions.gradients_mse``; per channel and
    averaged over channels for a C-channel field): ``y`` is ``(N, d)`` or ``(N, C, d)``."""
    jac = derivatives.jacobian(field, x)                       # (N, C, d)
    return jnp.mean(jnp.sum(jnp.square(jac - y.reshape(jac.shape)), axis=-1))


def laplacian_mse(field, x, y, hp=None, key=None):
    """``mean_{i,c} (Δf_c(x_i) − y_ic)²`` (``loss_functions.laplace_mse``): ``y`` is ``(N, C)``."""
    lap = derivatives.laplacian(field, x)
    return jnp.mean(jnp.square(lap - y.reshape(lap.shape)))


@dataclasses.dataclass(frozen=True)
class SdfLoss:
    """SIREN's signed-distance loss from an oriented point cloud (``loss_functions.sdf``).

    ``x``: on-surface points ``(B, 3)`` in [−1, 1]³, ``y``: their unit normals.  Each step adds
    ``B`` off-surface points drawn uniformly in [−1, 1]³ (``dataio.PointCloud``: as many as
    on-surface), and over all ``2B`` points (each term a mean over ``2B``, zero where it does not
    apply, as in the reference)::

        L = w_sdf·|f| on the surface + w_inter·exp(−α|f|) off it
            + w_normal·(1 − cos(∇f, n)) on the surface + w_eikonal·| ‖∇f‖ − 1 | everywhere

    with the reference's weights 3e3, 1e2, 1e2, 5e1 and α = 100.
    """

    sdf: float = 3e3
    inter: float = 1e2
    normal: float = 1e2
    eikonal: float = 5e1
    alpha: float = 1e2
    low: float = -1.0
    high: float = 1.0

    def __call__(self, field, x, y, hp=None, key=None):
        b = x.shape[0]
        off = jax.random.uniform(key, x.shape, x.dtype, self.low, self.high)
        points = jnp.concatenate([x, off])
        f = field(points).reshape(2 * b)
        grad = derivatives.gradient(field, points)
        norm = jnp.linalg.norm(grad, axis=-1)
        on_f, off_f, on_g = f[:b], f[b:], grad[:b]
        # torch.nn.functional.cosine_similarity: x·y / max(‖x‖‖y‖, 1e-8)
        cos = jnp.sum(on_g * y, -1) / jnp.maximum(norm[:b] * jnp.linalg.norm(y, axis=-1), 1e-8)
        per_2b = lambda v: jnp.sum(v) / (2 * b)
        return (self.sdf * per_2b(jnp.abs(on_f)) + self.inter * per_2b(jnp.exp(-self.alpha * jnp.abs(off_f)))
                + self.normal * per_2b(1 - cos) + self.eikonal * jnp.mean(jnp.abs(norm - 1)))


def bce_with_logits(pred, target):
    """Binary cross-entropy of logits ``pred`` against labels ``target`` in {0, 1} (a value loss:
    occupancy), ``mean(softplus(z) − y·z)``, stable for every logit."""
    pred = pred.reshape(target.shape)
    return jnp.mean(jax.nn.softplus(pred) - target * pred)
