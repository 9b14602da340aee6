"""exp-video: SIREN vs TUNER in 3-D vs FINER vs SIREN² on SIREN's bikes clip.

Protocols: :mod:`spectral_inr.protocols.fields3d` (``paper``: SIREN's
``train_video.py`` on the whole clip, for a GPU; ``quick``: 16 frames at 68×160
on this CPU).  The computation is :mod:`experiments.fields3d`.
"""
from __future__ import annotations

from experiments import common, fields3d
from spectral_inr import protocols


def report(payload: dict, arrays=None):
    return fields3d.markdown(payload, "exp-video"), fields3d.figures(payload, arrays)


def main(argv=None):
    return common.main("video", protocols.FIELDS_VIDEO, lambda p, root, **kw: fields3d.run(p, root, kw.get("partial")),
                       report, argv, description=__doc__.splitlines()[0], files=True)


if __name__ == "__main__":
    main()
