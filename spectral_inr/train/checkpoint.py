"""Orbax checkpoints of a sweep: the stacked :class:`TrainState`, the metric
history and a JSON record of the run's configuration.

Orbax writes each step to a temporary directory and renames it when complete,
so a checkpoint interrupted mid-write is never listed: ``latest_step`` is the
last *complete* one.  Each member's best parameters live in the state
(``best_params``/``best_loss``), so "keep the best" holds per member even in a
sweep; the manager keeps the ``keep`` most recent checkpoints for resuming.

"Is this the same run?" is answered here only: :meth:`SweepCheckpointer.resume`
compares the stored record with this run's and raises one :class:`CheckpointError`
listing what differs (:func:`differences`, the one format also used by the CLI);
:func:`stored_meta` reads a record without opening a manager.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import jax
import orbax.checkpoint as ocp

from spectral_inr import ops


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or does not match the run."""


COMMIT_MARKER = "commit_success.txt"  # orbax writes it last, in every step folder it finalizes


def complete_steps(directory) -> list[int]:
    """Steps of the complete checkpoints (orbax's commit marker present) in ``directory``, ascending."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(int(d.name) for d in directory.iterdir()
                  if d.is_dir() and d.name.isdigit() and (d / COMMIT_MARKER).exists())


def stored_meta(directory, step: Optional[int] = None) -> dict:
    """The JSON record saved with ``step`` (default: the latest complete one) in ``directory``;
    reads only, without a manager (no folder is created or cleaned)."""
    directory = Path(directory)
    step = (complete_steps(directory) or [None])[-1] if step is None else step
    if step is None:
        raise CheckpointError(f"no complete checkpoint in {directory}")
    try:
        with ocp.Checkpointer(ocp.JsonCheckpointHandler()) as reader:
            return reader.restore(directory / str(step) / "meta")
    except (ValueError, KeyError, OSError) as e:
        raise CheckpointError(f"checkpoint {step} in {directory} is unreadable: {_first_line(e)}") from None


def differences(here: Mapping, stored: Mapping, name: Callable[[str], str] = str, prefix: str = "") -> list[str]:
    """``["steps 70 here, 60 there", …]``: every key whose value differs between this run's
    record and the stored one (nested dicts as ``config.width``); ``name`` renders a key
    (the CLI: ``--steps``)."""
    out = []
    for k in sorted(set(here) | set(stored)):
        a, b = here.get(k, _ABSENT), stored.get(k, _ABSENT)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += differences(a, b, name, f"{prefix}{k}.")
        elif a != b:
            out.append(f"{name(prefix + k)} {_show(a)} here, {_show(b)} there")
    return out


def different_run(directory, differing: list[str], advice: str = "") -> CheckpointError:
    """The one error for a checkpoint written by another run: ``differing`` from :func:`differences`."""
    return CheckpointError(f"checkpoint in {directory} belongs to a different run ({'; '.join(differing)}); "
                           f"not resuming{advice}")


_ABSENT = object()


def _show(v) -> str:
    if v is _ABSENT or v is None:
        return "(absent)" if v is _ABSENT else "(unset)"
    if isinstance(v, list) and v and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        text = ",".join(f"{x:g}" for x in v)
    else:
        text = v if isinstance(v, str) else json.dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."


class SweepCheckpointer:
    """``CheckpointManager`` over complete checkpoints only.

    A step folder without orbax's commit marker (an interrupted copy, a crash
    between rename and commit) is incomplete: it is removed at start-up (by
    process 0) so that the last complete step is the latest one.
    """

    def __init__(self, directory, keep: int = 2):
        self.given = Path(directory)   # as the caller wrote it (messages)
        self.directory = self.given.resolve()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CheckpointError(f"cannot create checkpoint directory {self.directory}: {e.strerror}") from None
        if not os.access(self.directory, os.W_OK):
            raise CheckpointError(f"checkpoint directory {self.directory} is not writable")
        if jax.process_index() == 0:
            for step_dir in self.directory.iterdir():
                if step_dir.is_dir() and step_dir.name.isdigit() and not (step_dir / COMMIT_MARKER).exists():
                    shutil.rmtree(step_dir, ignore_errors=True)
        options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True)
        self.manager = ocp.CheckpointManager(self.directory, options=options)

    def latest_step(self) -> Optional[int]:
        return self.manager.latest_step()

    def save(self, step: int, tree: Any, meta: dict) -> None:
        meta = {**meta, "sine": ops.resolved_sine_impl()}   # which sine ran: recorded, not compared on resume
        try:
            self.manager.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(tree),
                                                            meta=ocp.args.JsonSave(meta)))
            self.manager.wait_until_finished()
        except OSError as e:
            raise CheckpointError(f"cannot write checkpoint to {self.directory}: {e.strerror or e}") from None
        except ValueError as e:   # tensorstore reports I/O failures (e.g. a full disk) as RESOURCE_EXHAUSTED
            if "RESOURCE_EXHAUSTED" not in str(e) and "Failed writing" not in str(e):
                raise
            reason = "No space left on device" if "No space left" in str(e) else _first_line(e)
            raise CheckpointError(f"cannot write checkpoint to {self.directory}: {reason}") from None

    def restore(self, step: int, template: Any) -> Any:
        """The state saved at ``step``, shaped like ``template``."""
        try:
            restored = self.manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(template)))
        except (ValueError, KeyError, TypeError, OSError) as e:
            raise CheckpointError(f"checkpoint {step} in {self.directory} does not match this run's model/state: "
                                  f"{_first_line(e)}") from None
        return restored["state"]

    def resume(self, meta: dict, template: Any) -> tuple[int, Any]:
        """``(step, tree)`` of the latest checkpoint, shaped like ``template``, if it
        was written by the run ``meta`` describes; else one :func:`different_run` error."""
        step = self.latest_step()
        if step is None:
            raise CheckpointError(f"no checkpoint in {self.given} to resume from")
        here = json.loads(json.dumps(meta))
        stored = {k: v for k, v in stored_meta(self.directory, step).items() if k != "sine"}
        if here != stored:
            raise different_run(self.given, differences(here, stored))
        return step, self.restore(step, template)

    def close(self) -> None:
        self.manager.close()


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
