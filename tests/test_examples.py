"""The four scripts in ``examples/`` run at their tiny size (``--tiny``; the env variable
``SPECTRAL_INR_EXAMPLE_TINY=1`` for one of them) as a user would run them — a subprocess in a fresh
folder — and print what ``docs/examples.md`` says they print. MNIST is not given, so
``mnist_fields.py`` uses its synthetic digits (no download)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str, cwd: Path, tiny_flag: bool = True) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("SPECTRAL_INR_DATA", "SPECTRAL_INR_EXAMPLE_TINY")}
    env.update(PYTHONPATH=str(ROOT), MPLBACKEND="Agg", CI="1")
    if not tiny_flag:
        env["SPECTRAL_INR_EXAMPLE_TINY"] = "1"
    argv = [sys.executable, str(EXAMPLES / name), *args] + (["--tiny"] if tiny_flag else [])
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in:\n{text}"
    return float(match.group(1))


def test_every_example_is_tested_and_documented():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    assert scripts == ["fit_image.py", "mnist_fields.py", "sweep_seeds_omega.py", "tuner_bounds_custom_loop.py"]
    here = Path(__file__).read_text(encoding="utf-8")
    page = (ROOT / "docs" / "examples.md").read_text(encoding="utf-8")
    for script in scripts:
        assert f'"{script}"' in here and f"examples/{script}" in page, script


def test_fit_image(tmp_path):
    out = run_example("fit_image.py", "--out", "fit", cwd=tmp_path)
    assert "cameraman.png at 32x32, SIREN 3x32, 60 steps" in out
    first, last = re.search(r"loss ([\d.]+) -> ([\d.]+)", out).groups()
    assert float(last) < 0.5 * float(first)
    assert number(r"PSNR ([\d.]+) dB", out) > 10
    assert (tmp_path / "fit" / "reconstruction.png").stat().st_size > 0


def test_sweep_seeds_omega(tmp_path):
    out = run_example("sweep_seeds_omega.py", cwd=tmp_path, tiny_flag=False)   # the env variable instead of --tiny
    assert "4 members (2 seeds × 2 ω0) on a 24x24 image, 40 steps, one program" in out
    rows = re.findall(r"^\| (\d+) \| ([\d.]+) ± ([\d.]+) \|", out, re.M)
    assert [r[0] for r in rows] == ["10", "30"]
    assert all(float(mean) > 15 for _, mean, _ in rows)
    assert "diverged members: none" in out


def test_tuner_bounds_custom_loop(tmp_path):
    out = run_example("tuner_bounds_custom_loop.py", cwd=tmp_path)
    bounded = re.search(r"^\| clip \+ adam \+ tuner_bounds \|.*$", out, re.M).group(0)
    free = re.search(r"^\| clip \+ adam \(no bounds\) \|.*$", out, re.M).group(0)
    # with the link every bounded weight is inside its bound; without it some leave it (the point of the example)
    assert bounded.count("≤") == 2 and "(>" not in bounded, bounded
    assert "(>" in free, free
    cells = [re.split(r"\s*\|\s*", row) for row in (bounded, free)]
    assert all(float(c[2]) > 20 and float(c[3]) > 15 for c in cells), cells   # train and held-out PSNR


def test_mnist_fields(tmp_path):
    out = run_example("mnist_fields.py", "--out", "fields", cwd=tmp_path)
    assert out.startswith("8 fields of synthetic seven-segment digits")
    assert number(r"PSNR over the fields: mean ([\d.]+) dB", out) > 20
    assert number(r"max \|difference\| ([\d.e+-]+)", out) < 1e-5
    with np.load(tmp_path / "fields" / "fields.npz") as saved:
        assert saved["labels"].shape == (8,) and saved["psnr"].shape == (8,)
        kernels = [k for k in saved.files if k.startswith("params/") and k.endswith("/kernel")]
        assert len(kernels) == 3 and all(saved[k].shape[0] == 8 for k in kernels)
