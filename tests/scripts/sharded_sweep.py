"""Run one sweep sharded over several (CPU) devices and unsharded; save both.

Usage::

    # single process, 4 forced host devices
    XLA_FLAGS=--xla_force_host_platform_device_count=4 JAX_PLATFORMS=cpu \\
        python tests/scripts/sharded_sweep.py OUT.npz

    # multi-process (jax.distributed on localhost), one command per process
    XLA_FLAGS=--xla_force_host_platform_device_count=2 JAX_PLATFORMS=cpu \\
        python tests/scripts/sharded_sweep.py OUT.npz --process-id I --num-processes 2 --port PORT

The sweep has 6 members (2 seeds × 3 learning rates), so on 4 devices the
member axis is padded to 8.  ``to_host`` is wrapped to record how the final
stacked state was actually laid out on the devices.  In the multi-process mode
only the sharded sweep runs (``mesh="auto"`` spans all processes' devices) and
process 0 writes the file.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--process-id", type=int, default=None)
    parser.add_argument("--num-processes", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--checkpoint-dir", default=None,
                        help="also checkpoint the sharded sweep here, then drop the last checkpoint and resume")
    args = parser.parse_args()

    import jax

    if args.process_id is not None:
        jax.distributed.initialize(coordinator_address=f"127.0.0.1:{args.port}", num_processes=args.num_processes,
                                   process_id=args.process_id, initialization_timeout=60)

    import numpy as np

    from _common import siren_fitter, smooth_target
    from spectral_inr.train import grid, sharding, sweep

    layouts = []
    original_to_host = sharding.to_host

    def recording_to_host(tree):
        leaves = jax.tree_util.tree_leaves(tree)
        if len(leaves) > 1:  # the final TrainState (the per-chunk loss is a single leaf)
            for leaf in leaves:
                if isinstance(leaf, jax.Array):
                    layouts.append((leaf.shape[0], len(leaf.sharding.device_set), leaf.sharding.is_fully_replicated,
                                    len(leaf.addressable_shards), leaf.addressable_shards[0].data.shape[0]))
        return original_to_host(tree)

    sharding.to_host = recording_to_host

    coords, y = smooth_target(16)
    members = grid(seeds=2, lr=[3e-4, 1e-3, 3e-3], omega0=[30.0])
    f = siren_fitter(width=16)
    out = {"device_count": jax.device_count(), "local_device_count": jax.local_device_count(),
           "process_count": jax.process_count()}

    sharded = sweep(f, coords, y, members, args.steps, chunk=30, mesh="auto", progress=False,
                    checkpoint_dir=args.checkpoint_dir)
    out.update({"sharded_loss": sharded.history["loss"], "sharded_diverged": np.asarray(sharded.state.diverged),
                "sharded_layouts": np.asarray(layouts, np.int64)})
    for path, leaf in jax.tree_util.tree_leaves_with_path(sharded.state.params):
        out["sharded_param" + jax.tree_util.keystr(path)] = leaf
    if args.checkpoint_dir:
        # Simulate a preemption after the first chunk: drop the last checkpoint, resume, compare.
        import shutil
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices("before_drop")
        if jax.process_index() == 0:
            shutil.rmtree(os.path.join(args.checkpoint_dir, str(args.steps)))
        multihost_utils.sync_global_devices("after_drop")
        resumed = sweep(f, coords, y, members, args.steps, chunk=30, mesh="auto", progress=False,
                        checkpoint_dir=args.checkpoint_dir, resume=True)
        out["resumed_loss"] = resumed.history["loss"]
        out["resumed_equal"] = np.asarray(jax.tree_util.tree_all(jax.tree_util.tree_map(
            lambda a, b: bool(np.array_equal(a, b, equal_nan=True)), resumed.state, sharded.state)))
    if jax.process_count() == 1:
        del layouts[:]
        single = sweep(f, coords, y, members, args.steps, chunk=30, mesh=None, progress=False)
        out.update({"single_loss": single.history["loss"], "single_layouts": np.asarray(layouts, np.int64)})
        for path, leaf in jax.tree_util.tree_leaves_with_path(single.state.params):
            out["single_param" + jax.tree_util.keystr(path)] = leaf
    if jax.process_index() == 0:
        np.savez(args.out, **out)
    print("done", jax.process_index(), flush=True)


if __name__ == "__main__":
    main()
