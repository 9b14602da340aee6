"""Peak memory of evaluating a video sweep slab by slab (:mod:`spectral_inr.evaluation_nd`).

``python -m benchmarks.evaluation_memory`` runs, in a fresh process per setting, a K-member SIREN on a
random ``T × H × W × 3`` clip (one training step: the metrics' values do not matter here) and evaluates
it twice with :func:`spectral_inr.evaluation.evaluate`: the first call compiles, the second is timed
and sampled.  Reported per ``max_values``: the slab length, the peak resident-memory increase of the
second evaluation over the memory held just before it (a thread samples ``/proc/self/statm`` every
millisecond; compiled programs and the sweep's own data are held before it starts), and its seconds.
Between the two calls glibc's ``malloc_trim`` returns freed heap to the system (else the second call
reuses the first call's freed pages and shows no rise).  ``--one N`` runs the setting ``2^N`` in this
process.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

SHAPE = (48, 80, 80)
MEMBERS = 4
WIDTH, DEPTH = 64, 3
SETTINGS = (16, 18, 20, 24)   # log2 max_values; 2^24 holds that clip of all members in one slab


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _Peak(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.running = _rss(), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, _rss())
            time.sleep(0.001)


def one(max_values: int, shape=SHAPE) -> dict:
    import numpy as np

    from spectral_inr import evaluation, evaluation_nd, models
    from spectral_inr.signals import Signal
    from spectral_inr.train import Fitter, sweep

    signal = Signal("video", np.random.default_rng(0).random((*shape, 3), dtype=np.float32), "random")
    fitter = Fitter(lambda hp: models.Siren(out_features=3, width=WIDTH, depth=DEPTH, omega0=30.0,
                                            first_omega0=30.0), batch_size=4096)
    members = [{"lr": 1e-4, "seed": s} for s in range(MEMBERS)]
    result = sweep(fitter, signal.coords(), signal.targets(), members, 1, chunk=1, progress=False)
    evaluation.evaluate(fitter, result, signal, max_values=max_values)
    ctypes.CDLL("libc.so.6").malloc_trim(0)   # hand the first call's freed heap back, so the second call's rise shows
    before = _rss()
    sampler = _Peak()
    sampler.start()
    start = time.perf_counter()
    evaluation.evaluate(fitter, result, signal, max_values=max_values)
    seconds = time.perf_counter() - start
    sampler.running = False
    sampler.join()
    return {"max_values": max_values, "slab_frames": evaluation_nd.slab_length(signal, MEMBERS, max_values),
            "peak_rise_mib": (sampler.peak - before) / 2**20, "seconds": seconds}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", default=",".join(map(str, SHAPE)), help="T,H,W of the RGB clip (default %(default)s)")
    p.add_argument("--settings", default=",".join(map(str, SETTINGS)), help="log2 max_values (default %(default)s)")
    p.add_argument("--one", type=int, help="run one log2 max_values setting in this process (prints JSON)")
    p.add_argument("--out", default=None, help="also write the rows to this JSON file (e.g. results/evaluation-memory-cpu.json)")
    args = p.parse_args(argv)
    shape = tuple(int(v) for v in args.shape.split(","))
    if args.one:
        print(json.dumps(one(1 << args.one, shape)))
        return 0
    floats = MEMBERS * shape[0] * shape[1] * shape[2] * 3
    print(f"clip {shape + (3,)}, K = {MEMBERS} SIREN {DEPTH}×{WIDTH}: {floats:,} predicted floats "
          f"({4 * floats / 2**20:.1f} MiB at once)")
    print("| max_values | frames per slab | peak rise (MiB) | seconds |")
    print("|---|---|---|---|")
    rows = []
    for setting in (int(v) for v in args.settings.split(",")):
        out = subprocess.run([sys.executable, "-m", "benchmarks.evaluation_memory", "--shape", args.shape,
                              "--one", str(setting)], check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| 2^{setting} | {r['slab_frames']} | {r['peak_rise_mib']:.1f} | {r['seconds']:.1f} |", flush=True)
        rows.append({"log2_max_values": setting, **r})
    if args.out:
        from spectral_inr.environment import environment

        Path(args.out).write_text(json.dumps({"shape": list(shape) + [3], "members": MEMBERS, "width": WIDTH,
                                              "depth": DEPTH, "all_predictions_mib": 4 * floats / 2**20,
                                              "rows": rows, "environment": environment()}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
