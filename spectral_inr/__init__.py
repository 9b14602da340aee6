"""spectral_inr — sinusoidal neural fields (SIREN, TUNER, SIREN², FINER, Fourier features) in JAX/Flax.

Modules:
  models      presets of one sine block (``Siren``, ``Tuner``, ``Siren2``, ``Finer``, ``FourierFeatureMLP``, …)
  optim       optax links: TUNER's bound projection, the Harmonic MLP's frequency-aware scaling
  train       the engine: ``Fitter`` (one pure step) and ``sweep`` (K members vmapped, checkpoints)
  protocols   the papers' protocols as data (and the CLI's per-model defaults); ``recipes``: protocol → Fitter
  metrics     PSNR, SSIM, TUNER's gradient PSNR; ``evaluation`` scores every member of a sweep
  spectral    spectra, spectral bias, NTK, frequency-domain losses
  data        images, audio, Kodak and MNIST (sha256-checked downloads); ``signals``: a signal's grid
  cli         the ``spectral-inr`` command (fit, sweep, demo)

See README.md for the quick start and docs/ for the protocols and results.
"""
from spectral_inr._version import __version__

