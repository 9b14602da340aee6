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
    env = {**os.environ, **compile_cache_env(cache_dir)}
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


@pytest.mark.parametrize("change", ["members", "steps", "chunk", "config"])
def test_resume_with_a_different_run_raises(uninterrupted, fitter, data, tmp_path, change):
    directory = _copy_of(uninterrupted, tmp_path)
    kwargs = {"members": [dict(m, lr=2 * m["lr"]) for m in RESUME_MEMBERS]} if change == "members" else \
        {"steps": 250} if change == "steps" else {"chunk": 25} if change == "chunk" else {"config": {"run": "b"}}
    with pytest.raises(CheckpointError, match="different run"):
        run(fitter, data, directory, resume=True, **kwargs)


def test_resume_mismatch_is_one_error_naming_each_difference(uninterrupted, fitter, data, tmp_path):
    """The checkpoint object answers "same run?" once, in the one format the CLI uses too."""
    directory = _copy_of(uninterrupted, tmp_path)
    with pytest.raises(CheckpointError) as caught:
        run(fitter, data, directory, resume=True, steps=250, config={"run": "b"})
    assert str(caught.value) == (f"checkpoint in {directory} belongs to a different run "
                                 "(config.run b here, (absent) there; steps 250 here, 200 there); not resuming")
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
        run(fitter, data, directory, members=members, steps=100)
    except CheckpointError:
        return                                             # refusing the directory is fine
    # Otherwise the new run's checkpoints must be there, i.e. it can be resumed.
    run(fitter, data, directory, members=members, steps=100, resume=True)


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
