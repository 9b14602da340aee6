"""Poisson image fitting: an image from its gradients or from its Laplacian (SIREN §4.1).

``targets`` (the Sobel gradient and 5-point Laplacian in coordinate units), ``supervise`` (any
signal model of the CLI trained through them), ``metrics`` (PSNR after the best constant offset,
gradient PSNR, error by radial band) and ``figures`` (the reconstruction figure).  ``docs/poisson.md``
says what the numbers mean.
"""
from spectral_inr.poisson import figures, metrics
from spectral_inr.poisson.metrics import best_offset, evaluate, offset_psnr, recovered, tuner_band_edges
from spectral_inr.poisson.supervise import SUPERVISIONS, check_supervision, field_loss, fitter, targets
from spectral_inr.poisson.targets import gradient_targets, grid_spacing, laplacian_targets, siren_target_scale

__all__ = ["SUPERVISIONS", "check_supervision", "field_loss", "fitter", "targets", "gradient_targets",
           "grid_spacing", "laplacian_targets", "siren_target_scale", "best_offset", "evaluate", "offset_psnr",
           "recovered", "tuner_band_edges", "figures", "metrics"]
