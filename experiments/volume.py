"""exp-volume: SIREN vs TUNER in 3-D vs FINER vs SIREN² on the 3-D Shepp–Logan phantom.

Protocol: :mod:`spectral_inr.protocols.fields3d` (``quick``: the phantom at
64³, built in closed form — no download).  The computation is
:mod:`experiments.fields3d`.
"""
from __future__ import annotations

from experiments import fields3d
from spectral_inr import protocols

report = fields3d.report


def main(argv=None):
    return fields3d.main("volume", protocols.FIELDS_VOLUME, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
