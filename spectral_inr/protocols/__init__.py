"""Published protocols as data: each paper's configuration, every value citing its source.

A protocol is a frozen dataclass; variants are ``dataclasses.replace`` of it:

* ``paper``    — what the paper's text describes;
* ``official`` — what the authors' code actually runs (where the two differ,
  both are kept, and ``docs/fidelity.md`` says which produced the published table);
* ``quick``    — the official protocol reduced to this 2-core CPU (what is
  reduced is listed in the variant's ``reduced`` field).

Experiments (``experiments/``) and the CLI read these instead of re-stating
constants.
"""
from spectral_inr.protocols.depth import DEPTH, DepthStudy
from spectral_inr.protocols.dft import DFT_GIST, DftGist
from spectral_inr.protocols.dft_optimizers import DFT_OPTIMIZERS, DftOptimizerStudy
from spectral_inr.protocols.fields3d import FIELDS_VIDEO, FIELDS_VOLUME, Fit3D
from spectral_inr.protocols.shapes import SHAPES_SDF, ShapeFit
from spectral_inr.protocols.poisson import POISSON, PoissonFit
from spectral_inr.protocols.harmonic import HARMONIC_MNIST, HarmonicMnist
from spectral_inr.protocols.spectra import SPECTRA, SpectraStudy
from spectral_inr.protocols.siren2 import SIREN2_AUDIO, AudioFit
from spectral_inr.protocols.tuner import TUNER_KODAK, TunerKodak

__all__ = ["TunerKodak", "TUNER_KODAK", "AudioFit", "SIREN2_AUDIO", "DftGist", "DFT_GIST", "DftOptimizerStudy", "DFT_OPTIMIZERS", "HarmonicMnist", "HARMONIC_MNIST",
           "SpectraStudy", "SPECTRA", "Fit3D", "FIELDS_VIDEO", "FIELDS_VOLUME", "ShapeFit", "SHAPES_SDF",
           "PoissonFit", "POISSON", "DepthStudy", "DEPTH"]
