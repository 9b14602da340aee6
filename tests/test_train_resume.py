"""Checkpoint / resume of sweeps (orbax 0.12.8).

Findings: a run killed with SIGKILL after its step-100 checkpoint and resumed
ends **bitwise** identical (history and full state) to the uninterrupted run.
On a local filesystem orbax 0.12.8 writes step ``s`` to
``<s>.orbax-checkpoint-tmp`` and renames it to ``<s>`` when complete (a
``commit_success.txt`` is written inside just before the rename); only
un-suffixed step folders are listed.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

from _common import (RESUME_MEMBERS, compile_cache_config, compile_cache_env,  # noqa: E402
                     disable_compile_cache, enable_compile_cache, siren_fitter)

from spectral_inr.train import CheckpointError, SweepCheckpointer, sweep  # noqa: E402

SCRIPT = Path(__file__).parent / "scripts" / "fit_until_killed.py"
DEVICES_SCRIPT = Path(__file__).parent / "scripts" / "resume_devices.py"
ROOT = Path(__file__).resolve().parent.parent
STEPS, CHUNK = 200, 50
TMP_SUFFIX = ".orbax-checkpoint-tmp"     # orbax 0.12.8: atomicity_types.TMP_DIR_SUFFIX, no timestamp appended


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("jax_cache")
    previous = compile_cache_config()
    enable_compile_cache(path)
    yield path
    disable_compile_cache(previous)


@pytest.fixture(scope="module")
def fitter():
    # One Fitter for the module: ``sweep`` caches its compiled init/run per Fitter object.
    return siren_fitter()


def run(fitter, data, directory, members=RESUME_MEMBERS, steps=STEPS, chunk=CHUNK, **kwargs):
    return sweep(fitter, *data, members, steps, chunk=chunk, checkpoint_dir=directory, mesh=None, progress=False,
                 **kwargs)


@pytest.fixture(scope="module")
def uninterrupted(cache_dir, fitter, data, tmp_path_factory):
    directory = tmp_path_factory.mktemp("full") / "ckpt"
    return run(fitter, data, directory), directory


def script_env(**extra) -> dict:
    """A subprocess environment that imports this working tree's ``spectral_inr`` (the script's own
    folder comes first on its ``sys.path``, not the current directory)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **{k: str(v) for k, v in extra.items()}}


def steps_in(directory) -> list[str]:
    return sorted(os.listdir(directory), key=lambda s: (len(s), s))


def assert_same_run(a, b):
    assert np.array_equal(a.history["loss"], b.history["loss"])
    same = jax.tree_util.tree_map(lambda x, y: np.array_equal(x, y, equal_nan=True), a.state, b.state)
    assert all(jax.tree_util.tree_leaves(same)), same


def test_uninterrupted_checkpoints(uninterrupted):
    r, directory = uninterrupted
    assert np.all(np.isfinite(r.history["loss"])) and r.history["loss"].shape == (2, STEPS)
    assert steps_in(directory) == ["150", "200"]            # keep=2 most recent
    assert SweepCheckpointer(directory).latest_step() == 200
    meta = json.loads((directory / "200" / "meta" / "metadata").read_text())
    assert meta["members"] == RESUME_MEMBERS and meta["steps"] == STEPS and meta["chunk"] == CHUNK


def test_resume_after_sigkill_equals_uninterrupted(uninterrupted, cache_dir, fitter, data, tmp_path):
    directory = tmp_path / "ckpt"
    env = script_env(**compile_cache_env(cache_dir))
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(directory), str(STEPS), str(CHUNK), "100", "120"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while not (directory / "100").is_dir():
            assert proc.poll() is None, f"child exited early:\n{proc.stdout.read()[-3000:]}"
            assert time.monotonic() < deadline, "no step-100 checkpoint within 180 s"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        out = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert "finished" not in out
    # Killed between the step-100 and step-150 checkpoints.
    assert [s for s in steps_in(directory) if TMP_SUFFIX not in s] == ["50", "100"]

    resumed = run(fitter, data, directory, resume=True)
    assert_same_run(resumed, uninterrupted[0])                # bitwise
    assert steps_in(directory) == ["150", "200"]


def _copy_of(uninterrupted, tmp_path):
    directory = tmp_path / "ckpt"
    shutil.copytree(uninterrupted[1], directory)
    return directory


def test_partial_write_is_ignored(uninterrupted, fitter, data, tmp_path):
    """An interrupted orbax write (the ``.orbax-checkpoint-tmp`` folder it renames when done) is not resumed from."""
    directory = _copy_of(uninterrupted, tmp_path)
    # What a kill during the step-200 save leaves behind: its temporary folder, half written.
    partial = directory / ("200" + TMP_SUFFIX)
    (directory / "200").rename(partial)
    shutil.rmtree(partial / "state" / "ocdbt.process_0")
    (partial / "commit_success.txt").unlink()
    assert SweepCheckpointer(directory).latest_step() == 150

    resumed = run(fitter, data, directory, resume=True)      # runs steps 150..200 again
    assert_same_run(resumed, uninterrupted[0])
    # orbax removed the stale temporary folder when it wrote step 200 again.
    assert steps_in(directory) == ["150", "200"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_incomplete_step_folder_is_ignored(uninterrupted, fitter, data, tmp_path):
    """A step folder without orbax's ``commit_success.txt`` (e.g. an interrupted rsync/copy of a checkpoint
    directory, or a crash on a filesystem without atomic rename) is not a complete checkpoint."""
    directory = _copy_of(uninterrupted, tmp_path)
    shutil.rmtree(directory / "200" / "state" / "ocdbt.process_0")
    (directory / "200" / "commit_success.txt").unlink()
    (directory / "200" / "state" / "commit_success.txt").unlink()
    resumed = run(fitter, data, directory, resume=True)
    assert_same_run(resumed, uninterrupted[0])


@pytest.mark.parametrize("change", ["members", "chunk", "config"])
def test_resume_with_a_different_run_raises(uninterrupted, fitter, data, tmp_path, change):
    directory = _copy_of(uninterrupted, tmp_path)
    kwargs = {"members": [dict(m, lr=2 * m["lr"]) for m in RESUME_MEMBERS]} if change == "members" else \
        {"chunk": 25} if change == "chunk" else {"config": {"run": "b"}}
    with pytest.raises(CheckpointError, match="different run"):
        run(fitter, data, directory, resume=True, **kwargs)


def test_resume_mismatch_is_one_error_naming_each_difference(uninterrupted, fitter, data, tmp_path):
    """The checkpoint object answers "same run?" once, in the one format the CLI uses too."""
    directory = _copy_of(uninterrupted, tmp_path)
    with pytest.raises(CheckpointError) as caught:
        run(fitter, data, directory, resume=True, steps=250, config={"run": "b"})
    # the step count is the run's length, not its identity: 250 here would extend it (not named)
    assert str(caught.value) == (f"checkpoint in {directory} belongs to a different run "
                                 "(config.run b here, (absent) there); not resuming")
    assert steps_in(directory) == ["150", "200"]             # nothing written


def test_stored_meta_reads_without_touching_the_directory(uninterrupted, tmp_path):
    from spectral_inr.train import stored_meta
    directory = _copy_of(uninterrupted, tmp_path)
    (directory / "300").mkdir()                              # incomplete: a manager would remove it
    assert stored_meta(directory)["steps"] == STEPS and stored_meta(directory, 150)["chunk"] == CHUNK
    assert steps_in(directory) == ["150", "200", "300"]
    with pytest.raises(CheckpointError, match="no complete checkpoint"):
        stored_meta(tmp_path / "empty")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")   # orbax's aborted async reads
def test_resume_with_a_different_model_raises_checkpoint_error(uninterrupted, data, tmp_path):
    directory = _copy_of(uninterrupted, tmp_path)
    with pytest.raises(CheckpointError):
        run(siren_fitter(width=32), data, directory, resume=True)


def test_fresh_run_does_not_silently_skip_checkpoints(uninterrupted, fitter, data, tmp_path):
    directory = _copy_of(uninterrupted, tmp_path)          # another run's steps 150, 200
    members = [dict(m, lr=2 * m["lr"]) for m in RESUME_MEMBERS]
    try:
        fresh = run(fitter, data, directory, members=members, steps=100)
    except CheckpointError as e:                           # refusing the directory is fine, if it says why
        assert str(directory) in str(e) or directory.name in str(e), e
        return
    # Otherwise the new run's own checkpoints must be there: resuming returns exactly the fresh run,
    # not the other run's later steps.
    resumed = run(fitter, data, directory, members=members, steps=100, resume=True)
    assert resumed.steps == fresh.steps == 100
    assert_same_run(resumed, fresh)


def test_resume_without_checkpoints_starts_fresh(uninterrupted, fitter, data, tmp_path):
    resumed = run(fitter, data, tmp_path / "empty", resume=True)
    assert_same_run(resumed, uninterrupted[0])


def test_read_only_directory_raises(tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        if os.access(directory, os.W_OK):
            pytest.skip("chmod does not make directories read-only for this user (root)")
        with pytest.raises(CheckpointError, match="not writable"):
            SweepCheckpointer(directory)
        with pytest.raises(CheckpointError, match="cannot create"):
            SweepCheckpointer(directory / "sub")
    finally:
        directory.chmod(0o700)


def test_uncreatable_directory_raises(fitter, data, tmp_path):
    """Works as root too: a path under a regular file cannot be created."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(CheckpointError, match="cannot create checkpoint directory"):
        SweepCheckpointer(blocker / "ckpt")
    with pytest.raises(CheckpointError):
        run(fitter, data, blocker / "ckpt", steps=50)


# --------------------------------------------------------------------------- another device count
@pytest.fixture(scope="module")
def device_runs(cache_dir, tmp_path_factory):
    """``resume_devices.py`` (3 members, 40 steps, chunk 10) uninterrupted on 2 devices and on 1, each
    checkpointing; then each is "interrupted" (its final checkpoint dropped: the last complete one is
    step 30) and resumed on the *other* device count.  ``{name: npz}`` for ``two``, ``one``,
    ``two_to_one`` and ``one_to_two``; ``"stderr"``: the resumed processes' stderr."""
    root = tmp_path_factory.mktemp("devices")

    def start(devices: int, ckpt: str, name: str, *extra):
        env = script_env(JAX_PLATFORMS="cpu", XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
                         **compile_cache_env(cache_dir))   # the resumed runs load the programs compiled before
        return subprocess.Popen([sys.executable, str(DEVICES_SCRIPT), str(root / ckpt), str(root / f"{name}.npz"),
                                 *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(*procs) -> list[str]:
        try:
            errs = [p.communicate(timeout=300)[1] for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        for p, err in zip(procs, errs):
            assert p.returncode == 0, err[-3000:]
        return errs

    finish(start(2, "ckpt-two", "two"), start(1, "ckpt-one", "one"))
    for ckpt in ("ckpt-two", "ckpt-one"):
        shutil.copytree(root / ckpt, root / f"{ckpt}-finished")
        for setting in ("auto", "1"):
            assert steps_in(root / ckpt / setting) == ["30", "40"]
            shutil.rmtree(root / ckpt / setting / "40")
    stderr = finish(start(1, "ckpt-two", "two_to_one", "--resume", "--finished", root / "ckpt-two-finished"),
                    start(2, "ckpt-one", "one_to_two", "--resume", "--finished", root / "ckpt-one-finished"))
    runs = {name: dict(np.load(root / f"{name}.npz")) for name in ("two", "one", "two_to_one", "one_to_two")}
    runs["stderr"] = stderr
    return runs


def _max_rel(a: dict, b: dict, setting: str) -> float:
    """Largest difference between two runs' states, relative to each leaf's scale."""
    worst = 0.0
    for k, value in a.items():
        if k.startswith(f"{setting}/state") and value.dtype.kind == "f":
            x, y = value.astype(np.float64), b[k].astype(np.float64)
            finite = np.isfinite(x) & np.isfinite(y)
            scale = max(np.abs(y[finite]).max(initial=0), 1e-30)
            worst = max(worst, float(np.abs(x - y)[finite].max(initial=0) / scale))
    return worst


def _same(a: dict, b: dict, prefix: str, other: str = "") -> bool:
    """``a``'s ``prefix/…`` arrays equal ``b``'s ``other/…`` (default: the same names), bitwise."""
    other = other or prefix
    keys = [k for k in a if k.startswith(f"{prefix}/") and k != f"{prefix}/padded"]
    return bool(keys) and all(np.array_equal(a[k], b[other + k[len(prefix):]], equal_nan=True) for k in keys)


def test_resume_on_another_device_count(device_runs):
    """A checkpoint stores the members unpadded (host arrays, no device layout), so a sweep started
    on 2 devices (3 members padded to 4) resumes on 1 and vice versa, with either member block.

    Bitwise: what is restored — a finished run "resumed" on the other device count with the other
    member block returns exactly the stored final state, and a resumed run's first 30 losses are
    the interrupted run's.  Not bitwise: the steps after the resume.  The program compiled for 1
    device and the one compiled for 2 (sharded, another per-device batch) round differently, so
    uninterrupted runs on 1 and on 2 devices already differ (measured: losses ≤ 6e-7 relative,
    state ≤ 5.2e-6 of each leaf's scale after 40 steps, either block); a resumed run differs from the
    uninterrupted one on its new device count by the same amount, hence the tolerance."""
    d = device_runs
    assert int(d["two"]["device_count"]) == 2 and int(d["one"]["device_count"]) == 1
    assert int(d["two_to_one"]["device_count"]) == 1 and int(d["one_to_two"]["device_count"]) == 2
    assert int(d["two"]["auto/padded"]) == 4 and int(d["one"]["auto/padded"]) == 3
    for err in d["stderr"]:
        assert "Event loop is closed" not in err and "Traceback" not in err, err[-3000:]
    for setting in ("auto", "1"):
        # restored on the other device count (and member block): the stored state, bitwise
        assert _same(d["two_to_one"], d["two"], f"finished-{setting}", setting)
        assert _same(d["one_to_two"], d["one"], f"finished-{setting}", setting)
        for resumed, interrupted, full in (("two_to_one", "two", "one"), ("one_to_two", "one", "two")):
            loss = d[resumed][f"{setting}/loss"]
            assert loss.shape == (3, 40) and np.isfinite(loss).all()
            assert np.array_equal(loss[:, :30], d[interrupted][f"{setting}/loss"][:, :30])
            np.testing.assert_allclose(loss, d[full][f"{setting}/loss"], rtol=1e-5, atol=0)
            assert _max_rel(d[resumed], d[full], setting) < 1e-4
    print("max relative state difference (auto, 1):",
          *(f"{a} vs {b}: {_max_rel(d[a], d[b], 'auto'):.2e}, {_max_rel(d[a], d[b], '1'):.2e};"
            for a, b in (("two_to_one", "one"), ("one_to_two", "two"), ("two", "one"))))


# --------------------------------------------------------------------------- a refused resume is quiet
REFUSE = """
import sys
sys.path.insert(0, {scripts!r})
from _common import smooth_target, siren_fitter, RESUME_MEMBERS
from spectral_inr.train import CheckpointError, sweep
f = siren_fitter(width=32)
for _ in range(10):
    try:
        sweep(f, *smooth_target(16), RESUME_MEMBERS, {steps}, chunk={chunk}, checkpoint_dir={directory!r}, mesh=None,
              progress=False, resume=True)
    except CheckpointError as e:
        print("refused:", e, flush=True)
"""


def test_refused_resume_prints_only_the_error(uninterrupted, cache_dir, tmp_path):
    """A resume refused because the stored arrays do not fit this run's state (here: a width-32
    model against width-16 arrays, with the record edited so that only the arrays disagree) raises
    ``CheckpointError`` and prints nothing: no read is started that could fail later in orbax's
    threads ("RuntimeError: Event loop is closed", once per aborted read), and the manager is closed."""
    directory = _copy_of(uninterrupted, tmp_path)
    for step in steps_in(directory):
        path = directory / step / "meta" / "metadata"
        meta = json.loads(path.read_text())
        meta["param_shapes"] = jax.tree_util.tree_map(lambda n: 32 if n == 16 else n, meta["param_shapes"])
        path.write_text(json.dumps(meta))
    code = REFUSE.format(scripts=str(SCRIPT.parent), steps=STEPS, chunk=CHUNK, directory=str(directory))
    env = script_env(JAX_PLATFORMS="cpu", **compile_cache_env(cache_dir))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    refused = [line for line in proc.stdout.splitlines() if line.startswith("refused:")]
    assert len(refused) == 10 and all("does not match this run's model/state" in line for line in refused), proc.stdout
    assert proc.stderr.strip() == "", proc.stderr[-3000:]
    assert steps_in(directory) == ["150", "200"]


# --------------------------------------------------------------------------- a longer run
def test_extending_a_finished_run_equals_the_longer_run(uninterrupted, fitter, data, tmp_path):
    """``resume=True`` with more ``steps`` than the finished run continues it: the optimizer state
    (Adam's moments and step count) goes on where it stopped and the learning rate is injected per
    member (constant), so the result is bitwise that of a run started with the larger ``steps``."""
    directory = _copy_of(uninterrupted, tmp_path)
    extended = run(fitter, data, directory, steps=STEPS + 100, resume=True)
    longer = run(fitter, data, tmp_path / "longer", steps=STEPS + 100)
    assert_same_run(extended, longer)
    assert np.array_equal(extended.history["loss"][:, :STEPS], uninterrupted[0].history["loss"])
    assert steps_in(directory) == [str(STEPS + 50), str(STEPS + 100)]
    from spectral_inr.train import stored_meta
    assert stored_meta(directory)["steps"] == STEPS + 100


def test_fewer_steps_than_done_is_one_error(uninterrupted, fitter, data, tmp_path):
    """Fewer ``steps`` than the checkpoint has done: one error naming both (not "a different run");
    ``steps`` between the last checkpoint and the stored total just ends the run there."""
    directory = _copy_of(uninterrupted, tmp_path)
    with pytest.raises(CheckpointError) as caught:
        run(fitter, data, directory, steps=100, resume=True)
    assert str(caught.value) == (f"checkpoint in {directory} is at step {STEPS}, past this run's 100 steps: "
                                 f"resume with steps={STEPS} (the run as it is) or more (to extend it)")
    assert steps_in(directory) == ["150", "200"]
