"""Benchmark 2 — many small fields at once: K MNIST digits (28×28) fitted by K SIRENs 3×32.

``train.sweep(fitter, grid, digits, members, steps, member_targets=True)`` fits all K in one
program; the baseline fits the same digits one after another with ``train.fit``.  Reported:
fields per second for each, their ratio, and memory per field (XLA's own accounting of the
compiled chunk: arguments + outputs + temporaries, ``Compiled.memory_analysis()``), with the
largest K whose program fits in 8 GiB (a linear fit of bytes against K).

Three ways of running the sweep, each a ``member_block`` setting (see ``train.sweep``):

* ``one vmap``   — ``member_block=None``: every layer is one batched op over all K members;
* ``blocks``     — ``member_block="auto"``: a device's members run in cache-sized blocks;
* ``devices=N``  — ``blocks`` with the member axis sharded over N XLA:CPU devices, one per
  core (a child process started with ``XLA_FLAGS=--xla_force_host_platform_device_count=N``,
  since the device count is fixed when JAX starts).

All timings are warm: a first call with the same shapes compiles every program.  The
sequential rate is the median of ``--many-seq`` warm fits (it does not depend on K).

Like against like: a one-device row is divided by the rate of sequential fits in one process;
a ``devices=N`` row, which uses every core, by the combined rate of N processes fitting digits
one after another at the same time (each compiles first, then all start timing together).
Run alone: ``python -m benchmarks.many_fields --k 16,64 --steps 100`` prints JSON.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys

import numpy as np

import jax

from spectral_inr import models, train

from benchmarks.timing import compiled_bytes, log, timed

sweep_lib = importlib.import_module("spectral_inr.train.sweep")   # the module (train.sweep is the function)

GIB8 = 8 * 2 ** 30
WIDTH, DEPTH, SIDE = 32, 3, 28
CHUNK = 100


def digits(k: int, data_dir=None) -> tuple[np.ndarray, str]:
    """``(k, 784, 1)`` targets in [0, 1]: the first k MNIST training digits, else synthetic blobs."""
    root = data_dir or os.environ.get("SPECTRAL_INR_DATA") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                                           "shared", "data")
    path = os.path.join(root, "mnist")
    if os.path.isdir(path):
        from spectral_inr.data import mnist  # noqa: PLC0415

        images = mnist.load_mnist("train", data_dir=root)[0][:k]
        images = np.asarray(images, np.float32).reshape(k, -1) / 255.0
        return images[:, :, None], "MNIST training digits 0..K-1"
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE] / (SIDE - 1)
    c = rng.uniform(0.25, 0.75, (k, 2, 1, 1))
    img = np.exp(-((yy - c[:, 0]) ** 2 + (xx - c[:, 1]) ** 2) / 0.02)
    return img.reshape(k, -1, 1).astype(np.float32), "synthetic Gaussian blobs (no MNIST found)"


def grid() -> np.ndarray:
    t = np.linspace(-1, 1, SIDE, dtype=np.float32)
    return np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)


def _fitter():
    model = models.Siren(out_features=1, width=WIDTH, depth=DEPTH)
    return train.Fitter(model_fn=lambda hp: model)


def _program_bytes(fitter, x, y, members, member_block, chunk) -> int:
    """Bytes XLA allocates for one chunk of the sweep's program (arguments, outputs, temporaries)."""
    blocks = sweep_lib.member_blocks(fitter, x, members, max(1, jax.device_count()), member_block)
    k = blocks[0] * blocks[1] * blocks[2]
    init, run = sweep_lib._compiled(fitter, True, False, blocks)
    hp, keys = sweep_lib._hp_of(members)
    hp = {n: np.resize(v, k) for n, v in hp.items()}
    state = jax.eval_shape(init, np.resize(keys, (k,) + keys.shape[1:]), hp, x)
    ys = jax.ShapeDtypeStruct((k,) + y.shape[1:], y.dtype)
    return compiled_bytes(run.lower(state, hp, x, ys, chunk).compile())


def measure(ks, steps: int, modes, seq_fits: int, data_dir=None) -> dict:
    """Sweep rows for ``modes`` (``"one vmap"``, ``"blocks"``) in this process, plus the sequential rate."""
    fitter = _fitter()
    x = grid()
    ys, source = digits(max(ks), data_dir)
    chunk = min(CHUNK, steps)
    kw = dict(chunk=chunk, progress=False)
    hp = {"lr": 1e-4}
    seq = None
    if seq_fits:
        train.fit(fitter, x, ys[0], hp, chunk, seed=0, mesh=None, **kw)     # compile
        walls = [timed(lambda i=i: train.fit(fitter, x, ys[i], hp, steps, seed=i, mesh=None, **kw))
                 for i in range(seq_fits)]
        seq = {"fits": seq_fits, "fit_walls_s": walls, "fit_median_s": statistics.median(walls),
               "fields_per_s": 1.0 / statistics.median(walls)}
        log(f"many fields: sequential {statistics.median(walls):.3f} s per fit")
    rows = []
    for mode in modes:
        block = None if mode == "one vmap" else "auto"
        for k in ks:
            members = train.grid(seeds=k, lr=[1e-4])
            train.sweep(fitter, x, ys[:k], members, chunk, member_targets=True, member_block=block, **kw)
            wall = timed(lambda: train.sweep(fitter, x, ys[:k], members, steps, member_targets=True,
                                             member_block=block, **kw))
            blocks = sweep_lib.member_blocks(fitter, x, members, max(1, jax.device_count()), block)
            nbytes = _program_bytes(fitter, x, ys[:k], members, block, chunk)
            rows.append({"mode": mode if jax.device_count() == 1 else f"devices={jax.device_count()}",
                         "K": k, "blocks": list(blocks), "wall_s": wall, "fields_per_s": k / wall,
                         "member_steps_per_s": k * steps / wall, "program_bytes": nbytes,
                         "bytes_per_field": nbytes / k})
            log(f"many fields: {rows[-1]['mode']} K={k}: {wall:.2f} s, {k / wall:.1f} fields/s")
    return {"sequential": seq, "rows": rows, "source": source}


def _child(ks, steps, devices: int, data_dir) -> dict:
    """``measure`` for ``blocks`` in a child process with ``devices`` XLA:CPU devices."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={devices}").strip()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [sys.executable, "-m", "benchmarks.many_fields", "--k", ",".join(map(str, ks)), "--steps", str(steps),
           "--modes", "blocks", "--seq", "0"] + (["--data", data_dir] if data_dir else [])
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"many-fields child failed: {proc.stderr[-800:]}")
    return json.loads(proc.stdout)


def _worker(fits: int, steps: int, offset: int, data_dir) -> dict:
    """One sequential process of the N-process baseline: compile, say ``ready``, wait for ``go``, fit."""
    fitter, x = _fitter(), grid()
    ys, _ = digits(offset + fits, data_dir)
    kw = dict(chunk=min(CHUNK, steps), progress=False)
    train.fit(fitter, x, ys[offset], {"lr": 1e-4}, kw["chunk"], seed=0, mesh=None, **kw)     # compile
    print("ready", flush=True)
    sys.stdin.readline()
    walls = [timed(lambda i=i: train.fit(fitter, x, ys[offset + i], {"lr": 1e-4}, steps, seed=i, mesh=None, **kw))
             for i in range(fits)]
    return {"fit_walls_s": walls, "total_s": sum(walls)}


def sequential_processes(n: int, fits: int, steps: int, data_dir=None) -> dict:
    """Fields per second of ``n`` processes each fitting ``fits`` digits one after another, concurrently."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    procs = [subprocess.Popen([sys.executable, "-m", "benchmarks.many_fields", "--worker", str(i * fits),
                               "--seq", str(fits), "--steps", str(steps)] + (["--data", data_dir] if data_dir else []),
                              cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for i in range(n)]
    for p in procs:   # every process compiled: start the timed fits together
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("many-fields baseline worker failed before timing")
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    out = []
    for p in procs:
        stdout, _ = p.communicate()
        if p.returncode:
            raise RuntimeError(f"many-fields baseline worker exited {p.returncode}")
        out.append(json.loads(stdout))
    wall = max(o["total_s"] for o in out)
    log(f"many fields: {n} sequential processes, {n * fits / wall:.1f} fields/s")
    return {"processes": n, "fits_each": fits, "walls_s": [o["total_s"] for o in out],
            "fields_per_s": n * fits / wall}


def largest_k(rows, budget=GIB8):
    """Largest K whose program fits in ``budget`` bytes, from a line through (K, bytes) of the rows."""
    pts = [(r["K"], r["program_bytes"]) for r in rows if r["program_bytes"] > 0]
    if len(pts) < 2:
        return None
    slope, intercept = np.polyfit(*np.asarray(pts, float).T, 1)
    return int((budget - intercept) // slope) if slope > 0 else None


def bench(args) -> dict:
    """The many-fields section of the report."""
    ks, steps = args.many_k, args.many_steps
    log(f"many fields: K={ks}, {steps} steps, SIREN {DEPTH}×{WIDTH} on {SIDE}×{SIDE}")
    cpu = jax.default_backend() == "cpu"
    out = measure(ks, steps, ["blocks" if cpu else "one vmap"], args.many_seq, args.data)   # GPU: one block
    if cpu:
        one = measure([k for k in ks if k <= args.many_vmap_max_k], steps, ["one vmap"], 0, args.data)
        out["rows"] = one["rows"] + out["rows"]
        cores = os.cpu_count() or 1
        if cores > 1:
            out["rows"] += _child(ks, steps, cores, args.data)["rows"]
    seq = out["sequential"]["fields_per_s"]
    baselines = {1: (seq, "sequential fits in one process")}
    for n in sorted({int(r["mode"].split("=")[1]) for r in out["rows"] if r["mode"].startswith("devices=")}):
        out[f"sequential_processes_{n}"] = sequential_processes(n, args.many_seq, steps, args.data)
        baselines[n] = (out[f"sequential_processes_{n}"]["fields_per_s"], f"{n} sequential processes at once")
    for r in out["rows"]:
        r["ratio_vs_sequential"] = r["fields_per_s"] / seq   # one process, whatever the row uses
        n = int(r["mode"].split("=")[1]) if r["mode"].startswith("devices=") else 1
        r["baseline"] = baselines[n][1]
        r["ratio_vs_baseline"] = r["fields_per_s"] / baselines[n][0]   # like against like
    modes = sorted({r["mode"] for r in out["rows"]})
    out["largest_k_in_8gib"] = {m: largest_k([r for r in out["rows"] if r["mode"] == m]) for m in modes}
    out["config"] = {"model": f"Siren(out_features=1, width={WIDTH}, depth={DEPTH})", "pixels": SIDE * SIDE,
                     "steps": steps, "chunk": min(CHUNK, steps), "lr": 1e-4, "signals": out.pop("source"),
                     "sequential": f"median of {args.many_seq} warm train.fit calls, one digit each"}
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.many_fields")
    p.add_argument("--k", default="16,64")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--modes", default="blocks")
    p.add_argument("--seq", type=int, default=4)
    p.add_argument("--data", default=None)
    p.add_argument("--worker", type=int, default=None, metavar="OFFSET",
                   help="be one process of the N-process baseline: --seq fits from digit OFFSET on")
    a = p.parse_args(argv)
    if a.worker is not None:
        print(json.dumps(_worker(a.seq, a.steps, a.worker, a.data)))
        return
    ks = [int(k) for k in a.k.split(",")]
    print(json.dumps(measure(ks, a.steps, a.modes.split(","), a.seq, a.data)))


if __name__ == "__main__":
    main()
