"""Recipes: a protocol (:mod:`spectral_inr.protocols`) turned into a model, an optimizer and a
:class:`~spectral_inr.train.Fitter` — one module per protocol module:

* :mod:`~spectral_inr.recipes.signal` — the CLI's per-model defaults (``protocols.cli``) for any
  image or audio signal: ``fitter("tuner", signal)``;
* :mod:`~spectral_inr.recipes.shape` — a signed distance or occupancy field from a mesh
  (``protocols.shapes``): ``shape.fitter("siren", "sdf", batch_size=1400)``;
* :mod:`~spectral_inr.recipes.tuner` — TUNER's Kodak protocol (``protocols.tuner``);
* :mod:`~spectral_inr.recipes.siren2` — SIREN²'s audio protocol (``protocols.siren2``);
* :mod:`~spectral_inr.recipes.harmonic` — the Harmonic MLP on MNIST (``protocols.harmonic``);
* :mod:`~spectral_inr.recipes.depth` — the depth study (``protocols.depth``).

The models' learning rate (and any other swept value) is read from the member's ``hp``.
"""
from spectral_inr.recipes import depth, harmonic, shape, siren2, tuner
from spectral_inr.recipes.signal import SIGNAL_MODELS, fitter, model_fn, optimizer_fn, regularizer_fn
from spectral_inr.recipes.tuner import TUNER_PROTOCOL_METHODS, tuner_protocol_fitter

__all__ = ["SIGNAL_MODELS", "fitter", "model_fn", "optimizer_fn", "regularizer_fn", "TUNER_PROTOCOL_METHODS",
           "tuner_protocol_fitter", "depth", "harmonic", "shape", "siren2", "tuner"]
