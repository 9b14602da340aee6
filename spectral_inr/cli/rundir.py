"""Where a run writes, and what happens to it on a re-run, ``--resume``, ``--overwrite`` or Ctrl-C.

* No ``--out``: ``runs/<signal>-<model>``, or the first free ``…-2``, ``…-3`` — a re-run of the same
  command starts fresh beside the old run and never fails.
* ``--out DIR`` that holds a run: refused with one line naming ``--resume`` and ``--overwrite``.
* ``--resume --out DIR``: the run's flags come from its checkpoint's record
  (:func:`spectral_inr.train.stored_meta`); flags typed again must agree, and the ones that
  don't are named in the checkpoint's one format (:func:`spectral_inr.train.checkpoint.differences`).
  ``--steps`` is the run's length, not its identity: a larger one extends the run, one below the
  steps already done is an error.  The signal is stored as an absolute path, so a run resumes from
  any directory (a checkpoint of an earlier version holds the path as typed: relative paths
  resolve from the current directory, and one that does not exist there is an error naming it).
* A failure or an interrupt removes the directory only if this run created it *and* it holds no
  complete checkpoint: finished work is never deleted.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Optional

from spectral_inr.cli.parser import UsageError

# what a run writes into its directory (``--overwrite`` removes exactly these)
OUTPUTS = ("checkpoints", "metrics.json", "curves.png", "spectrum.png", "reconstruction.png", "reconstruction.wav",
           "reconstruction.mp4", "reconstruction.npy", "comparison.png", "poisson.png", "reconstruction.ply",
           "slices.png", "sweep.md", "sweep.json", "tb", "wandb")
NOT_CONFIG = ("debug", "out", "resume", "overwrite", "log", "log_every")   # flags that do not define the run


def checkpoint_steps(out: Path) -> list[int]:
    """Complete checkpoint steps in ``out/checkpoints``, ascending."""
    from spectral_inr.train.checkpoint import complete_steps   # JAX/orbax: only once a run is set up

    return complete_steps(Path(out) / "checkpoints")


def config_of(args) -> dict:
    """The flags that define a run, JSON-normalised (stored in every checkpoint)."""
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in NOT_CONFIG}
    return json.loads(json.dumps(config))


def default_out(base: Path) -> Path:
    """``base``, or the first of ``base-2``, ``base-3``, … that does not exist yet (or is empty)."""
    candidate, i = base, 1
    while candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        i += 1
        candidate = base.with_name(f"{base.name}-{i}")
    return candidate


def prepare(args, given: set, default: Path) -> tuple[Path, bool, bool]:
    """Choose and check ``args.out`` before anything is trained: ``(out, created, replace)``;
    ``replace``: ``--overwrite`` of an existing run (call :func:`clear` once the inputs are checked).

    With ``--resume`` the stored flags are copied into ``args`` (typed flags must agree)."""
    if args.resume and args.overwrite:
        raise UsageError("--resume and --overwrite contradict each other: pick one")
    if args.out is None:
        if args.resume:
            raise UsageError("--resume needs --out DIR (the run to continue)")
        args.out = default_out(default)
    if getattr(args, "signal", None) is not None:
        args.signal = os.path.abspath(args.signal)   # stored in the checkpoint: resumable from any directory
    out = args.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    steps = checkpoint_steps(out)
    if args.resume:
        if not steps:
            raise UsageError(f"--resume: no checkpoints in {out}")
        adopt_stored_config(args, given, out)
    elif steps and not args.overwrite:
        raise UsageError(f"{out / 'checkpoints'} already holds checkpoints (step {steps[-1]}): continue that run "
                         f"with --resume --out {out}, or replace it with --overwrite")
    return out, not out.exists(), bool(steps) and not args.resume


def clear(out: Path) -> None:
    """Remove a previous run's outputs from ``out`` (``--overwrite``); other files stay."""
    for name in OUTPUTS:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def stored_config(out: Path) -> dict:
    """The flags stored with the run's latest checkpoint."""
    from spectral_inr.train import stored_meta

    return stored_meta(out / "checkpoints").get("config", {})


def adopt_stored_config(args, given: set, out: Path) -> None:
    """Copy the checkpoint's flags into ``args``; a typed flag that differs is an error naming it.
    A typed ``--steps`` is kept (it extends the run) unless it is below the steps already done."""
    from spectral_inr.train.checkpoint import LENGTH_KEYS, differences, different_run

    stored = stored_config(out)
    if stored.get("command", args.command) != args.command:
        raise UsageError(f"{out} holds a {stored['command']} run: resume it with "
                         f"spectral-inr {stored['command']} --resume --out {out}")
    done = checkpoint_steps(out)[-1]
    if "steps" in given and args.steps < done:
        raise UsageError(f"--steps {args.steps} is below the {done} steps this run has done: resume with "
                         f"--steps {done} or more, or without --steps")
    stored = _stored_signal(stored, out)
    typed = {k: v for k, v in config_of(args).items() if k in given and k in stored and k not in LENGTH_KEYS}
    if "signal" in typed and stored["signal"] is not None and os.path.abspath(stored["signal"]) == typed["signal"]:
        typed["signal"] = stored["signal"]   # an earlier version's relative path to the same file
    differ = differences(typed, {k: stored[k] for k in typed}, name=lambda k: "--" + k.replace("_", "-"))
    if differ:
        raise different_run(out / "checkpoints", differ,
                            " (drop those flags to continue it as it was, or use another --out)")
    for k, v in stored.items():
        if k in vars(args) and k not in NOT_CONFIG and not (k in LENGTH_KEYS and k in given):
            setattr(args, k, _restore(k, v))


def _stored_signal(stored: dict, out: Path) -> dict:
    """``stored`` as it is, or a one-line error when its signal is a relative path (checkpoints of
    earlier versions hold the path as typed) that does not exist from the current directory."""
    signal = stored.get("signal")
    if isinstance(signal, str) and not os.path.isabs(signal) and not os.path.exists(signal):
        raise UsageError(f"--resume: the run in {out} names its signal by the relative path {signal}, which does "
                         f"not exist from {os.getcwd()}: resume from the directory the run was started in")
    return stored


def _restore(key: str, value):
    if isinstance(value, list) and key in ("resize", "crop", "bandlimit"):   # JSON stored the tuple as a list
        return tuple(value)
    return value


def cleanup_after_failure(out: Path, created: bool) -> None:
    """Remove ``out`` only if this run created it and no checkpoint finished in it."""
    if created and out.exists() and not checkpoint_steps(out):
        for _ in range(20):   # orbax writer threads of a failed save may still create folders: repeat
            shutil.rmtree(out, ignore_errors=True)
            time.sleep(0.05)
            if not out.exists():
                break


def interrupted_message(args, total: Optional[int] = None) -> str:
    steps = checkpoint_steps(args.out) if getattr(args, "out", None) else []
    if not steps:
        return "interrupted before the first checkpoint; nothing was kept"
    of = f" of {total}" if total else ""
    return (f"interrupted at step {steps[-1]}{of} (the last checkpoint); resume with: "
            f"spectral-inr {args.command} --resume --out {args.out}")
