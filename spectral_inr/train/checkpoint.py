"""Orbax checkpoints of a sweep: the stacked :class:`TrainState`, the metric
history and a JSON record of the run's configuration.

Orbax writes each step to a temporary directory and renames it when complete,
so a checkpoint interrupted mid-write is never listed: ``latest_step`` is the
last *complete* one.  Each member's best parameters live in the state
(``best_params``/``best_loss``), so "keep the best" holds per member even in a
sweep; the manager keeps the ``keep`` most recent checkpoints for resuming.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

import orbax.checkpoint as ocp


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written or does not match the run."""


class SweepCheckpointer:
    def __init__(self, directory, keep: int = 2):
        self.directory = Path(directory).resolve()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CheckpointError(f"cannot create checkpoint directory {self.directory}: {e.strerror}") from None
        if not os.access(self.directory, os.W_OK):
            raise CheckpointError(f"checkpoint directory {self.directory} is not writable")
        options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True)
        self.manager = ocp.CheckpointManager(self.directory, options=options)

    def latest_step(self) -> Optional[int]:
        return self.manager.latest_step()

    def save(self, step: int, tree: Any, meta: dict) -> None:
        try:
            self.manager.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(tree),
                                                            meta=ocp.args.JsonSave(meta)))
            self.manager.wait_until_finished()
        except OSError as e:
            raise CheckpointError(f"cannot write checkpoint to {self.directory}: {e.strerror or e}") from None

    def restore(self, step: int, template: Any) -> tuple[Any, dict]:
        restored = self.manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(template),
                                                                      meta=ocp.args.JsonRestore()))
        return restored["state"], restored["meta"]

    def close(self) -> None:
        self.manager.close()
