"""Audio fitting (SIREN², arXiv 2509.09719; hemanthgrylls/SIREN-square).

Sources: ``learn_audios.py`` (config class, networks), ``modules/train_utils.py``
(``train``), ``modules/utils_audio.py`` (``set_audio_target``),
``modules/networks.py`` (``SIREN``, ``SIREN_square``, ``FINER_plus_plus``),
``WINNER_play_with_weights.ipynb`` (the notebook's SIREN² scheme).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional, Tuple

# No published audio figure is quoted here.  The 64.5 / 56.5 / 34.8 dB "means" once quoted came from a
# README the repository kept for eight minutes (SIREN-square commit 88272bb, 2 Sept 2025, a machine-written
# summary citing "Table 1, p. 10" of arXiv v1; replaced in 0f9e223); the table itself — clips, windows, the
# tetris row — could not be read here (docs/fidelity.md, "SIREN²'s published audio figures").


@dataclass(frozen=True)
class AudioFit:
    name: str
    clips: Tuple[str, ...] = ("siren_square/tetris.wav", "siren_square/relay.wav", "siren_square/arch.wav",
                              "gt_bach.wav", "gt_counting.wav")
    offset: int = 0                    # set_audio_target: waveform[:max_samples]
    samples: int = 150_000             # learn_audios.py config.max_samples
    width: int = 222                   # config.HL_dim
    depth: int = 4                     # config.n_HLs
    steps: int = 1000                  # config.nb_epochs, full batch (batch min(n, 512²))
    lr: float = 1e-4                   # config.lr
    decay_every: int = 20              # config.scheculer_step (StepLR)
    decay: float = 0.99                # config.gamma
    omega0: float = 30.0               # w0 / omega_0 of the hidden layers
    siren_first_omega0: float = 3000.0     # SIREN(first_w0=3000)
    siren2_first_omega0: float = 30.0      # SIREN_square(first_omega=30)
    notebook_first_omega0: float = 3000.0  # notebook SIREN_square(first_w0=3000)
    notebook_s0: float = 1.0 / 30.0        # notebook docstring: "use S0=1.00/omega_0 ... for audio"
    notebook_decay: float = 100.0          # notebook: a=100
    # FINER++ (FINER_plus_plus: first_bias_scale=5). The repository's only audio configuration of
    # FINER (commented out in learn_audios.py) has first_omega_0=30 and minibatches of 65,536; at
    # ω0 = 30 FINER++ stays at the predict-silence floor (docs/fidelity.md), so the `finer++` row uses
    # SIREN's audio first ω0 = 3000, capped so that the initial first layer does not alias on the
    # sampling grid (see `finer_omega0`); `finer++-repo` keeps the repository's 30.
    finer_first_omega0: float = 3000.0
    finer_repo_first_omega0: float = 30.0
    finer_bias_scale: float = 5.0
    finer_batch: Optional[int] = 65536     # learn_audios.py: batch_size = min(n, 256·256) for FINER, Gauss, WIRE, ReLU+PE
    # SIREN²'s audio baselines (learn_audios.py get_networks, the lines commented out there, and the imported
    # SIREN_RFF; modules/networks.py class defaults): every one n_HLs = 4 nonlinear layers of HL_dim, lr 1e-4
    gauss_scale: float = 30.0              # GAUSS(scale=30.0)
    wire_omega0: float = 10.0              # WIRE(first_omega_0=10, hidden_omega_0=10.) — the class defaults
    wire_s0: float = 10.0                  # WIRE(scale=10.0)
    pe_sidelength: int = 512               # ReLU_PE(sidelength=512, use_nyquist=True): 7 octaves on any clip
    rff_sigma: float = 30.0                # RFF: torch.normal(std=30.0)
    rff_first_omega0: float = 3000.0       # SIREN_RFF(first_w0=3000)
    seeds: int = 3
    methods: Tuple[str, ...] = ("siren", "siren2", "siren2-notebook", "finer++", "finer++-repo", "gauss", "wire",
                                "relu-pe", "siren-rff")
    reduced: str = ""

    def finer_omega0(self, n: int) -> float:
        """FINER++'s first ω0 for ``n`` samples on ``linspace(−1, 1, n)``.

        The first layer is ``sin(ω0(|z|+1)z)``, ``z = wx + b``, ``w ~ U(±1)``, ``b ~ U(±β)``; its local
        angular frequency ``ω0(2|z|+1)|w|`` reaches ``ω0(2β+3)``.  Keep that below the grid's Nyquist
        limit ``π(n−1)/2`` rad per unit: ``ω0 = min(finer_first_omega0, π(n−1)/(2(2β+3)))``.  For the
        official 150,000 samples the cap (≈ 18,000) is inactive; for a 10,000-sample window it gives
        ≈ 1,208, where 3000 would start from features above Nyquist (aliased noise).
        """
        cap = math.pi * (n - 1) / (2 * (2 * self.finer_bias_scale + 3))
        return float(min(self.finer_first_omega0, cap))


OFFICIAL = AudioFit("official")
QUICK = dataclasses.replace(
    OFFICIAL, name="quick", offset=40_000, samples=10_000, width=64, steps=500, seeds=2, finer_batch=None,
    reduced="a 10,000-sample window at samples 40,000–50,000 (the clips' first 10,000 samples are near "
            "silent: gt_bach's RMS there is 1e-4, so predicting zeros would score 85 dB); 4×64; 500 steps; "
            "full batch for every method; 2 seeds")
PAPER = dataclasses.replace(
    OFFICIAL, name="paper", clips=("siren_square/tetris.wav",), seeds=1, methods=("siren2", "siren", "finer++"),
    reduced="one clip (tetris) and one seed; the paper's three methods (SIREN², SIREN, FINER++), the official "
            "protocol otherwise — what this 2-core CPU holds (~1 s per 133-GFLOP step)")
SIREN2_AUDIO = {p.name: p for p in (OFFICIAL, QUICK, PAPER)}
