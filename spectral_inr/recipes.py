"""Model recipes for a signal: the per-method defaults of the papers, as data.

``model_fn(name, signal, …)`` returns ``hp -> module`` for the engine, where
``hp["omega0"]`` (hidden ω0, TUNER's ω_G) may be a traced sweep value.
Defaults that differ between images and audio follow the papers:
SIREN's first ω0 is 30 for images and 3000 for audio; SIREN² keeps 30 and
takes its noise scales from the signal's spectral centroid; TUNER's bandlimit
is ``side // 6`` of the smallest side (or ``n // 6`` samples).
"""
from __future__ import annotations

from typing import Callable, Optional

from spectral_inr import models
from spectral_inr.models import tuner_frequencies
from spectral_inr.signals import Signal

SIGNAL_MODELS = ("siren", "siren2", "finer", "tuner", "ffn")
DEFAULT_LR = {"siren": 1e-4, "siren2": 1e-4, "finer": 1e-4, "tuner": 5e-4, "ffn": 1e-3}
DEFAULT_OMEGA0 = 30.0
AUDIO_FIRST_OMEGA0 = 3000.0   # SIREN audio (Sitzmann et al. 2020; SIREN² baseline)


def model_fn(name: str, signal: Signal, *, width: Optional[int] = None, depth: Optional[int] = None,
             first_omega0: Optional[float] = None, bandlimit: Optional[int] = None,
             learned_bounds: bool = False, noise_scales=None, sigma: float = 10.0) -> Callable:
    """``hp -> flax module`` for model ``name`` fitted to ``signal``."""
    if name not in SIGNAL_MODELS:
        if name in models.MODELS:
            raise ValueError(f"model {name!r} is a classifier, not a signal model; use one of {', '.join(SIGNAL_MODELS)}")
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(SIGNAL_MODELS)}")
    out, audio = signal.channels, signal.kind == "audio"
    for label, v in (("width", width), ("depth", depth), ("bandlimit", bandlimit)):
        if v is not None and v <= 0:
            raise ValueError(f"--{label} must be positive, got {v}")
    if name == "tuner":
        side = min(signal.shape)
        band = bandlimit or tuner_frequencies.default_bandlimit(side)
        n = width or 416
        if band < 2:
            raise ValueError(f"signal too small for TUNER: bandlimit {band} (need ≥ 2)")
        freqs = tuner_frequencies.sampled_frequencies(n, band, max(1, band // 3), dim=len(signal.shape))
        kw = dict(out_features=out, frequencies=freqs, low_limit=max(1, band // 3), width=n, depth=depth or 1,
                  learned_bounds=learned_bounds)
        return lambda hp: models.Tuner(omega_g=hp.get("omega0", DEFAULT_OMEGA0), **kw)
    kw = dict(out_features=out, width=width or 256, depth=depth or 3)
    if name == "ffn":
        return lambda hp: models.FourierFeatureMLP(sigma=sigma, **kw)
    if name == "siren2":
        scales = noise_scales or models.siren2_noise_scales(signal.values, signal.kind)
        first = first_omega0 or DEFAULT_OMEGA0
        return lambda hp: models.Siren2(omega0=hp.get("omega0", DEFAULT_OMEGA0), first_omega0=first,
                                        noise_scales=scales, **kw)
    first = first_omega0 or (AUDIO_FIRST_OMEGA0 if audio and name == "siren" else DEFAULT_OMEGA0)
    ctor = models.Siren if name == "siren" else models.Finer
    return lambda hp: ctor(omega0=hp.get("omega0", DEFAULT_OMEGA0), first_omega0=first, **kw)
