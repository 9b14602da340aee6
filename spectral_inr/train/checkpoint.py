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
:func:`stored_meta` reads a record without opening a manager.  The step count
(the record's ``steps``, and a ``steps`` entry of its ``config``) is the run's
length, not its identity (:func:`identity`): a run resumes with more steps
(extended), never with fewer than its checkpoint has done.

The arrays are stored as host (numpy) arrays with exactly the sweep's members
along axis 0 and the steps done along the history's axis 1 — no padding, no
device layout — so a checkpoint resumes on any device count, member block or
backend: :meth:`SweepCheckpointer.resume` returns host arrays and the sweep
pads and places them (checkpoints of earlier versions, stored padded, are cut
to the members).  Stored shapes are compared with the run's before any read
starts, so a refused resume raises before orbax starts a read that would fail
in its background threads.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import jax
import numpy as np
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


#: the record's entries that measure a run's length rather than identify it (also inside ``config``)
LENGTH_KEYS = ("steps",)


def identity(meta: Mapping) -> dict:
    """``meta`` without its length (:data:`LENGTH_KEYS`, at the top and in ``config``): what two
    records of the same run share however many steps each asked for."""
    out = {k: v for k, v in meta.items() if k not in LENGTH_KEYS}
    if isinstance(out.get("config"), Mapping):
        out["config"] = {k: v for k, v in out["config"].items() if k not in LENGTH_KEYS}
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
        handlers = {"state": ocp.StandardCheckpointHandler(), "meta": ocp.JsonCheckpointHandler()}
        self.manager = ocp.CheckpointManager(self.directory, options=options, item_handlers=handlers)

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

    def restore(self, step: int, template: Any, members: Optional[int] = None) -> Any:
        """The tree saved at ``step`` as host (numpy) arrays, with ``template``'s structure.

        Every stored array must have the template leaf's dtype and shape, except that with
        ``members`` axis 0 is the member axis: template and stored arrays may have more rows
        (padding) and the result has ``members``; and the arrays under ``history`` have a step axis
        1: the result has ``step`` columns.  Anything else raises one :class:`CheckpointError`
        before a read starts."""
        try:
            stored = _flat(self.manager.item_metadata(step)["state"])
        except (ValueError, KeyError, TypeError, OSError) as e:
            raise CheckpointError(f"checkpoint {step} in {self.directory} is unreadable: {_first_line(e)}") from None
        paths, treedef = _flat_with_def(template)
        problems = [f"{p} only here" for p in paths if p not in stored]
        problems += [f"{p} only there" for p in stored if p not in paths]
        steps = {p: step if members is not None and p.startswith("history.") else None for p in paths}
        for p, leaf in paths.items():
            if p in stored and not _fits(stored[p], leaf, members, steps[p]):
                problems.append(f"{p} {_shape(leaf)} here, {_shape(stored[p])} there")
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise CheckpointError(f"checkpoint {step} in {self.directory} does not match this run's model/state: "
                                  f"{'; '.join(problems[:3])}{more}")
        like = jax.tree_util.tree_unflatten(treedef, [np.empty(stored[p].shape, stored[p].dtype) for p in paths])
        try:
            restored = self.manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(like)))
        except (ValueError, KeyError, TypeError, OSError) as e:
            raise CheckpointError(f"checkpoint {step} in {self.directory} is unreadable: {_first_line(e)}") from None
        restored, _ = _flat_with_def(restored["state"])
        cut = [_cut(restored[p], members, steps[p]) for p in paths]
        return jax.tree_util.tree_unflatten(treedef, cut)

    def resume(self, meta: dict, template: Any, members: Optional[int] = None) -> tuple[int, Any]:
        """``(step, tree)`` of the latest checkpoint (host arrays, see :meth:`restore`) if it was
        written by the run ``meta`` describes (:func:`identity`), else one :func:`different_run`
        error; a ``meta["steps"]`` below the checkpoint's step is one error too."""
        step = self.latest_step()
        if step is None:
            raise CheckpointError(f"no checkpoint in {self.given} to resume from")
        here = json.loads(json.dumps(meta))
        # which sine ran is recorded, not compared (a CPU→GPU resume under `auto` changes it)
        stored = {k: v for k, v in stored_meta(self.directory, step).items() if k != "sine"}
        if identity(here) != identity(stored):
            raise different_run(self.given, differences(identity(here), identity(stored)))
        steps = here.get("steps")
        if isinstance(steps, int) and steps < step:
            raise CheckpointError(f"checkpoint in {self.given} is at step {step}, past this run's {steps} steps: "
                                  f"resume with steps={step} (the run as it is) or more (to extend it)")
        return step, self.restore(step, template, members)

    def close(self) -> None:
        """Wait for orbax's background work and close the manager; a write that fails only now
        (e.g. the commit of a save that hit a full disk) is a :class:`CheckpointError`."""
        try:
            self.manager.close()
        except OSError as e:
            raise CheckpointError(f"cannot write checkpoint to {self.directory}: {e.strerror or e}") from None


def _key(entry) -> str:
    for attr in ("name", "key", "idx"):   # GetAttrKey (named tuples), DictKey, SequenceKey/FlattenedIndexKey
        if hasattr(entry, attr):
            return str(getattr(entry, attr))
    return str(entry)


def _flat_with_def(tree) -> tuple[dict, Any]:
    """``({"state.params.layers_0.kernel": leaf, …}, treedef)``: the same names for a named tuple's
    fields and for the dict orbax stores it as."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree, is_leaf=_is_array)
    return {".".join(_key(e) for e in path): leaf for path, leaf in leaves}, treedef


def _flat(tree) -> dict:
    return _flat_with_def(tree)[0]


def _is_array(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, Mapping)


def _fits(stored, leaf, members: Optional[int], steps: Optional[int]) -> bool:
    """A stored array (orbax metadata) holds what ``leaf`` needs: same dtype and rank, at least
    ``members`` rows (axis 0 is then the member axis) and ``steps`` columns (axis 1 of the
    history), the same size along every other axis."""
    a, b = tuple(stored.shape), tuple(np.shape(leaf))
    if np.dtype(stored.dtype) != np.dtype(leaf.dtype) or len(a) != len(b):
        return False
    free = 0 if members is None or not a else 1 if steps is None or len(a) < 2 else 2
    low = (members, steps)[:free]
    return all(x >= n for x, n in zip(a, low)) and a[free:] == b[free:]


def _cut(array, members: Optional[int], steps: Optional[int]):
    array = np.asarray(array)
    if members is not None and array.ndim:
        array = array[:members] if steps is None or array.ndim < 2 else array[:members, :steps]
    return array


def _shape(x) -> str:
    return f"{np.dtype(x.dtype).name}{list(np.shape(x))}"


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
