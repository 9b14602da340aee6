"""Sweeps sharded over several devices give the same result as on one device.

The device count of a JAX process is fixed when its backend starts, so every
multi-device run happens in a subprocess (``tests/scripts/sharded_sweep.py``)
with ``XLA_FLAGS=--xla_force_host_platform_device_count=N JAX_PLATFORMS=cpu``.

Findings (jax 0.10.2, CPU):
* 4 devices, 6 members (padded to 8, 2 per device) vs ``mesh=None`` (one
  batch of 6): equal to ~1e-7 absolute but **not** bitwise — each device runs a
  batch of 2 where the unsharded program runs a batch of 6, and XLA's batched
  matmuls round differently.  Hence the tolerance below.
* 2 processes × 2 devices (``jax.distributed`` on localhost, gloo CPU
  collectives) vs 1 process × 4 devices: **bitwise** identical (same per-device
  program), including an orbax checkpoint saved by both processes (the
  members gathered to the host, unpadded, written by process 0) and a resume
  from it.  That test is ``@pytest.mark.slow`` (~25 s on 2 cores); run
  it with ``pytest -m slow tests/test_train_sharding.py``.
* Sharded checkpoint → resume (4 devices, padded member axis): bitwise.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).parent / "scripts" / "sharded_sweep.py"
STEPS = 60
K = 6


def _env(devices: int) -> dict:
    env = dict(os.environ)
    # this working tree's package (the script's own folder, not the current one, heads its sys.path)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).resolve().parent.parent),
                                                    env.get("PYTHONPATH", "")) if p)
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    env["JAX_PLATFORMS"] = "cpu"
    return env


def _params(d, prefix):
    return {k[len(prefix):]: d[k] for k in d.files if k.startswith(prefix)}


@pytest.fixture(scope="module")
def four_devices(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sharded")
    out = tmp / "four.npz"
    proc = subprocess.run([sys.executable, str(SCRIPT), str(out), "--steps", str(STEPS),
                           "--checkpoint-dir", str(tmp / "ckpt")], env=_env(4),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return np.load(out)


def test_sharded_sweep_equals_unsharded(four_devices):
    d = four_devices
    assert int(d["device_count"]) == 4 and int(d["process_count"]) == 1
    # The final state really was sharded: every leaf's member axis padded 6 -> 8, spread over the 4 devices,
    # 2 members per device, not replicated.
    sharded = d["sharded_layouts"]
    assert len(sharded) > 10
    assert {tuple(row) for row in sharded} == {(8, 4, 0, 4, 2)}
    # ... and with mesh=None everything lives on one device, unpadded.
    assert {tuple(row) for row in d["single_layouts"]} == {(K, 1, 1, 1, K)}

    # Padding members are dropped from the results.
    assert d["sharded_loss"].shape == d["single_loss"].shape == (K, STEPS)
    assert not d["sharded_diverged"].any() and np.all(np.isfinite(d["sharded_loss"]))
    # Same numbers up to batched-matmul rounding (batch 2 per device vs batch 6: not bitwise).
    np.testing.assert_allclose(d["sharded_loss"], d["single_loss"], rtol=1e-5, atol=1e-7)
    sp, up = _params(d, "sharded_param"), _params(d, "single_param")
    assert sp.keys() == up.keys() and len(sp) == 6
    for name in sp:
        assert sp[name].shape[0] == K
        # Adam normalises each update, so tiny weights carry the same absolute rounding as large ones:
        # tolerance relative to the leaf's scale.
        np.testing.assert_allclose(sp[name], up[name], rtol=1e-4, atol=1e-4 * np.abs(up[name]).max(), err_msg=name)
    # Members differ from each other (the padding did not leak a copied member into the results).
    assert len({tuple(np.round(row, 6)) for row in d["sharded_loss"][:, -5:]}) == K


def test_sharded_checkpoint_resume_is_bitwise(four_devices):
    """Checkpoint the sharded (padded) state, drop the last checkpoint, resume: bitwise the same final state."""
    d = four_devices
    assert np.array_equal(d["resumed_loss"], d["sharded_loss"])
    assert bool(d["resumed_equal"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_process_distributed_sweep(four_devices, tmp_path):
    """``jax.distributed`` with 2 local processes × 2 CPU devices = the 1-process × 4-device result, bitwise."""
    out = tmp_path / "multi.npz"
    port = _free_port()
    procs = [subprocess.Popen([sys.executable, str(SCRIPT), str(out), "--steps", str(STEPS), "--process-id", str(i),
                               "--num-processes", "2", "--port", str(port), "--checkpoint-dir", str(tmp_path / "ckpt")],
                              env=_env(2), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for i in range(2)]
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=240)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert all(p.returncode == 0 for p in procs), "\n".join(log[-3000:] for log in logs)
    d = np.load(out)
    assert int(d["device_count"]) == 4 and int(d["local_device_count"]) == 2 and int(d["process_count"]) == 2
    # Each process holds 2 of the 4 shards (1 padded-pair of members per device).
    assert {tuple(row) for row in d["sharded_layouts"]} == {(8, 4, 0, 2, 2)}
    assert d["sharded_loss"].shape == (K, STEPS)
    ref = four_devices
    assert np.array_equal(d["sharded_loss"], ref["sharded_loss"])
    mp, sp = _params(d, "sharded_param"), _params(ref, "sharded_param")
    assert mp.keys() == sp.keys()
    for name in mp:
        assert np.array_equal(mp[name], sp[name]), name
    # Multi-process orbax checkpoint + resume: bitwise.  The checkpoint holds the members gathered
    # to the host, unpadded (any device or process count resumes it), written by process 0 alone.
    assert np.array_equal(d["resumed_loss"], d["sharded_loss"]) and bool(d["resumed_equal"])
    state = tmp_path / "ckpt" / "60" / "state"
    assert (state / "ocdbt.process_0").is_dir() and not (state / "ocdbt.process_1").exists()
