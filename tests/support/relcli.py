"""Run ``spectral-inr`` as a real subprocess and read what it leaves behind.

Used by ``tests/test_cli*.py``.  Every run gets ``JAX_PLATFORMS=cpu``
and, when a cache folder is given, JAX's persistent compilation cache: the
first run of a program compiles it, later runs of the *same* program load the
executable (~1 s instead of ~3-5 s on a busy 2-core box).  A loaded executable
is the program the first run compiled, so bitwise comparisons between runs
still compare like with like (the first run of a pair compiles, the second
loads).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

CLI = [sys.executable, "-m", "spectral_inr"]
ERROR_PREFIX = "spectral-inr: error: "


def cli_env(cache_dir=None, **extra) -> dict:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg"}
    env.pop("SPECTRAL_INR_SINE", None)       # the library default ("auto": fast sine on CPU)
    if cache_dir is not None:
        env.update({"JAX_COMPILATION_CACHE_DIR": str(cache_dir),
                    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(args: Sequence[str], *, cache_dir=None, timeout: float = 300, preexec_fn=None,
            cwd=None, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """``spectral-inr ARGS`` to completion; stdout/stderr captured as text (``env``: more variables)."""
    return subprocess.run([*CLI, *map(str, args)], env=cli_env(cache_dir, **(env or {})), capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec_fn, cwd=cwd)


def start_cli(args: Sequence[str], log_dir: Path, *, cache_dir=None, preexec_fn=None) -> subprocess.Popen:
    """Start ``spectral-inr ARGS`` in the background, output to files in ``log_dir``
    (never a pipe, so a chatty child cannot block on a full pipe while we poll)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out = open(log_dir / "stdout.txt", "w")
    err = open(log_dir / "stderr.txt", "w")
    try:
        return subprocess.Popen([*CLI, *map(str, args)], env=cli_env(cache_dir), stdout=out, stderr=err, text=True,
                                preexec_fn=preexec_fn)
    finally:
        out.close()
        err.close()


def stderr_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_one_line_error(proc, *needles: str, out: Optional[Path] = None) -> str:
    """The CLI failure contract: status != 0, exactly one stderr line
    ``spectral-inr: error: ...`` containing every ``needle``, no traceback, and
    (if given) no ``out`` folder left behind.  Returns the message."""
    lines = stderr_lines(proc.stderr)
    assert proc.returncode != 0, f"exit status 0; stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert len(lines) == 1, f"{len(lines)} stderr lines, expected 1:\n{proc.stderr[-3000:]}"
    line = lines[0]
    assert line.startswith(ERROR_PREFIX), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    if out is not None:
        assert not Path(out).exists(), f"{out} left behind: {sorted(os.listdir(out))}"
    return line[len(ERROR_PREFIX):]


def metrics_without_seconds(out: Path) -> dict:
    m = json.loads((Path(out) / "metrics.json").read_text())
    m.pop("seconds")
    return m


def canonical(m: dict) -> str:
    """The byte form compared by the determinism tests."""
    return json.dumps(m, indent=2, sort_keys=True)


def step_dirs(ckpt: Path) -> list[int]:
    """Complete (un-suffixed, integer-named) orbax step folders, sorted."""
    if not ckpt.is_dir():
        return []
    return sorted(int(p.name) for p in ckpt.iterdir() if p.is_dir() and p.name.isdigit())
