"""Learning the DFT with one linear layer (the seed gist; Keras).

Sources: the gist's script (``Dense(N·2, use_bias=False)`` on stacked real/imaginary
parts, Keras defaults, ``model.fit(epochs=100, batch_size=100)``, the
``np.allclose`` check).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DftGist:
    name: str = "paper"
    n: int = 32                     # N = 32 points
    vectors: int = 10_000           # 10,000 random complex training vectors
    units: int = 64                 # Dense(64, use_bias=False): real and imaginary parts stacked
    lr: float = 1e-3                # Keras Adam default learning_rate
    eps: float = 1e-7               # Keras Adam default epsilon (optax: 1e-8)
    epochs: int = 100
    batch_size: int = 100
    init: str = "glorot_uniform"    # Keras Dense default kernel_initializer
    rtol: float = 1e-5              # np.allclose defaults
    atol: float = 1e-8
    seeds: int = 5                  # ours (the gist runs one): init and data order, members of one vmapped sweep

    def steps(self) -> int:
        return self.epochs * (self.vectors // self.batch_size)


DFT_GIST = DftGist()
