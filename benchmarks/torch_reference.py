"""PyTorch reference networks for the benchmark: SIREN and the TUNER forward.

Written from the papers' definitions (Linear + sin layers), with the same shapes as
``spectral_inr.models.Siren`` / ``Tuner``.  Parameters are *copied* from the JAX
model's initial parameters (flax kernels are ``(in, out)``, torch weights
``(out, in)``), so both frameworks train exactly the same network from the same
point; the benchmark checks this by comparing the first losses.

Import is lazy: this module only needs torch when its functions are called.
"""
from __future__ import annotations

import math
import re

import numpy as np


def _torch():
    import torch  # noqa: PLC0415  (optional dependency)

    return torch


def _tensor(a):
    torch = _torch()
    return torch.from_numpy(np.array(a, dtype=np.float32, copy=True))



def _linears(jax_params, names):
    """``nn.Linear`` layers holding the Flax kernels/biases of ``names`` (kernel transposed)."""
    torch = _torch()
    layers = torch.nn.ModuleList()
    for name in names:
        w = np.asarray(jax_params[name]["kernel"])
        lin = torch.nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            lin.weight.copy_(_tensor(w.T))
            lin.bias.copy_(_tensor(jax_params[name]["bias"]))
        layers.append(lin)
    return layers

def make_siren(jax_params, omegas):
    """``nn.Module`` equal to a ``spectral_inr`` SIREN with parameters ``jax_params``.

    ``omegas[i]`` is layer i's ω0 (``None`` = linear output layer).
    """
    torch = _torch()
    nn = torch.nn

    class Siren(nn.Module):
        def __init__(self):
            super().__init__()
            names = sorted(jax_params, key=lambda s: int(s.split("_")[-1]))
            self.linears = _linears(jax_params, names)
            self.omegas = list(omegas)

        def forward(self, x):
            for lin, omega in zip(self.linears, self.omegas):
                x = lin(x)
                if omega is not None:
                    x = torch.sin(omega * x)
            return x

    return Siren()


def make_tuner(jax_params, frequencies, period, omega_g):
    """TUNER forward: ``sin(x Ωᵀ + φ)`` (Ω = 2πk/p frozen), hidden ``sin(ω_G(Wx+b))``, linear out."""
    torch = _torch()
    nn = torch.nn

    class Tuner(nn.Module):
        def __init__(self):
            super().__init__()
            omega = (2.0 * math.pi / period) * np.asarray(frequencies, np.float32)
            self.register_buffer("omega", _tensor(omega))  # (n, d), not trained
            self.phase = nn.Parameter(_tensor(jax_params["layers_0"]["phase"]))
            names = sorted((k for k in jax_params if k != "layers_0"), key=lambda s: int(s.split("_")[-1]))
            self.linears = _linears(jax_params, names)
            self.omega_g = float(omega_g)

        def forward(self, x):
            h = torch.sin(x @ self.omega.T + self.phase)
            for lin in self.linears[:-1]:
                h = torch.sin(self.omega_g * lin(h))
            return self.linears[-1](h)

    return Tuner()


class TorchStep:
    """Full-batch MSE + Adam step; optional TUNER clamp after ``optimizer.step()``.

    ``clamp`` is a list of ``(parameter, bound)`` with ``bound`` broadcastable to the
    parameter; each is projected with ``param.clamp_(-bound, bound)``.

    ``compile=True`` is what a user after speed does: ``torch.compile`` (inductor) of the
    network's forward and backward, and of ``optimizer.step`` (PyTorch's recipe for
    compiled optimizers); the clamp stays eager.
    """

    def __init__(self, model, x, y, lr, clamp=(), compile=False, device="cpu"):
        torch = _torch()
        self.torch = torch
        self.device = device
        model.to(device)   # in place: the clamp pairs keep pointing at the same parameters
        self.x = _tensor(x).to(device)
        self.y = _tensor(y).to(device)
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.clamp = [(p, b.to(device) if hasattr(b, "to") else b) for p, b in clamp]
        self.model = torch.compile(model) if compile else model
        self.opt_step = torch.compile(self.opt.step) if compile else self.opt.step

    def __call__(self) -> float:
        torch = self.torch
        self.opt.zero_grad(set_to_none=True)
        loss = torch.mean((self.model(self.x) - self.y) ** 2)
        loss.backward()
        self.opt_step()
        if self.clamp:
            with torch.no_grad():
                for p, bound in self.clamp:
                    p.clamp_(-bound, bound)
        if self.device != "cpu":
            torch.cuda.synchronize()   # the timer measures finished work, as block_until_ready does for JAX
        return loss.detach()


def tuner_clamp(model, jax_groups, c_low=1.0, c_high=0.6, c_deep=1.0, omega_g=30.0):
    """``(param, bound)`` pairs for :class:`TorchStep` from ``models.tuner_bound_groups``.

    flax kernels are ``(in, out)`` with the group varying along ``in``; torch's
    weight is ``(out, in)``, so the bound is transposed.
    """
    torch = _torch()
    c = np.asarray([c_low, c_high, c_deep], np.float32) / np.float32(omega_g)
    pairs = []
    names = sorted((k for k in jax_groups), key=lambda s: int(s.split("_")[-1]))
    for name in names:
        idx = int(name.split("_")[-1]) - 1  # layers_1 is the first nn.Linear
        g = np.asarray(jax_groups[name]["kernel"])
        bound = c[g]  # (in, 1) or scalar
        bound_t = torch.from_numpy(np.ascontiguousarray(np.atleast_2d(bound).T if bound.ndim else bound))
        pairs.append((model.linears[idx].weight, bound_t))
    return pairs


def device() -> str:
    """``"cuda"`` when JAX runs on a GPU and torch sees one (the peer runs where we do), else ``"cpu"``."""
    import jax  # noqa: PLC0415

    torch = _torch()
    return "cuda" if jax.default_backend() == "gpu" and torch.cuda.is_available() else "cpu"


def versions() -> dict:
    torch = _torch()
    return {
        "torch": torch.__version__,
        "torch_num_threads": torch.get_num_threads(),
        "torch_num_interop_threads": torch.get_num_interop_threads(),
        "torch_mkldnn": bool(torch.backends.mkldnn.is_available()),
        "torch_blas": _blas_info(torch),
    }


def _blas_info(torch) -> str:
    try:
        cfg = torch.__config__.show()
    except Exception:  # pragma: no cover
        return "?"
    m = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
    return m.group(1) if m else "?"
