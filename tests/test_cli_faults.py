"""Faults, end to end through the ``spectral-inr`` CLI (real subprocesses).

* ``kill -9`` of a running ``fit`` / ``sweep`` at a random checkpoint, then the
  same command with ``--resume``: it continues from the last complete
  checkpoint and ends with **bitwise** the metrics of an uninterrupted run
  (``metrics.json`` minus ``seconds``) and a byte-identical reconstruction.
* a half-written (orbax ``<step>.orbax-checkpoint-tmp``) checkpoint folder and a
  step folder without orbax's commit marker are ignored in favour of the last
  complete checkpoint;
* ``--resume`` that does not match the run, and a fresh run into a directory that
  holds checkpoints, fail with one line and leave the directory as it was;
* determinism: the same command twice gives byte-identical ``metrics.json``
  (minus ``seconds``); ``--seeds 2`` gives different per-seed values;
* read-only output location and a full disk (a 32 KiB tmpfs) give a clear
  error and leave no output directory;
* a sweep whose huge-lr members diverge reports them (member, step) and the
  others finish;
* float32 accuracy of the sine at SIREN's audio ω0 = 3000.

The engine-level versions of kill/resume/NaN live in ``tests/test_train*.py``.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import relfiles  # noqa: E402
from relcli import (assert_one_line_error, canonical, metrics_without_seconds, run_cli, start_cli,  # noqa: E402
                    stderr_lines, step_dirs)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals and tmpfs")

STEPS, CHUNK = 60, 10
EVERY = CHUNK * max(1, (STEPS // 10) // CHUNK)     # the CLI's checkpoint interval: 10 steps
TMP_SUFFIX = ".orbax-checkpoint-tmp"               # orbax 0.12: <step>.orbax-checkpoint-tmp, renamed when complete
MODEL_ARGS = ["--width", "16", "--depth", "1", "--chunk", str(CHUNK)]
RNG = random.Random(int(os.environ.get("RELIABILITY_SEED", "0")) or None)   # "random step"; seed to reproduce


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    relfiles.png_rgb(root / "img.png")
    (root / "jax_cache").mkdir()
    return root


def fit_args(work: Path, out: Path, command: str = "fit", steps: int = STEPS) -> list:
    """Every run of this module has K = 2 members (two seeds, or two lrs: lr is a traced
    value) and chunk 10, so all share one compiled program (persistent cache)."""
    if command == "fit":
        return ["fit", work / "img.png", *MODEL_ARGS, "--steps", str(steps), "--seeds", "2", "--out", out]
    return ["sweep", work / "img.png", *MODEL_ARGS, "--steps", str(steps), "--lr", "1e-3,3e-4", "--seeds", "1",
            "--out", out]


def cli(work: Path, args, **kwargs) -> subprocess.CompletedProcess:
    return run_cli(args, cache_dir=work / "jax_cache", **kwargs)


@pytest.fixture(scope="module")
def mount_tmpfs():
    """``mount(dir, options)``: a tmpfs at ``dir`` (needs root; ``None`` if mounting is not allowed)."""
    mounted = []

    def mount(directory: Path, options: str):
        directory.mkdir(parents=True, exist_ok=True)
        if shutil.which("mount") is None or shutil.which("umount") is None:
            return None
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], capture_output=True,
                           text=True)
        if r.returncode != 0:
            return None
        mounted.append(directory)
        return directory

    yield mount
    for d in reversed(mounted):
        subprocess.run(["umount", "-l", str(d)], capture_output=True)


@pytest.fixture(scope="module")
def jobs(work, mount_tmpfs):
    """The module's independent CLI runs, two at a time in the background (2 cores).

    The reference run compiles the shared program first; the runs that would compile
    it too wait for it and then load it from the persistent cache."""
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {}
    ref = futures["reference-fit"] = pool.submit(cli, work, fit_args(work, work / "reference-fit"))

    def after_reference(args, **kwargs):
        ref.result()
        return cli(work, args, **kwargs)

    # no compilation needed: they fail before training
    ro = mount_tmpfs(work / "ro", "ro,size=64k")
    if ro is not None:
        futures["read-only"] = pool.submit(cli, work, fit_args(work, ro / "out", steps=2))
    futures["no-checkpoints"] = pool.submit(cli, work, [*fit_args(work, work / "no-ckpt"), "--resume"])
    # after the reference
    futures["again-fit"] = pool.submit(after_reference, fit_args(work, work / "again-fit"))
    futures["diverging-sweep"] = pool.submit(
        after_reference, ["sweep", work / "img.png", *MODEL_ARGS, "--steps", "20", "--lr", "1e-3,1e30",
                          "--out", work / "diverging-sweep"])

    def on_a_copy_of_the_reference(name, steps, *extra):
        ref.result()
        out = work / name
        shutil.copytree(work / "reference-fit", out)
        before = {p.relative_to(out): p.stat().st_mtime_ns for p in out.rglob("*")}
        return cli(work, [*fit_args(work, out, steps=steps), *extra]), out, before

    futures["different-run"] = pool.submit(on_a_copy_of_the_reference, "different-run", STEPS, "--resume", "--lr",
                                           "0.002")
    futures["used-directory"] = pool.submit(on_a_copy_of_the_reference, "used-directory", STEPS)
    # 32 KiB: less than one checkpoint of K = 2 tiny members (~48 KiB, 14 files of whole pages)
    full = mount_tmpfs(work / "full", "size=32k")
    if full is not None:
        futures["disk-full"] = pool.submit(after_reference, fit_args(work, full / "out", steps=20))
    yield futures
    pool.shutdown(wait=True)


def job(jobs, name: str) -> subprocess.CompletedProcess:
    if name not in jobs:
        pytest.skip(f"{name}: could not mount a tmpfs here (needs root)")
    return jobs[name].result()


@pytest.fixture(scope="module")
def reference(work, jobs):
    """Uninterrupted runs: ``reference(command) -> out dir`` (the sweep one only when asked)."""
    outs = {}

    def get(command: str) -> Path:
        if command not in outs:
            out = work / f"reference-{command}"
            proc = jobs["reference-fit"].result() if command == "fit" else cli(work, fit_args(work, out, command))
            assert proc.returncode == 0, proc.stderr[-3000:]
            outs[command] = out
        return outs[command]

    return get


# --------------------------------------------------------------------------- kill -9 and --resume
def kill_at_random_checkpoint(args, out: Path, log_dir: Path, cache_dir: Path) -> int:
    """Start the CLI, wait until a randomly chosen early checkpoint is complete, SIGKILL it.

    Returns the last complete checkpoint step at the time of the kill."""
    target = RNG.choice([EVERY, 2 * EVERY, 3 * EVERY])
    proc = start_cli(args, log_dir, cache_dir=cache_dir)
    try:
        deadline = time.monotonic() + 240
        # orbax keeps the 2 newest step folders, so wait for "some step >= target"
        while max(step_dirs(out / "checkpoints"), default=0) < target:
            assert proc.poll() is None, \
                f"exited early ({proc.returncode}):\n{(log_dir / 'stderr.txt').read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no step-{target} checkpoint within 240 s"
            time.sleep(0.005)
        time.sleep(RNG.uniform(0.0, 0.05))
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "metrics.json").exists()
    steps = step_dirs(out / "checkpoints")
    assert steps and max(steps) < STEPS, steps
    return max(steps)


@pytest.mark.parametrize("command", ["fit", pytest.param("sweep", marks=pytest.mark.slow)])
def test_sigkill_then_resume_equals_uninterrupted(command, work, reference, tmp_path):
    ref = reference(command)           # also: the compiled program is in the cache before the kill run starts
    out = tmp_path / "out"
    args = fit_args(work, out, command)
    last = kill_at_random_checkpoint(args, out, tmp_path / "log", work / "jax_cache")
    print(f"{command}: killed with the last complete checkpoint at step {last} of {STEPS}")
    # What a kill during the *next* save leaves behind: orbax's temporary folder, half written ...
    ckpt = out / "checkpoints"
    partial = ckpt / f"{last + EVERY}{TMP_SUFFIX}"
    partial.mkdir(exist_ok=True)
    (partial / "garbage").write_bytes(b"\0" * 100)
    # ... and a step folder without orbax's commit marker (an interrupted copy, a crash between
    # rename and commit): a full-looking copy of the last step under the next step's name.
    shutil.copytree(ckpt / str(last), ckpt / str(last + EVERY))
    (ckpt / str(last + EVERY) / "commit_success.txt").unlink()

    proc = cli(work, [*args, "--resume"])
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    resumed, full = metrics_without_seconds(out), metrics_without_seconds(ref)
    assert canonical(resumed) == canonical(full)        # every float equal: bitwise
    assert (out / "reconstruction.png").read_bytes() == (ref / "reconstruction.png").read_bytes()
    assert step_dirs(out / "checkpoints")[-1] == STEPS
    if command == "sweep":
        assert (out / "sweep.md").read_text() == (ref / "sweep.md").read_text()


def test_sweep_started_on_two_devices_resumes_on_one(work, tmp_path):
    """The multi-core recipe (``XLA_FLAGS=--xla_force_host_platform_device_count=2``, docs/engine.md) on
    a 3-member sweep pads the members to 4; the checkpoint stores 3, so a default (one-device) process
    resumes it.  After the resume the steps run in the one-device program, which rounds differently
    from the two-device one: the PSNRs agree with the uninterrupted two-device run to 1e-4 dB, not
    bitwise (tests/test_train_resume.py::test_resume_on_another_device_count measures it)."""
    out = tmp_path / "out"
    args = ["sweep", work / "img.png", *MODEL_ARGS, "--steps", "20", "--lr", "1e-3,3e-4,1e-4", "--out", out]
    proc = cli(work, args, env={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    two_devices = json.loads((out / "metrics.json").read_text())
    assert step_dirs(out / "checkpoints") == [10, 20]
    shutil.rmtree(out / "checkpoints" / "20")          # as if killed before the last checkpoint
    (out / "metrics.json").unlink()
    proc = cli(work, ["sweep", "--resume", "--out", out])
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    resumed = json.loads((out / "metrics.json").read_text())
    assert step_dirs(out / "checkpoints")[-1] == 20 and len(resumed["members"]) == 3
    np.testing.assert_allclose(resumed["psnr"]["per_seed"], two_devices["psnr"]["per_seed"], rtol=0, atol=1e-4)


def _unchanged(out: Path, before: dict) -> bool:
    return {p.relative_to(out): p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_resume_of_a_different_run_fails_and_keeps_the_directory(jobs):
    """``--resume`` with other settings (here ``--lr``) refuses the checkpoint with one
    line and must not delete or change a directory it did not create."""
    proc, out, before = job(jobs, "different-run")
    assert_one_line_error(proc, "different run", str(out / "checkpoints"), "--lr 0.002 here, (unset) there")
    assert _unchanged(out, before)


def test_fresh_run_into_a_used_directory_fails_and_keeps_it(jobs):
    """The same command again without ``--resume`` must neither overwrite nor silently resume."""
    proc, out, before = job(jobs, "used-directory")
    assert_one_line_error(proc, str(out / "checkpoints"), "already holds checkpoints")
    assert _unchanged(out, before)


def test_resume_without_checkpoints_is_a_clear_error(work, jobs):
    assert_one_line_error(job(jobs, "no-checkpoints"), "--resume", "no checkpoints", str(work / "no-ckpt"),
                          out=work / "no-ckpt")


# --------------------------------------------------------------------------- determinism
def test_same_command_twice_is_bitwise_identical(work, reference, jobs):
    proc = job(jobs, "again-fit")
    assert proc.returncode == 0, proc.stderr[-3000:]
    ref, again = reference("fit"), work / "again-fit"
    assert canonical(metrics_without_seconds(ref)) == canonical(metrics_without_seconds(again))
    assert (again / "reconstruction.png").read_bytes() == (ref / "reconstruction.png").read_bytes()


def test_different_seeds_differ(reference):
    m = metrics_without_seconds(reference("fit"))
    assert [mm["seed"] for mm in m["members"]] == [0, 1]
    for name in ("psnr", "best_psnr", "ssim", "gradient_psnr"):
        s0, s1 = m[name]["per_seed"]
        assert np.isfinite([s0, s1]).all() and s0 != s1, (name, s0, s1)
    assert m["diverged"] == []


# --------------------------------------------------------------------------- read-only and full disks
def test_read_only_parent_chmod(work, tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        if os.access(parent, os.W_OK):
            pytest.skip("running as root: chmod 0o555 does not stop writes (the read-only mount test covers it)")
        out = parent / "out"
        assert_one_line_error(cli(work, fit_args(work, out, steps=2)), "Permission denied", str(out), out=out)
    finally:
        parent.chmod(0o755)


def test_read_only_filesystem(work, jobs):
    out = work / "ro" / "out"
    assert_one_line_error(job(jobs, "read-only"), "Read-only file system", str(out), out=out)


def test_disk_full_fails_cleanly(work, jobs):
    """Output on a 32 KiB tmpfs: the first checkpoint cannot be written."""
    proc, out = job(jobs, "disk-full"), work / "full" / "out"
    assert proc.returncode == 1
    last = stderr_lines(proc.stderr)[-1]
    assert last.startswith("spectral-inr: error: ") and "No space left on device" in last, last
    assert "checkpoint" in last and str(out) in last, last
    assert not out.exists() and os.listdir(out.parent) == []      # nothing left behind, space given back


def test_disk_full_stderr_is_one_line(work, jobs):
    assert_one_line_error(job(jobs, "disk-full"), "No space left on device", out=work / "full" / "out")


# --------------------------------------------------------------------------- divergence in a sweep
@pytest.fixture(scope="module")
def diverging_sweep(work, jobs):
    """lr 1e30: the first update sends the weights to ~1e30 and the loss to inf.
    (lr 1e6 does *not* diverge: sines are bounded and Adam's step is ~lr, so the loss
    stays finite - badly trained, but not non-finite, hence not 'diverged'.)"""
    proc, out = job(jobs, "diverging-sweep"), work / "diverging-sweep"
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, out, json.loads((out / "metrics.json").read_text())


def test_diverged_members_are_reported_and_the_others_finish(diverging_sweep):
    proc, out, m = diverging_sweep
    assert [mm["lr"] for mm in m["members"]] == [1e-3, 1e30]
    assert len(m["diverged"]) == 1
    d = m["diverged"][0]
    assert d["member"] == 1 and isinstance(d["step"], int) and 0 <= d["step"] < 20, d
    assert m["steps"] == 20
    ok, bad = m["psnr"]["per_seed"]
    assert np.isfinite(ok) and ok > 0
    assert np.isfinite(m["best_psnr"]["per_seed"]).all()       # best-so-far survives the divergence
    assert (out / "reconstruction.png").is_file()               # picked from the finite member
    assert "1e+30" in (out / "sweep.md").read_text()


def test_sweep_table_marks_diverged_members(diverging_sweep):
    proc, out, m = diverging_sweep
    row = next(line for line in (out / "sweep.md").read_text().splitlines() if line.startswith("| 1e+30"))
    assert "diverged" in row.lower()
    assert "diverged" in proc.stdout.lower()


def test_diverging_sweep_prints_no_warnings(diverging_sweep):
    proc, _, _ = diverging_sweep
    assert "Warning" not in proc.stderr, proc.stderr


# --------------------------------------------------------------------------- fp32 sine at ω0 = 3000
@pytest.fixture(scope="module")
def audio_first_layer():
    rng = np.random.default_rng(0)
    x = np.linspace(-1, 1, 150000, dtype=np.float32)          # SIREN² audio: 150000 samples on [-1, 1]
    w = rng.uniform(-1, 1, (1, 16)).astype(np.float32)        # SIREN first layer, fan_in 1: U(±1)
    b = rng.uniform(-1, 1, (16,)).astype(np.float32)          # PyTorch bias U(±1/√1)
    z = x[:, None] @ w + b                                     # float32, as in SineLayer
    return x, w, b, z, np.float32(3000.0) * z


def test_library_sine_at_omega0_3000_matches_float64(audio_first_layer):
    import jax.numpy as jnp

    from spectral_inr import ops

    *_, arg = audio_first_layer
    assert np.abs(arg).max() > 3000
    s = np.asarray(ops.sin(jnp.asarray(arg)))
    assert s.dtype == np.float32 and np.isfinite(s).all()
    err = np.abs(s - np.sin(arg.astype(np.float64))).max()
    print(f"ops.sin ({ops.resolved_sine_impl()}) vs float64 sine of the same float32 argument: {err:.2e}")
    assert err < 1e-5 and err <= ops.FAST_SINE_MAX_ABS_ERR


def test_float32_argument_rounding_is_the_accuracy_limit(audio_first_layer):
    """Against a float64 pipeline, the error is the float32 rounding of ω0·(wx + b), not the sine:
    |arg| ≤ 6000 has an ulp of 4.9e-4, so ~5e-4 of sine error is inherent to float32 (also for jnp.sin)."""
    import jax.numpy as jnp

    from spectral_inr import ops

    x, w, b, _, arg = audio_first_layer
    arg64 = 3000.0 * (x.astype(np.float64)[:, None] @ w.astype(np.float64) + b)
    ulp = np.spacing(np.float32(np.abs(arg64).max()))
    err_lib = np.abs(np.asarray(ops.sin(jnp.asarray(arg))) - np.sin(arg64)).max()
    err_xla = np.abs(np.asarray(jnp.sin(jnp.asarray(arg))) - np.sin(arg64)).max()
    print(f"vs float64 pipeline: library {err_lib:.2e}, jnp.sin {err_xla:.2e}, float32 ulp at |arg| max {ulp:.2e}")
    assert err_lib <= 1.5 * ulp and err_lib <= err_xla + 1e-6


def test_siren_forward_with_first_omega0_3000_matches_float64():
    import jax

    from spectral_inr import models

    x = np.linspace(-1, 1, 150000, dtype=np.float32)[:, None]
    model = models.Siren(out_features=1, width=16, depth=2, omega0=30.0, first_omega0=3000.0)
    params = model.init(jax.random.PRNGKey(0), x[:2])["params"]
    y32 = np.asarray(jax.jit(model.apply)({"params": params}, x))
    assert y32.dtype == np.float32
    p = {k: {n: np.asarray(v, np.float64) for n, v in layer.items()} for k, layer in params.items()}
    h = x.astype(np.float64)
    for name, omega in (("layers_0", 3000.0), ("layers_1", 30.0)):
        h = np.sin(omega * (h @ p[name]["kernel"] + p[name]["bias"]))
    y64 = h @ p["layers_2"]["kernel"] + p["layers_2"]["bias"]
    rel = np.linalg.norm(y32 - y64) / np.linalg.norm(y64)
    print(f"SIREN (first ω0 3000, 150000 samples) float32 vs float64: relative L2 error {rel:.2e}")
    assert np.isfinite(y32).all() and rel < 1e-3
