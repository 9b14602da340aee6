"""exp-dft: ``--profile paper`` runs the seed gist's protocol (:mod:`experiments.dft_gist`), ``quick`` and
``long`` our optimizer study (:mod:`experiments.dft_optimizers`); both write ``results/dft-<profile>.*``."""
from __future__ import annotations

import sys

from experiments import dft_gist, dft_optimizers
from experiments.common import parse_args
from spectral_inr.protocols import DFT_GIST, DFT_OPTIMIZERS

PROTOCOLS = {**DFT_OPTIMIZERS, "paper": DFT_GIST}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    profile = parse_args(__doc__.splitlines()[0], argv, profiles=tuple(PROTOCOLS)).profile
    module = dft_gist if profile == "paper" else dft_optimizers
    return module.main(argv)


if __name__ == "__main__":
    main()
