"""Spectral toolkit: signal spectra, layer diagnostics, spectral bias, TUNER's
expansion, the empirical NTK, frequency-domain losses and their plots.

>>> freqs, amp = amplitude_spectrum(x, sample_rate=128)
>>> acts = layer_activations(model, variables, coords)
>>> check = tuner_spectrum_check(tuner, variables, n=64, max_order=3)
"""
from spectral_inr.models.siren2_scales import spectral_centroid
from spectral_inr.spectral.bessel import bessel_j
from spectral_inr.spectral.bias import band_errors, spectral_bias_curve
from spectral_inr.spectral.diagnostics import (
                                                 activation_ks,
                                                 effective_kernel,
                                                 layer_activations,
                                                 neuron_power_spectrum,
                                                 neuron_spectrum_profile,
                                                 profile_centroid,
                                                 sum_power_spectrum,
)
from spectral_inr.spectral.distributions import (
                                                 arcsine_cdf,
                                                 arcsine_pdf,
                                                 ks_statistic,
                                                 ks_test,
                                                 normal_cdf,
                                                 normal_pdf,
                                                 siren_preactivation_std,
)
from spectral_inr.spectral.losses import (
                                                 bandlimited_mse,
                                                 bandlimited_mse_loss,
                                                 high_frequency_penalty,
                                                 high_frequency_regularizer,
                                                 lowpass,
                                                 spectral_penalty_loss,
)
from spectral_inr.spectral.ntk import (
                                                 compare_ntk_spectra,
                                                 empirical_ntk,
                                                 jacobian_matrix,
                                                 ntk_eigenvalues,
                                                 tail_fraction,
)
from spectral_inr.spectral.plots import (
                                                 plot_activation_histograms,
                                                 plot_amplitude_spectrum,
                                                 plot_layer_spectra,
                                                 plot_ntk_spectra,
                                                 plot_spectral_bias,
                                                 plot_tuner_spectrum,
)
from spectral_inr.spectral.spectra import (
                                                 amplitude_spectrum,
                                                 band_energies,
                                                 band_index,
                                                 normalized_radius,
                                                 periodogram,
                                                 power_spectrum,
                                                 radial_profile,
                                                 spectral_power,
)
from spectral_inr.spectral.tuner_expansion import (
                                                 TunerExpansion,
                                                 evaluate_expansion,
                                                 multi_indices,
                                                 periodic_grid,
                                                 predicted_fft,
                                                 tuner_expansion,
                                                 tuner_expansion_from_model,
                                                 tuner_spectrum_check,
)

__all__ = [
    "spectral_centroid",
    # spectra
    "amplitude_spectrum", "periodogram", "power_spectrum", "radial_profile", "normalized_radius", "band_index",
    "band_energies", "spectral_power",
    # layer diagnostics and distributions
    "layer_activations", "effective_kernel", "activation_ks", "neuron_power_spectrum", "neuron_spectrum_profile",
    "sum_power_spectrum", "profile_centroid", "arcsine_pdf", "arcsine_cdf", "normal_pdf", "normal_cdf",
    "ks_statistic", "ks_test", "siren_preactivation_std",
    # spectral bias
    "band_errors", "spectral_bias_curve",
    # TUNER
    "bessel_j", "TunerExpansion", "multi_indices", "tuner_expansion", "tuner_expansion_from_model",
    "evaluate_expansion", "periodic_grid", "predicted_fft", "tuner_spectrum_check",
    # NTK
    "jacobian_matrix", "empirical_ntk", "ntk_eigenvalues", "tail_fraction", "compare_ntk_spectra",
    # losses
    "high_frequency_penalty", "bandlimited_mse", "lowpass", "bandlimited_mse_loss", "spectral_penalty_loss",
    "high_frequency_regularizer",
    # plots
    "plot_amplitude_spectrum", "plot_activation_histograms", "plot_layer_spectra", "plot_spectral_bias",
    "plot_tuner_spectrum", "plot_ntk_spectra",
]
