"""TUNER on Kodak (Novello et al., "Tuning the Frequencies", arXiv 2407.21121).

Sources: DianaPat/TUNER ``configs/config_init.yml`` (the config every script
loads), ``train_mrnet.py`` (TUNER: overrides and the clamp handler),
``train_siren.py`` (the paper's "SIREN" row), ``training/optimizers.py``
(``ClampOptimizationHandler``), ``utils.py`` (``get_database``,
``create_clamps``), ``networks/mrnet.py`` (``Initializer``) and
``training/handler_base.py`` (metrics); the CVPR poster's Kodak table (416
neurons).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional, Tuple

#: The paper's bandlimit for a signal of ``side`` samples: ``side // 6`` — half of the Nyquist limit
#: ``side/2``, divided by 3 (85 for Kodak's 512 px; the SIREN baseline's ``omega_0: [85]``).
BANDLIMIT_DIVISOR = 6

#: The bounds of ``config_init.yml`` (``bounds: [[1., .6], 1.]``): c_low on the low band, c_high above it,
#: c_deep for deeper hidden layers (the Kodak net has none; one scalar bound is our reading); theory needs c < 2.
C_LOW, C_HIGH, C_DEEP = 1.0, 0.6, 1.0
OMEGA_G = 30.0                     # config_init.yml hidden_omega_0: 30
LEARNED_LAMBDA = 2e-5              # config_init.yml loss_weights bound: .00002

# Published (TUNER paper/poster Kodak table, mean over the 24 images):
# signal PSNR and gradient PSNR, test (the 5 % held-out fit) and train (a fit on all pixels).
PAPER_TABLE = {
    "tuner-siren": {"psnr_test": 32.9, "gradient_psnr_test": 27.1, "psnr_train": 34.0, "gradient_psnr_train": 27.7},
    "tuner": {"psnr_test": 33.4, "gradient_psnr_test": 28.4, "psnr_train": 34.3, "gradient_psnr_train": 28.9},
    "bacon": {"psnr_test": 25.4, "gradient_psnr_test": 22.3},
}


@dataclass(frozen=True)
class TunerKodak:
    name: str
    # --- signal ---------------------------------------------------------------------------
    images: Tuple[int, ...] = tuple(range(1, 25))   # the 24 Kodak images (data/kodak/*.png)
    crop: int = 512                    # config_init.yml width/height 512
    resize: Optional[int] = None       # None: the 512² crop itself
    test_fraction: float = 0.05        # utils.get_database: percentage_test=0.05, random pixels
    train_metrics: str = "full-fit"    # the table's train columns come from a separate fit on all pixels
    # --- TUNER model ----------------------------------------------------------------------
    width: int = 416                   # poster: 416 input and 416 hidden neurons
    n_frequencies: Optional[int] = None   # input neurons (rows of the reference list); None: = width, as the poster
    frequency_stride: int = 1          # every s-th of those rows (+ the identity rows): the list subsampled
    depth: int = 1                     # config_init.yml hidden_layers: 1
    frequencies: str = "reference"     # train_mrnet.py init_freqs: low 0..7, high 0,13,…,156
    period: float = 4.0                # config_init.yml period: 4 (the ablation scripts use 3)
    low_limit: int = 10                # config_init.yml block_limits: [10]
    omega_g: float = OMEGA_G           # config_init.yml hidden_omega_0: 30
    phase_init: str = "official"       # train_mrnet.py Initializer(bias_init=False): PyTorch U(±1/√2)
    init_bounds: Tuple[float, float] = (1.0, 0.4)   # train_mrnet.py hyper["bounds"] = [1.0, 0.4], init N(0, (0.3c/ω_G)²)
    # The bounds the clamp really applies (c_low, c_high): ClampOptimizationHandler clamps each
    # state-dict entry named "middle…weight" in order; MRBoundedModule's unused `middle_layers.0.weight`
    # sorts first and takes 1.0, so the real hidden matrix gets 0.4/ω_G on every column.
    clamp_bounds: Tuple[float, float] = (0.4, 0.4)
    c_deep: float = C_DEEP             # config_init.yml bounds [[1., .6], 1.]: deeper hidden layers
    # ablations/ablation_deep_bounds.py clamps the second hidden layer at bounds[1]/ω_G = c_deep/ω_G;
    # False: the projection leaves hidden layers past the first alone (c_deep then only sets their init)
    clamp_deep: bool = True
    learned_penalty: str = "sum"       # paper: L_reg = Σ_j |c_j|
    learned_lambda: float = LEARNED_LAMBDA   # config_init.yml loss_weights bound: .00002
    # --- the paper's SIREN baseline (train_siren.py) --------------------------------------
    baseline_bandlimit: int = 85       # config_init.yml omega_0: [85] → first_omega_0; uniform in [0,B]×[−B,B]
    baseline_lr: float = 1e-4          # train_siren.py: Adam(lr=0.0001)
    # --- the extra rows (vanilla SIREN, FINER, SIREN², FFN): not the paper's; first-layer frequency scale ----
    extra_first_omega0: float = 30.0   # SIREN's first ω0 (FINER, SIREN² alike)
    extra_ffn_sigma: float = 10.0      # Tancik et al.'s image σ
    # --- BACON, the table's third row: TUNER's repository has no BACON configuration, so BACON's own image run
    # (computational-imaging/bacon config/img/bacon.ini: 256 wide, 4 layers, AMSGrad 5e-3, band limit = the grid's)
    bacon_width: int = 256
    bacon_lr: float = 5e-3
    # --- optimisation ---------------------------------------------------------------------
    lr: float = 5e-4                   # config_init.yml lr: 0.0005 (Adam, constant)
    batch_size: Optional[int] = 65536  # config_init.yml batch_size: 256 * 256
    epochs: int = 5000                 # config_init.yml max_epochs_per_stage: 5000
    shuffle: str = "fixed"             # one fixed random partition into batches
    seeds: int = 3
    # --- metrics --------------------------------------------------------------------------
    gradient_psnr: str = "tuner"       # handler_base.log_grad_psnr (min-max, 8 bit, float16, full image)
    reduced: str = ""                  # what a reduced variant changes

    def pixels(self) -> int:
        side = self.resize or self.crop
        return side * side

    def steps(self, train_pixels: Optional[int] = None) -> int:
        """Optimizer steps: ``epochs × ⌈train pixels / batch⌉`` (one step per batch)."""
        n = self.pixels() if train_pixels is None else train_pixels
        batches = 1 if self.batch_size is None else math.ceil(n / self.batch_size)
        return self.epochs * batches


OFFICIAL = TunerKodak("official")
PAPER = dataclasses.replace(
    OFFICIAL, name="paper",
    # The paper and poster describe per-column bounds W_1j ← clamp(W_1j, c_j) with c_low on the low
    # band and c_high above it; the values are config_init.yml's bounds [[1., .6], 1.].
    init_bounds=(C_LOW, C_HIGH), clamp_bounds=(C_LOW, C_HIGH))
def scale_model(p: TunerKodak, side: int, **changes) -> TunerKodak:
    """``p`` at ``side``² pixels (the 512² crop downsampled) in the paper's regime (issue 23 §3).

    With ``r = crop / side`` (4 for 128²), each rule keeps one property of the 512² run:

    * ``period × r`` — every frequency relative to the Nyquist limit.  Neuron ``k`` has
      ``k/p`` cycles per unit and Nyquist is ``side/4`` per unit, so ``k/(p·side)`` is
      kept; the integer lattice (the list, the low limit 10, the baseline's bandlimit
      85) is unchanged.
    * the reference list subsampled with stride ``r`` (``n_frequencies`` rows, every
      ``r``-th, plus the identity rows) — the low block and the high block keep their
      share and their extent; truncating kept only the low block.
    * ``width`` = that many rows (``⌈(n−2)/r⌉ + 2``: 106 for 416) — parameters per pixel:
      ``width²`` scales as ``side²``.
    * ``batch_size / r²`` — the batches per epoch (4) and so the steps per epoch.
    * the extra rows' first ω0 and FFN σ ÷ r — their initial spectra relative to Nyquist; BACON's width ÷ r
      (its band limit follows the grid by construction).
    """
    r = p.crop // side
    if r < 1 or p.crop % side:
        raise ValueError(f"side must divide the crop {p.crop}, got {side}")
    n = p.n_frequencies or p.width
    return dataclasses.replace(
        p, resize=side, period=p.period * r, n_frequencies=n, frequency_stride=r, width=-(-(n - 2) // r) + 2,
        batch_size=None if p.batch_size is None else p.batch_size // r ** 2,
        extra_first_omega0=p.extra_first_omega0 / r, extra_ffn_sigma=p.extra_ffn_sigma / r,
        bacon_width=p.bacon_width // r, **changes)


QUICK = scale_model(
    OFFICIAL, 128, name="quick", images=(1, 5, 13, 23), epochs=500, seeds=2,
    reduced="a scale model of the official run (`scale_model`): the 512² crop downsampled to 128², period 16, "
            "the reference list subsampled (every 4th of 416 rows: 32 low + 72 high + 2) with 106 neurons, "
            "batches of 4,096, the extras' first ω0 7.5 and FFN σ 2.5; 4 images; 500 epochs (2,000 steps, the "
            "`cpu` 512² budget); 2 seeds")
QUICK_PAPER = scale_model(PAPER, 128, name="quick-paper", images=QUICK.images, epochs=QUICK.epochs, seeds=QUICK.seeds,
                          reduced=QUICK.reduced)
CPU = dataclasses.replace(
    OFFICIAL, name="cpu", images=(5,), epochs=500, seeds=1, train_metrics="split",
    reduced="one image (kodim05) at the full 512²; 500 epochs (2,000 steps of 65,536 pixels) instead of 5,000; "
            "1 seed; train columns from the split fit's 95 % (no separate all-pixel fit)")
# Issue 23's two open causes of the 512² gap, at the `cpu` budget: the paper's per-column bounds on the same
# image, and the official protocol on a smoother second image.
CPU_PAPER = dataclasses.replace(
    PAPER, name="cpu-paper", images=CPU.images, epochs=CPU.epochs, seeds=CPU.seeds, train_metrics=CPU.train_metrics,
    reduced=CPU.reduced + "; the paper's per-column bounds (1.0 / 0.6) at init and in the clamp")
CPU_KODIM23 = dataclasses.replace(
    CPU, name="cpu-kodim23", images=(23,),
    reduced=CPU.reduced.replace("one image (kodim05)", "one image (kodim23, smoother than kodim05)"))
SMOKE = dataclasses.replace(
    OFFICIAL, name="smoke", images=(5,), resize=32, width=16, batch_size=None, epochs=20, seeds=1,
    train_metrics="split", reduced="the GPU script's CPU smoke test: kodim05 at 32², 16 neurons, 20 full-batch "
                                  "steps — checks the command runs, measures nothing")
TUNER_KODAK = {p.name: p for p in (OFFICIAL, PAPER, QUICK, QUICK_PAPER, CPU, CPU_PAPER, CPU_KODIM23, SMOKE)}
