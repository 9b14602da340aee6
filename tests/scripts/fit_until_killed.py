"""Start a checkpointed sweep that the parent test kills with SIGKILL mid-run.

Usage: python fit_until_killed.py CHECKPOINT_DIR STEPS CHUNK [PAUSE_AT PAUSE_SECONDS]

Runs exactly the configuration of ``tests/test_train_resume.py``'s
uninterrupted run (``_common.RESUME_MEMBERS``, same data, ``chunk``,
``steps``).  After saving the checkpoint of step ``PAUSE_AT`` it prints
``saved <step>`` and sleeps ``PAUSE_SECONDS`` (host side, outside the compiled
program, so the numerics are untouched): a deterministic window for the parent
to kill it after that checkpoint and before the next one.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import RESUME_MEMBERS, siren_fitter, smooth_target  # noqa: E402
from spectral_inr.train import checkpoint as checkpoint_lib  # noqa: E402
from spectral_inr.train import sweep  # noqa: E402


def main():
    ckpt_dir, steps, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    pause_at = int(sys.argv[4]) if len(sys.argv) > 4 else -1
    pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    original_save = checkpoint_lib.SweepCheckpointer.save

    def save_then_pause(self, step, tree, meta):
        original_save(self, step, tree, meta)
        print(f"saved {step}", flush=True)
        if step == pause_at:
            time.sleep(pause)

    checkpoint_lib.SweepCheckpointer.save = save_then_pause
    coords, y = smooth_target()
    sweep(siren_fitter(), coords, y, RESUME_MEMBERS, steps, chunk=chunk, checkpoint_dir=ckpt_dir, mesh=None,
          progress=False)
    print("finished", flush=True)


if __name__ == "__main__":
    main()
