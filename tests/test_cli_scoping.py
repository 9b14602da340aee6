"""``cli.main`` in-process leaves the process as it found it (issue 22, "Memory and devices").

To keep stderr to one line per error the CLI quietens the absl and asyncio loggers, ignores
RuntimeWarnings, reformats warnings and silences ``threading.excepthook`` and
``sys.unraisablehook``.  Called in-process (tests, notebooks) it must put every one of them back
when it returns or raises; the program (``python -m spectral_inr``) keeps them until exit.
"""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
import warnings

import pytest
import relfiles as F
from relcli import cli_env, stderr_lines

from spectral_inr import cli

SMALL = ["--steps", "2", "--width", "8", "--depth", "1"]


def snapshot() -> dict:
    """Every process-wide setting ``cli.main`` touches."""
    return {"threading.excepthook": threading.excepthook,
            "sys.unraisablehook": sys.unraisablehook,
            "warnings.showwarning": warnings.showwarning,
            "warnings.filters": list(warnings.filters),
            **{f"logger {name}": logging.getLogger(name).level for name in ("absl", "asyncio")}}


def assert_restored(before: dict) -> None:
    after = snapshot()
    changed = [k for k in before if after[k] != before[k]]
    assert not changed, f"cli.main left these changed: {changed}"


@pytest.fixture
def image(tmp_path):
    return F.png_rgb(tmp_path / "img.png", size=12)


def test_early_error_restores_everything_and_is_one_line(tmp_path, capsys):
    """A missing input: the cheap check before JAX is imported."""
    before = snapshot()
    status = cli.main(["fit", str(tmp_path / "missing.png"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == cli.EXIT_ERROR
    assert stderr_lines(err) == [f"spectral-inr: error: {tmp_path / 'missing.png'}: no such file"]
    assert_restored(before)


def test_data_error_restores_everything_and_is_one_line(tmp_path, capsys):
    """A file that is not an image: the error raised inside the command."""
    bad = F.text_named_png(tmp_path / "text.png")
    before = snapshot()
    status = cli.main(["fit", str(bad), *SMALL, "--out", str(tmp_path / "out")])
    lines = stderr_lines(capsys.readouterr().err)
    assert status == cli.EXIT_ERROR
    assert len(lines) == 1 and lines[0].startswith("spectral-inr: error: ") and "text.png" in lines[0], lines
    assert_restored(before)
    assert not (tmp_path / "out").exists()


def test_a_real_fit_restores_everything(image, tmp_path, capsys):
    """A tiny fit end to end (JAX, orbax's checkpoint threads): nothing leaks out of ``main``."""
    before = snapshot()
    status = cli.main(["fit", str(image), *SMALL, "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert (tmp_path / "out" / "metrics.json").is_file()
    assert_restored(before)


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()], ids=["unexpected", "ctrl-c"])
def test_restored_when_a_command_raises(exc, image, tmp_path, monkeypatch, capsys):
    """An exception the CLI does not turn into a status (a bug) propagates, and still restores;
    Ctrl-C becomes status 130."""
    def command(args, given):
        raise exc

    monkeypatch.setitem(cli.COMMANDS, "fit", command)
    before = snapshot()
    if isinstance(exc, KeyboardInterrupt):
        assert cli.main(["fit", str(image), "--out", str(tmp_path / "out")]) == cli.EXIT_INTERRUPTED
    else:
        with pytest.raises(RuntimeError, match="boom"):
            cli.main(["fit", str(image), "--out", str(tmp_path / "out")])
    assert_restored(before)
    capsys.readouterr()


def test_quiet_while_running(image, tmp_path, monkeypatch, capsys):
    """Inside ``main`` the settings are on: RuntimeWarnings are dropped, other warnings become
    one ``spectral-inr: warning:`` line, a failing thread prints nothing."""
    seen = {}

    def command(args, given):
        warnings.warn("dropped", RuntimeWarning)
        warnings.warn("shown", UserWarning)
        t = threading.Thread(target=lambda: 1 / 0)
        t.start()
        t.join()
        seen["absl"] = logging.getLogger("absl").level
        return 0

    monkeypatch.setitem(cli.COMMANDS, "fit", command)
    before = snapshot()
    assert cli.main(["fit", str(image), "--out", str(tmp_path / "out")]) == 0
    assert stderr_lines(capsys.readouterr().err) == ["spectral-inr: warning: shown"]
    assert seen["absl"] > logging.CRITICAL
    assert_restored(before)


def test_debug_changes_nothing(image, tmp_path, monkeypatch):
    seen = {}

    def command(args, given):
        seen.update(snapshot())
        return 0

    monkeypatch.setitem(cli.COMMANDS, "fit", command)
    before = snapshot()
    assert cli.main(["fit", str(image), "--debug", "--out", str(tmp_path / "out")]) == 0
    assert seen == before
    assert_restored(before)


def test_the_program_is_still_one_line(tmp_path):
    """``python -m spectral_inr`` (``console_main``): status 1 and exactly one stderr line."""
    bad = F.text_named_png(tmp_path / "text.png")
    proc = subprocess.run([sys.executable, "-m", "spectral_inr", "fit", str(bad), *SMALL,
                           "--out", str(tmp_path / "out")], check=False, env=cli_env(), capture_output=True,
                          text=True, timeout=300)
    lines = stderr_lines(proc.stderr)
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith("spectral-inr: error: "), proc.stderr
