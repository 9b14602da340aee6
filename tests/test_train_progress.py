"""Progress of a sweep (the per-step ticks reach the running sweep's own bar) and its metric
writers: TensorBoard event files read back with TensorBoard's reader, W&B through a fake module."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from spectral_inr import models
from spectral_inr.train import Fitter, Progress, TensorBoardWriter, WandbWriter, grid, sweep
from spectral_inr.train import progress as progress_lib

STEPS, CHUNK = 25, 10


@pytest.fixture(scope="module")
def data():
    x = np.random.default_rng(0).uniform(-1, 1, (64, 2)).astype(np.float32)
    return x, (0.5 + 0.4 * np.sin(3 * x[:, :1])).astype(np.float32)


@pytest.fixture(scope="module")
def fitter():
    return Fitter(lambda hp: models.Siren(1, width=8, depth=1))


class Counting(Progress):
    """A Progress that counts the ticks it receives (no bar drawn)."""

    def __init__(self, **kw):
        super().__init__(show=True, **kw)
        self.ticks = 0

    def start(self, *a, **k):
        super().start(*a, **k)
        self._bar.disable = True

    def tick(self, fraction=1.0):
        super().tick(fraction)
        self.ticks += fraction


def test_two_sweeps_one_after_another_each_drive_their_own_progress(fitter, data):
    first, second = Counting(), Counting()
    sweep(fitter, *data, grid(seeds=2, lr=[1e-3]), STEPS, chunk=CHUNK, mesh=None, progress=first)
    sweep(fitter, *data, grid(seeds=2, lr=[1e-3]), 7, chunk=CHUNK, mesh=None, progress=second)   # same program
    assert (first.ticks, second.ticks) == (STEPS, 7)
    ticks = progress_lib.Ticks()
    assert ticks.attach(first) and not ticks.attach(second)   # one sweep at a time per program
    ticks(1.0)
    ticks.detach()
    ticks(1.0)                                                 # nobody attached: goes nowhere
    assert (first.ticks, second.ticks) == (STEPS + 1, 7)


def test_a_busy_program_advances_the_second_bar_per_chunk(fitter, data):
    busy, second = Counting(), Counting()
    from spectral_inr.train.sweep import _ticks
    assert _ticks(fitter).attach(busy)
    try:
        r = sweep(fitter, *data, grid(seeds=1, lr=[1e-3]), STEPS, chunk=CHUNK, mesh=None, progress=second)
    finally:
        _ticks(fitter).detach()
    assert busy.ticks == 0 and second.ticks == 0 and np.isfinite(r.history["loss"]).all()


def _scalars(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "tensors": 0})
    events.Reload()
    return events, {tag: events.Scalars(tag) for tag in events.Tags()["scalars"]}


def test_tensorboard_holds_each_members_chunk_losses(fitter, data, tmp_path):
    members = grid(seeds=2, lr=[1e-3, 3e-3])
    with Progress(show=False, writers=[TensorBoardWriter(tmp_path / "tb")]) as progress:
        r = sweep(fitter, *data, members, STEPS, chunk=CHUNK, mesh=None, progress=progress)
        progress.finish(STEPS, {"psnr": [30.0, 31.0, float("nan"), 33.0], "_predictions": [None] * 4})
    events, scalars = _scalars(tmp_path / "tb")
    assert set(scalars) == ({f"member_{i}/{m}" for i in range(4) for m in ("loss", "psnr")}
                            | {"member_0/final/psnr", "member_1/final/psnr", "member_3/final/psnr"})
    for i in range(4):
        loss = scalars[f"member_{i}/loss"]
        assert [e.step for e in loss] == [10, 20, 25]         # each chunk's last step
        np.testing.assert_array_equal([e.value for e in loss], r.history["loss"][i, [9, 19, 24]])
        np.testing.assert_allclose([e.value for e in scalars[f"member_{i}/psnr"]],
                                   -10 * np.log10(r.history["loss"][i, [9, 19, 24]]), rtol=1e-6)
    assert [(e.step, e.value) for e in scalars["member_3/final/psnr"]] == [(STEPS, 33.0)]
    text = events.Tensors("hparams/members/text_summary")[0].tensor_proto.string_val[0].decode()
    assert text.splitlines()[:3] == ["| # | lr | seed |", "|---|---|---|", "| 0 | 0.001 | 0 |"]


def test_log_every_writes_those_steps(fitter, data, tmp_path):
    with Progress(show=False, writers=[TensorBoardWriter(tmp_path)], log_every=5) as progress:
        r = sweep(fitter, *data, grid(seeds=1, lr=[1e-3]), STEPS, chunk=CHUNK, mesh=None, progress=progress)
    loss = _scalars(tmp_path)[1]["member_0/loss"]
    assert [e.step for e in loss] == [5, 10, 15, 20, 25]
    np.testing.assert_array_equal([e.value for e in loss], r.history["loss"][0, [4, 9, 14, 19, 24]])


class FakeWandb(types.ModuleType):
    """What ``WandbWriter`` uses of ``wandb``: ``init`` → a run with ``log``, ``config.update``, ``finish``."""

    def __init__(self):
        super().__init__("wandb")
        self.calls = []

    def init(self, **kwargs):
        calls = self.calls
        calls.append(("init", kwargs))

        class Config:
            def update(self, d, allow_val_change=False):
                calls.append(("config", d))

        class Run:
            config = Config()

            def log(self, d, step=None):
                calls.append(("log", step, d))

            def finish(self):
                calls.append(("finish",))
        return Run()


def test_wandb_writer_logs_the_same_scalars(fitter, data, monkeypatch):
    fake = FakeWandb()
    monkeypatch.setitem(sys.modules, "wandb", fake)
    members = grid(seeds=1, lr=[1e-3])
    with Progress(show=False, writers=[WandbWriter(project="p")]) as progress:
        r = sweep(fitter, *data, members, STEPS, chunk=CHUNK, mesh=None, progress=progress, config={"width": 8})
    assert fake.calls[0] == ("init", {"project": "p"})
    assert fake.calls[1] == ("config", {"members": members, "config": {"width": 8}})
    logs = [c for c in fake.calls if c[0] == "log"]
    assert [c[1] for c in logs] == [10, 20, 25]
    assert [c[2]["member_0/loss"] for c in logs] == [float(v) for v in r.history["loss"][0, [9, 19, 24]]]
    assert fake.calls[-1] == ("finish",)


def test_wandb_writer_without_wandb_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)          # import wandb → ImportError
    with pytest.raises(ImportError, match=r"^logging to W&B needs the wandb package: pip install wandb$"):
        WandbWriter()
