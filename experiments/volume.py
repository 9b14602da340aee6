"""exp-volume: SIREN vs TUNER in 3-D vs FINER vs SIREN² on the 3-D Shepp–Logan phantom.

Protocol: :mod:`spectral_inr.protocols.fields3d` (``quick``: the phantom at
64³, built in closed form — no download).  The computation is
:mod:`experiments.fields3d`.
"""
from __future__ import annotations

from experiments import common, fields3d
from spectral_inr import protocols


def report(payload: dict, arrays=None):
    return fields3d.markdown(payload, "exp-volume"), fields3d.figures(payload, arrays)


def main(argv=None):
    return common.main("volume", protocols.FIELDS_VOLUME, lambda p, root, **kw: fields3d.run(p, root, kw.get("partial")),
                       report, argv, description=__doc__.splitlines()[0], files=True)


if __name__ == "__main__":
    main()
