"""Shapes as neural fields: SIREN's signed-distance protocol, occupancy, and a quick CPU profile.

Sources (``vsitzmann/siren``): ``experiment_scripts/train_sdf.py`` (batch_size 1400 on-surface
points per step — ``dataio.PointCloud`` adds as many uniform off-surface points —, lr 1e-4,
10,000 epochs of ``len(cloud) // 1400`` steps), ``modules.SingleBVPNet`` (``hidden_features=256``,
``num_hidden_layers=3``: FCBlock's first layer + 3 hidden = **four** sine layers of 256, then a
linear output; ω0 = 30), ``loss_functions.sdf`` (the loss:
:class:`spectral_inr.train.field_losses.SdfLoss`), ``experiment_scripts/test_sdf.py`` and
``sdf_meshing.create_mesh`` (marching cubes of the field on an ``N³`` grid over [−1, 1]³,
``--resolution 1600``).  Everything not in those files is this library's choice, marked so.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Tuple

METHODS = ("siren", "tuner", "finer")
TASKS = ("sdf", "occupancy")

#: SIREN's train_sdf.py: on-surface points per step (as many off-surface points are added)
SIREN_SDF_BATCH = 1400
SIREN_SDF_LR = 1e-4


@dataclass(frozen=True)
class ShapeFit:
    """One shape-fitting study: a mesh, a task, the methods, their budget and the evaluation."""

    name: str
    mesh: str = "meshes/bunny.obj"      # under the data directory (../shared/data, $SPECTRAL_INR_DATA)
    task: str = "sdf"
    methods: Tuple[str, ...] = METHODS
    #: extra rows ``(method, lr)``: a method at another learning rate (a control, not a tuning: the
    #: question is whether a difference between methods is their learning rates')
    controls: Tuple[Tuple[str, float], ...] = ()
    width: int = 256                    # SingleBVPNet hidden_features=256
    depth: int = 4                      # FCBlock first layer + num_hidden_layers=3 → 4 sine layers
    tuner_depth: int = 1                # ours: TUNER's own architecture (config_init.yml hidden_layers: 1), see below
    lr: float = SIREN_SDF_LR            # train_sdf.py --lr 1e-4 (TUNER: its own 5e-4 would be ours to choose; kept)
    surface_samples: int = 250_000      # ours: the oriented cloud sampled from the mesh (area-weighted)
    batch_size: int = SIREN_SDF_BATCH   # train_sdf.py --batch_size 1400 on-surface points (+1400 off-surface)
    steps: int = 10_000 * (250_000 // SIREN_SDF_BATCH)   # 10,000 epochs × 178 steps = 1,780,000
    seeds: int = 1
    resolution: int = 512               # ours (test_sdf.py uses 1600): the marching-cubes grid N³
    chunk: int = 1000
    reduced: str = ""                   # what a reduced variant changes

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")


#: SIREN's SDF protocol for a GPU (about 1.8M steps: days on this CPU)
SIREN_SDF = ShapeFit("paper")

#: minutes on this 2-core CPU: 3 sine layers of 128, 2,000 steps of 2,800 points, 2 seeds, a 128³ marching-cubes grid.
#: TUNER keeps its one bounded hidden layer, at a width that gives about SIREN's parameter count.
SDF_QUICK = dataclasses.replace(
    SIREN_SDF, name="quick", width=128, depth=3, surface_samples=50_000, steps=2000, seeds=2, resolution=128, chunk=100,
    reduced="3 sine layers × 128 instead of 4 × 256, 2,000 steps instead of ~1.8M, 50,000 surface samples, "
            "marching cubes at 128³", controls=(("siren", 5e-4),))

SHAPES_SDF = {"quick": SDF_QUICK, "paper": SIREN_SDF}
