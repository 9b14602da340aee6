"""Fitting 3-D signals: video (SIREN's bikes clip) and volumes (the 3-D Shepp–Logan phantom).

``paper`` is SIREN's video protocol (vsitzmann/siren ``experiment_scripts/train_video.py``
with ``dataio.Implicit3DWrapper`` and ``modules.SingleBVPNet``): the whole
``bikes.mp4`` (250 frames of 272×640), an MLP of ``num_hidden_layers=3`` ×
``hidden_features=1024`` — ``FCBlock`` puts a first sine layer before the three
hidden ones, so **four** sine layers of 1024 then a linear output (``depth=4``
here) — Adam at ``lr=1e-4`` (``training.train``: constant; every method here
keeps its own paper's rate, SIREN's being that 1e-4), ``num_epochs=100000``
steps (the dataset holds one item, so one step per epoch), each step on
``sample_frac=38e-4`` of all pixels drawn with ``torch.randint`` (uniform, with
replacement): 165,376 samples.  SIREN scales the values to [−1, 1]; we keep
[0, 1] (PSNR is computed on [0, 1] either way; Adam is nearly scale-free).

``quick`` reduces it to this 2-core CPU: 16 frames (every second of the first
32) at 68×160, three sine layers of 256 (TUNER: one bounded layer of as many
frequencies as fit below its per-axis bandlimit), 1,000 steps of 4,096 uniform samples.
The volume protocols have no paper: the phantom at 64³ with the quick video's budget.
What every quick profile reduces is listed in its ``reduced`` field.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional, Tuple

METHODS = ("siren", "tuner", "finer", "siren2")


@dataclass(frozen=True)
class Fit3D:
    name: str
    kind: str                                   # "video" | "volume"
    # --- signal ---------------------------------------------------------------------------
    source: str = "bikes"                       # "bikes" (the registered clip), "phantom" or a file path
    frames: Optional[Tuple[Optional[int], ...]] = None    # video: (start, stop, step); None: all
    resize: Optional[Tuple[int, int]] = None    # video frames (H, W); None: as stored
    side: Optional[int] = None                  # phantom: side of the cube
    # --- models ---------------------------------------------------------------------------
    methods: Tuple[str, ...] = METHODS
    width: int = 1024                           # train_video.py hidden_features=1024
    depth: int = 4                              # FCBlock: first layer + num_hidden_layers=3 → 4 sine layers
    tuner_bandlimit: Optional[Tuple[int, ...]] = None     # None: n_i // 6 per axis (recipes.signal)
    # --- optimisation ---------------------------------------------------------------------
    # None: each method's own learning rate (protocols.cli: SIREN/FINER/SIREN² 1e-4 = train_video.py --lr 1e-4,
    # Adam, constant; TUNER 5e-4 = its config_init.yml lr); a number: that rate for every method
    lr: Optional[float] = None
    steps: int = 100_000                        # train_video.py --num_epochs 100000, one step per epoch
    sample_fraction: float = 38e-4              # train_video.py --sample_frac 38e-4 (torch.randint per step)
    seeds: int = 1
    reduced: str = ""                           # what a reduced variant changes

    def batch_size(self, samples: int) -> int:
        """Samples per step: ``sample_fraction`` of all samples (``Implicit3DWrapper.N_samples``)."""
        return max(1, int(self.sample_fraction * samples))

    def checks(self) -> None:
        if self.kind not in ("video", "volume"):
            raise ValueError(f"kind must be video or volume, got {self.kind!r}")
        if self.lr is not None and (not math.isfinite(self.lr) or self.lr <= 0):
            raise ValueError(f"lr must be positive, got {self.lr}")


SIREN_VIDEO = Fit3D("paper", "video")
VIDEO_QUICK = dataclasses.replace(
    SIREN_VIDEO, name="quick", frames=(0, 32, 2), resize=(68, 160), width=256, depth=3, steps=1000,
    sample_fraction=4096 / (16 * 68 * 160), seeds=2,
    reduced="16 frames (0:32:2) at 68×160, 3 sine layers × 256, 1,000 steps of 4,096 uniform samples, 2 seeds")
VOLUME_QUICK = Fit3D("quick", "volume", source="phantom", side=64, width=256, depth=3, steps=1000,
                     sample_fraction=4096 / 64 ** 3, seeds=2,
                     reduced="no paper protocol: the quick video's network and budget on the 64³ phantom")

FIELDS_VIDEO = {"quick": VIDEO_QUICK, "paper": SIREN_VIDEO}
FIELDS_VOLUME = {"quick": VOLUME_QUICK}

__all__ = ["Fit3D", "METHODS", "SIREN_VIDEO", "VIDEO_QUICK", "VOLUME_QUICK", "FIELDS_VIDEO", "FIELDS_VOLUME"]
