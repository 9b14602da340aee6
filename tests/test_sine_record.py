"""Which sine ran is recorded, resolved (``"fast"``/``"xla"``, never ``"auto"``): in the environment
dict, in every sweep checkpoint's record (not compared on resume: a run resumes on another
backend), in the CLI's ``metrics.json`` and in the experiments' results files."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from spectral_inr import cli, ops
from spectral_inr.environment import environment
from spectral_inr.train import SweepCheckpointer, stored_meta


@pytest.fixture(autouse=True)
def _restore_sine():
    old = ops.get_sine_impl()
    yield
    ops.set_sine_impl(old)


def test_environment_records_the_resolved_sine():
    for name in ("xla", "fast"):
        ops.set_sine_impl(name)
        assert environment()["sine"] == name
    ops.set_sine_impl("auto")
    assert environment()["sine"] == ops.resolved_sine_impl() == "fast"   # CPU backend


def test_checkpoint_record_holds_the_sine_and_resume_ignores_it(tmp_path):
    tree = {"w": np.arange(3, dtype=np.float32)}
    meta = {"steps": 4, "config": {"model": "siren"}}
    ckpt = SweepCheckpointer(tmp_path / "ck")
    try:
        ops.set_sine_impl("xla")
        ckpt.save(2, tree, meta)
        assert stored_meta(tmp_path / "ck", 2) == {**meta, "sine": "xla"}
        ops.set_sine_impl("fast")          # e.g. a CPU run (fast) resumed on a GPU (xla), or back
        step, restored = ckpt.resume(meta, tree)
        assert step == 2 and np.array_equal(restored["w"], tree["w"])
        ckpt.save(4, tree, meta)
        assert stored_meta(tmp_path / "ck")["sine"] == "fast"
        with pytest.raises(Exception, match=r"different run \(.*model.*\)"):
            ckpt.resume({**meta, "config": {"model": "finer"}}, tree)   # the rest of the record is still compared
    finally:
        ckpt.close()


def test_cli_fit_records_the_sine_in_metrics_and_checkpoints(tmp_path, capsys):
    y, x = np.mgrid[0:12, 0:12] / 12
    img = 0.5 + 0.4 * np.sin(7 * x) * np.cos(5 * y)
    Image.fromarray(np.round(255 * np.stack([img, img ** 2, 1 - img], -1)).astype(np.uint8)).save(tmp_path / "i.png")
    ops.set_sine_impl("xla")
    out = tmp_path / "run"
    argv = ["fit", tmp_path / "i.png", "--steps", "10", "--width", "8", "--depth", "1", "--chunk", "5", "--out", out]
    assert cli.main([str(a) for a in argv]) == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["environment"]["sine"] == "xla"
    assert stored_meta(out / "checkpoints")["sine"] == "xla"


def test_experiment_results_record_the_sine(tmp_path):
    from experiments import common

    ops.set_sine_impl("xla")
    common.write_results("sine-record", "test", {"seconds": 0.0}, "# t\n", out=tmp_path)
    saved = json.loads((tmp_path / "sine-record-test.json").read_text())
    assert saved["environment"]["sine"] == "xla"
