"""Shared plumbing for experiments: profile choice, data location, results files.

Every experiment writes ``results/<exp>-<profile>.json`` and ``.md`` (with the
device, jax version and wall time) and its figures as
``results/<exp>-<profile>-<figure>.png``.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
PROFILES = ("quick", "paper")


def parse_args(description: str, argv: Optional[Sequence[str]] = None,
               profiles: Sequence[str] = PROFILES, extra=None) -> argparse.Namespace:
    """``--profile``, ``--data``, ``--out``; ``extra(parser)`` adds an experiment's own flags."""
    p = argparse.ArgumentParser(description=description)
    if extra is not None:
        extra(p)
    p.add_argument("--profile", choices=tuple(profiles), default=os.environ.get("PROFILE", "quick"))
    p.add_argument("--data", type=Path, default=None, help="data root (default: $SPECTRAL_INR_DATA)")
    p.add_argument("--out", type=Path, default=RESULTS)
    return p.parse_args(argv)


def data_root(arg: Optional[Path]) -> Optional[Path]:
    """The folder holding ``kodak/``, ``mnist/``, ``audio/``: ``--data``, then ``$SPECTRAL_INR_DATA``;
    ``None`` if neither is set — the library's loaders then download (sha256-checked, pooch cache)."""
    root = arg or (Path(os.environ["SPECTRAL_INR_DATA"]) if os.environ.get("SPECTRAL_INR_DATA") else None)
    if root is not None and not root.is_dir():
        raise SystemExit(f"error: data root {root} is not a directory (--data DIR or SPECTRAL_INR_DATA)")
    return root


def guarded(name: str, main) -> None:
    """Run ``main()``; a data error (missing or corrupt file, failed download) is one line and exit 1."""
    from spectral_inr.data import DataError

    try:
        main()
    except DataError as e:
        raise SystemExit(f"exp-{name}: error: {str(e).splitlines()[0]}") from None


def environment() -> dict:
    import jax

    dev = jax.devices()[0]
    return {"device": f"{dev.platform}:{dev.device_kind}", "device_count": jax.device_count(),
            "jax": jax.__version__, "python": platform.python_version(), "cpus": os.cpu_count(),
            "machine": platform.machine(), "cpu_model": cpu_model()}


def cpu_model() -> str:
    """The CPU's name (``/proc/cpuinfo``'s ``model name``; ``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mean_std(values: Iterable[float], digits: int = 2) -> str:
    v = np.asarray(list(values), np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "n/a"
    return f"{v.mean():.{digits}f} ± {v.std():.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def write_results(name: str, profile: str, payload: dict, markdown: str, figures: Optional[dict] = None,
                  out: Path = RESULTS) -> Path:
    """Write the JSON, the Markdown (with an environment footer) and the figures."""
    from spectral_inr import report

    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{profile}"
    env = environment()
    payload = {"experiment": name, "profile": profile, "environment": env, **payload}
    report.write_json(out / f"{stem}.json", payload)
    footer = (f"\n_Device: {env['device']} ×{env['device_count']}, jax {env['jax']}, "
              f"Python {env['python']}, {env['cpus']} CPUs ({env['cpu_model']}). Wall time: {payload.get('seconds', float('nan')):.0f} s._\n")
    (out / f"{stem}.md").write_text(markdown + footer)
    for fig_name, fig in (figures or {}).items():
        report.save_figure(fig, out / f"{stem}-{fig_name}.png")
    return out / f"{stem}.md"
