"""What a running sweep reports: a tqdm bar advanced every step, and metric writers.

A :class:`Progress` is passed into :func:`~spectral_inr.train.sweep` (or made
from ``progress=True/False/None``).  Per chunk it gets the members' losses
``(K, n)``: the bar's postfix shows the mean final loss and its PSNR, and each
writer (:mod:`~spectral_inr.train.writers`) gets ``member_{i}/loss`` and
``member_{i}/psnr`` at the chunk's last step — at every ``log_every``-th step
instead, if asked.  PSNR here is ``−10·log10(loss)``: the PSNR of an MSE loss
on signals in [0, 1] (peak 1); for other losses or ranges it is just a log scale.
:meth:`Progress.finish` writes the final metrics (the evaluation dict) as
``member_{i}/final/{name}``.

The compiled program calls the host once per step.  It is compiled once per
:class:`~spectral_inr.train.Fitter` and reused by every sweep, so it cannot hold
a sweep's bar: it calls its :class:`Ticks`, to which the running sweep attaches
its :class:`Progress` (no module-global bar).  Sweeps one after another each
reach their own bar; a second sweep that starts while another runs the same
Fitter's program finds the :class:`Ticks` taken and advances its bar per chunk.
"""
from __future__ import annotations

import os
import sys
import threading
from typing import Any, Mapping, Optional, Sequence

import numpy as np
from tqdm.auto import tqdm

from spectral_inr.metrics import psnr_from_mse



def auto_show() -> bool:
    """The bar is shown when stderr is a terminal and ``$CI`` is unset."""
    return sys.stderr.isatty() and not os.environ.get("CI")


class Progress:
    """The bar of one sweep and the writers its curves go to.

    Args:
      show: draw the tqdm bar; ``None``: :func:`auto_show`.
      writers: metric writers (:class:`~spectral_inr.train.writers.MetricWriter`);
        :meth:`close` closes them.
      log_every: write every ``log_every``-th step's losses; ``None``: the last
        step of each chunk.
    """

    def __init__(self, show: Optional[bool] = None, writers: Sequence[Any] = (), log_every: Optional[int] = None,
                 desc: str = "fit"):
        if log_every is not None and log_every <= 0:
            raise ValueError(f"log_every must be positive, got {log_every}")
        self.show = auto_show() if show is None else bool(show)
        self.writers = list(writers)
        self.log_every = log_every
        self.desc = desc
        self._bar = None
        self._position = 0   # steps the bar has been advanced by (ticks come in fractions for blocked programs)

    def start(self, total: int, done: int, members: Sequence[Mapping] = (), config: Optional[Mapping] = None) -> None:
        """Open the bar at ``done`` of ``total`` steps; the writers get the members' hyper-parameters."""
        self._bar = tqdm(total=total, initial=done, disable=not self.show, desc=self.desc, unit="step")
        self._position = done
        hparams = {"members": [dict(m) for m in members], **({"config": dict(config)} if config else {})}
        for w in self.writers:
            w.write_hparams(hparams)

    def tick(self, fraction: float = 1.0) -> None:
        """One step (or ``fraction`` of one) done; called from the compiled program."""
        if self._bar is not None:
            self._bar.update(fraction)
        self._position += fraction

    def chunk(self, done: int, loss) -> None:
        """A chunk ended at step ``done``; ``loss``: ``(K, n)``, the chunk's per-step losses."""
        loss = np.asarray(loss)
        if self._position != done:   # per-chunk updates, or the rounding of fractional ticks
            self._bar.update(done - self._position)
            self._position = done
        finite = loss[:, -1][np.isfinite(loss[:, -1])]
        if finite.size:
            self._bar.set_postfix(loss=f"{finite.mean():.3g}", psnr=f"{psnr_from_mse(finite.mean()):.2f}")
        if not self.writers:
            return
        n = loss.shape[1]
        steps = range(done - n + 1, done + 1)
        logged = [s for s in steps if s % self.log_every == 0] if self.log_every else [done]
        for s in logged:
            values = loss[:, s - steps[0]]
            scalars = {}
            for i, v in enumerate(values):
                if np.isfinite(v):   # a diverged member's curve ends
                    scalars[f"member_{i}/loss"] = float(v)
                    scalars[f"member_{i}/psnr"] = float(psnr_from_mse(v))
            self._write(s, scalars)

    def finish(self, step: int, metrics: Mapping[str, Sequence[float]]) -> None:
        """Final per-member metrics (e.g. the evaluation dict ``{name: [value per member]}``) at ``step``."""
        scalars = {}
        for name, values in metrics.items():
            if name.startswith("_") or values is None or np.ndim(values) != 1:
                continue
            for i, v in enumerate(values):
                if v is not None and np.isfinite(v):
                    scalars[f"member_{i}/final/{name}"] = float(v)
        self._write(step, scalars)

    def stop(self) -> None:
        """Close the bar (the writers stay open for :meth:`finish`)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def close(self) -> None:
        """Close the bar and every writer."""
        self.stop()
        for w in self.writers:
            w.close()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write(self, step: int, scalars: dict) -> None:
        if scalars:
            for w in self.writers:
                w.write_scalars(step, scalars)
                w.flush()


class Ticks:
    """The host end of a compiled program's per-step callback.

    The program calls ``ticks(fraction)``; that advances the :class:`Progress`
    attached by the sweep running it, if any.  :meth:`attach` is atomic and
    refuses a second :class:`Progress` while one is attached.
    """

    def __init__(self):
        self._progress: Optional[Progress] = None
        self._lock = threading.Lock()

    def __call__(self, fraction: float = 1.0) -> None:
        progress = self._progress
        if progress is not None:
            progress.tick(fraction)

    def attach(self, progress: Progress) -> bool:
        """Route the ticks to ``progress``; ``False`` if another sweep holds them."""
        with self._lock:
            if self._progress is not None:
                return False
            self._progress = progress
            return True

    def detach(self) -> None:
        self._progress = None
