"""``make device-check`` (scripts/device_check.sh) in its CPU fallback, and the Kodak probe's arithmetic.

The whole script at tiny sizes takes about 4 minutes on a shared, loaded 2-core CPU (measured: 239 s as a script, 258 s as this test), so it is
``slow`` (``make test-all`` runs it); the extrapolation arithmetic is checked fast.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import kodak_probe
from spectral_inr.protocols.tuner import OFFICIAL

ROOT = Path(__file__).resolve().parents[1]
STAGES = {"a-pytest-device": "a-pytest-device.xml", "b-train-step": "b-train-step/bench-cpu-quick.json",
          "c-precision": "c-precision/precision-cpu.json", "d-many-fields": "d-many-fields/bench-cpu-quick.json",
          "e-kodak-probe": "e-kodak-probe/kodak-probe.json"}


def test_official_protocol_fits():
    """The official protocol: 20,000 steps on the 95 % split (4 batches of 65,536 a epoch) and 20,000 on all pixels."""
    fits = kodak_probe.protocol_fits(OFFICIAL)
    assert [(n, s) for n, _, s in fits] == [("split", 20000), ("full", 20000)]
    assert fits[1][1] == 512 * 512


def test_steady_state_excludes_the_first_chunk():
    # start at t=0; first chunk (compile) ends at 30 s; then 100-step chunks of 2, 2, 3 s (median 2 s)
    marks = [(0, 0.0), (100, 30.0), (200, 32.0), (300, 34.0), (400, 37.0)]
    assert kodak_probe.steady_step_seconds(marks) == pytest.approx(0.02)
    with pytest.raises(ValueError):
        kodak_probe.steady_step_seconds(marks[:2])


def test_extrapolation_arithmetic():
    fits = [("split", 249037, 20000), ("full", 262144, 20000)]
    est = kodak_probe.extrapolate(30.0, 100, 0.02, fits, eval_s=5.0, methods=2)
    assert est["compile_s"] == pytest.approx(28.0)          # the first chunk less its 100 steady steps
    assert est["fit_s"]["split"] == pytest.approx(28.0 + 400.0 + 5.0)
    assert est["per_method_s"] == pytest.approx(2 * 433.0)
    assert est["total_s"] == pytest.approx(4 * 433.0)
    # a first chunk faster than the steady rate (no compile) never gives a negative compile time
    assert kodak_probe.extrapolate(1.0, 100, 0.02, fits)["compile_s"] == 0.0


@pytest.mark.slow
def test_device_check_cpu_fallback(tmp_path):
    out = tmp_path / "dc"
    env = {**os.environ, "TINY": "1", "OUT": str(out), "PYTHON": sys.executable, "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run(["bash", "scripts/device_check.sh"], check=False, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "tiny"
    assert [s["stage"] for s in summary["stages"]] == list(STAGES)
    for s in summary["stages"]:
        assert s["status"] == "ok", (s, (out / f"{s['stage']}.log").read_text()[-2000:])
        assert isinstance(s["seconds"], int) and 0 <= s["seconds"] <= s["budget_s"]
        assert (out / f"{s['stage']}.log").exists()
    for stage, result in STAGES.items():
        assert (out / result).is_file(), stage
    md = (out / "summary.md").read_text()
    for s in summary["stages"]:
        assert f"| {s['stage']} | ok | {s['seconds']} |" in md
    probe = json.loads((out / "e-kodak-probe/kodak-probe.json").read_text())
    assert probe["total_s"] > 0 and all(r["steady_step_s"] > 0 for r in probe["rows"])
    log = (out / "a-pytest-device.log").read_text()
    assert " passed" in log and "failed" not in log


def test_a_failing_stage_is_recorded_and_the_next_runs(tmp_path):
    """The stage runner alone (the script's own function, sourced): a failing and a timed-out command
    are recorded, and what follows still runs."""
    script = (ROOT / "scripts/device_check.sh").read_text()
    funcs = script[script.index("summary() {"):script.index("# shellcheck disable=SC2086\nstage a-")]
    out = tmp_path / "o"
    out.mkdir()
    (out / "summary.tsv").write_text("")
    prog = (f"set -uo pipefail\nPY={sys.executable}\nOUT={out}\nMODE=tiny\nBACKEND=cpu\nDEVICE=cpu\n{funcs}\n"
            "stage s1 5 r1 -- false\nstage s2 1 r2 -- sleep 5\nstage s3 5 r3 -- true\n")
    subprocess.run(["bash", "-c", prog], check=True, capture_output=True, timeout=60)
    rows = json.loads((out / "summary.json").read_text())["stages"]
    assert [(r["stage"], r["status"]) for r in rows] == [("s1", "failed"), ("s2", "timeout"), ("s3", "ok")]
