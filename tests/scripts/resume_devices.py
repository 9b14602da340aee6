"""Run, or resume, a checkpointed 3-member sweep on this process's devices and save the results.

Usage::

    XLA_FLAGS=--xla_force_host_platform_device_count=N JAX_PLATFORMS=cpu \\
        python tests/scripts/resume_devices.py CKPT_ROOT OUT.npz [--resume] [--finished ROOT]

Two sweeps run, one per member-block setting: ``member_block="auto"`` (one
vmapped block per device: 2 members per device on 2 devices, the member axis
padded 3 → 4; 3 members on one device, unpadded) into ``CKPT_ROOT/auto`` and
``member_block=1`` (one member per block) into ``CKPT_ROOT/1``.
``mesh="auto"``: sharded over the devices when there are several.  ``OUT.npz``
holds ``{setting}/loss`` and ``{setting}/state…`` (every state leaf), the
device count, and the padded member count each sweep used.

``--finished ROOT``: also "resume" the finished runs in ``ROOT/{setting}``
with the *other* setting's member block and the same ``steps`` — nothing left
to train, so ``finished-{setting}/…`` is the stored final state as this
process restores, pads and places it.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

STEPS, CHUNK = 40, 10
MEMBERS = [{"lr": 1e-3, "omega0": 20.0, "seed": 0}, {"lr": 3e-4, "omega0": 20.0, "seed": 1},
           {"lr": 1e-3, "omega0": 30.0, "seed": 2}]
SETTINGS = {"auto": "auto", "1": 1}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ckpt_root")
    parser.add_argument("out")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--finished", default=None)
    args = parser.parse_args()

    import jax
    import numpy as np
    from _common import siren_fitter, smooth_target

    sweep_lib = importlib.import_module("spectral_inr.train.sweep")   # the module (the package exports the function)

    coords, y = smooth_target(16)
    fitter = siren_fitter()
    padded = {}
    original_place = sweep_lib._place

    def recording_place(*a, **kw):
        placed = original_place(*a, **kw)
        padded[current] = placed.size
        return placed

    sweep_lib._place = recording_place
    out = {"device_count": jax.device_count()}
    runs = [(name, os.path.join(args.ckpt_root, name), block, args.resume) for name, block in SETTINGS.items()]
    if args.finished:
        other = dict(zip(SETTINGS, reversed(SETTINGS.values())))
        runs += [(f"finished-{name}", os.path.join(args.finished, name), other[name], True) for name in SETTINGS]
    for name, ckpt, block, resume in runs:
        current = name
        r = sweep_lib.sweep(fitter, coords, y, MEMBERS, STEPS, chunk=CHUNK, checkpoint_dir=ckpt, resume=resume,
                            progress=False, member_block=block)
        out[f"{name}/loss"] = r.history["loss"]
        out[f"{name}/padded"] = padded[name]
        for path, leaf in jax.tree_util.tree_leaves_with_path(r.state):
            out[f"{name}/state{jax.tree_util.keystr(path)}"] = np.asarray(leaf)
    np.savez(args.out, **out)
    print("done", flush=True)


if __name__ == "__main__":
    main()
