"""exp-video: SIREN vs TUNER in 3-D vs FINER vs SIREN² on SIREN's bikes clip.

Protocols: :mod:`spectral_inr.protocols.fields3d` (``paper``: SIREN's
``train_video.py`` on the whole clip, for a GPU; ``quick``: 16 frames at 68×160
on this CPU).  The computation is :mod:`experiments.fields3d`.
"""
from __future__ import annotations

from experiments import fields3d
from spectral_inr import protocols

report = fields3d.report


def main(argv=None):
    return fields3d.main("video", protocols.FIELDS_VIDEO, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
