"""Ctrl-C in a terminal (issue 22): with the progress bar on, an interrupt takes effect within about a
step, not at the end of the chunk, keeps the steps that finished, and the run resumes to exactly the
run that was never interrupted.  The CLI runs under a pseudo-terminal so that the bar is on."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import numpy as np
import pytest
from PIL import Image

from spectral_inr.train.sweep import Pace
from support.relcli import CLI, cli_env, metrics_without_seconds, run_cli, step_dirs

STEPS, CHUNK = 2000, 1000


def test_pace_times_a_step_then_keeps_calls_under_its_budget():
    pace = Pace(100)
    assert list(pace.lengths(100))[:1] == [1]
    pace.record(1, 5.0)            # the first call of a length compiles: not a timing
    assert pace.length == 1
    pace.record(1, 0.01)           # 10 ms a step → 50 steps in 0.5 s → the largest divisor of 100 ≤ 50
    assert pace.length == 50
    pace.record(50, 0.1)           # first call of 50 (compiled): ignored
    pace.record(50, 10.0)          # 0.2 s a step → 2 steps
    assert pace.length == 2
    pace.record(2, 0.1)            # first call of 2: ignored
    pace.record(2, 20.0)           # 10 s a step: one step a call, never zero
    assert pace.length == 1
    slow = Pace(7)
    slow.record(1, 1.0)
    slow.record(1, 1e-6)
    assert slow.length == 7 and list(slow.lengths(10)) == [7, 3]


def _image(path):
    y, x = np.mgrid[0:48, 0:48] / 47.0
    rgb = np.stack([np.sin(7 * x) * 0.5 + 0.5, np.cos(5 * y) * 0.5 + 0.5, x * y], -1)
    Image.fromarray(np.round(rgb * 255).astype(np.uint8)).save(path)


def _run_in_terminal(args, interrupt_after: int, timeout: float = 300):
    """``spectral-inr ARGS`` on a pseudo-terminal; SIGINT once the bar shows ``interrupt_after`` steps.
    Returns (exit status, the terminal's text, the step the bar showed at the interrupt)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))   # a 0-column pty hides the bar
    env = cli_env()
    env.pop("CI", None)             # the bar is off under CI
    proc = subprocess.Popen([*CLI, *map(str, args)], stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    text, shown, deadline = "", None, time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    text += os.read(master, 65536).decode(errors="replace")
                except OSError:
                    break
            steps = [int(s) for s in re.findall(rf"(\d+)(?:\.\d+)?/{STEPS}", text)]
            if shown is None and steps and max(steps) >= interrupt_after:
                shown = max(steps)
                proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        while select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            text += chunk.decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return proc.returncode, text, shown


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX pseudo-terminals and signals")
def test_ctrl_c_with_the_bar_on_stops_mid_chunk_and_resumes_to_the_uninterrupted_run(tmp_path):
    _image(tmp_path / "img.png")
    flags = [tmp_path / "img.png", "--width", "48", "--depth", "2", "--steps", STEPS, "--chunk", CHUNK]
    out = tmp_path / "run"
    status, text, shown = _run_in_terminal(["fit", *flags, "--out", out], interrupt_after=30)
    assert shown is not None, f"the bar never showed 30 steps:\n{text[-2000:]}"
    assert status == 130, text[-6000:]
    kept = step_dirs(out / "checkpoints")
    # the interrupt did not wait for the chunk (1000 steps): a checkpoint at the step reached
    assert kept and shown <= kept[-1] < CHUNK, (kept, shown)
    assert f"interrupted at step {kept[-1]} of {STEPS}" in text
    resumed = run_cli(["fit", "--resume", "--out", out])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    straight = run_cli(["fit", *flags, "--out", tmp_path / "straight"])
    assert straight.returncode == 0, straight.stderr[-2000:]
    a, b = metrics_without_seconds(out), metrics_without_seconds(tmp_path / "straight")
    for key in ("psnr", "ssim", "gradient_psnr"):
        assert a[key] == b[key], (key, a[key], b[key])
