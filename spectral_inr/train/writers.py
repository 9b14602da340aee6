"""Metric writers: where a sweep's curves and final metrics go (``--log``).

The interface is a subset of ``clu.metric_writers.MetricWriter`` (the flax
examples' writers): ``write_scalars(step, {tag: value})``,
``write_hparams({name: value})``, ``flush()``, ``close()`` — so a clu writer can
be passed to :class:`~spectral_inr.train.progress.Progress` as well.

* :class:`TensorBoardWriter`: event files via ``tensorboardX`` (numpy + protobuf,
  no TensorFlow; a core dependency); ``tensorboard --logdir OUT/tb``.
* :class:`WandbWriter`: a Weights & Biases run (as the TUNER code logs); ``wandb``
  is imported only here and is not a dependency (``pip install wandb``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Protocol


class MetricWriter(Protocol):
    def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None: ...

    def write_hparams(self, hparams: Mapping[str, Any]) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class TensorBoardWriter:
    """TensorBoard event files in ``logdir``; hyper-parameters as text (one markdown table per entry)."""

    def __init__(self, logdir):
        from tensorboardX import SummaryWriter

        self.logdir = Path(logdir)
        self._writer = SummaryWriter(str(self.logdir))

    def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        for tag, value in scalars.items():
            self._writer.add_scalar(tag, float(value), global_step=step)

    def write_hparams(self, hparams: Mapping[str, Any]) -> None:
        for name, value in hparams.items():
            self._writer.add_text(f"hparams/{name}", markdown(value), global_step=0)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


class WandbWriter:
    """A W&B run: ``wandb.init(**init_kwargs)``; hyper-parameters go to its config."""

    def __init__(self, **init_kwargs):
        try:
            import wandb
        except ImportError:
            raise ImportError("logging to W&B needs the wandb package: pip install wandb") from None
        self._run = wandb.init(**init_kwargs)

    def write_scalars(self, step: int, scalars: Mapping[str, float]) -> None:
        self._run.log(dict(scalars), step=step)

    def write_hparams(self, hparams: Mapping[str, Any]) -> None:
        self._run.config.update(dict(hparams), allow_val_change=True)

    def flush(self) -> None:
        pass   # wandb sends in the background

    def close(self) -> None:
        self._run.finish()


def markdown(value) -> str:
    """A list of dicts as a table (one row each, numbered), a dict as a name | value table, else JSON."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        keys = list(dict.fromkeys(k for v in value for k in v))
        rows = [f"| {i} | " + " | ".join(_cell(v.get(k, "")) for k in keys) + " |" for i, v in enumerate(value)]
        return "\n".join(["| # | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|", *rows])
    if isinstance(value, Mapping):
        return "\n".join(["| name | value |", "|---|---|", *(f"| {k} | {_cell(v)} |" for k, v in value.items())])
    return _cell(value)


def _cell(v) -> str:
    return f"{v:g}" if isinstance(v, float) else v if isinstance(v, str) else json.dumps(v)
