"""The generator registry, the committed results and the number formats every table uses."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

GENERATORS: dict[str, Callable[["Results"], str]] = {}


def generator(name: str):
    """Register ``fn(results) -> markdown`` as the generator of the marker ``name``."""
    def register(fn):
        if name in GENERATORS:
            raise ValueError(f"two generators for {name}")
        GENERATORS[name] = fn
        return fn
    return register


class Results:
    """The committed ``results/*.json`` of one directory, each read once: ``results["kodak-quick"]``."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._load = lru_cache(maxsize=None)(self._read)

    def _read(self, stem: str) -> dict:
        return json.loads((self.directory / f"{stem}.json").read_text())

    def __getitem__(self, stem: str) -> dict:
        return self._load(stem)


def pm(values, nd: int = 2) -> str:
    """``mean ± std`` with numpy's default (population) std, as the experiments' own reports."""
    v = np.asarray(values, np.float64)
    return f"{v.mean():.{nd}f} ± {v.std():.{nd}f}"


def mean(values) -> float:
    return float(np.mean(np.asarray(values, np.float64)))


def signed(x: float, nd: int = 2) -> str:
    """``+0.13`` / ``−0.27`` with a typographic minus (``−0.00`` keeps its sign)."""
    return f"{x:+.{nd}f}".replace("-", "−")


def duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s} s" if s < 120 else f"{s // 60} min {s % 60} s"


def span(values, nd: int = 1) -> str:
    """``lo–hi`` of ``values``."""
    return f"{min(values):.{nd}f}–{max(values):.{nd}f}"


def table(header: list[str], rows: list[list], align: list[str] | None = None) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align or ["---"] * len(header)) + "|"]
    return "\n".join(lines + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def per(method: dict, key: str, field: str) -> dict:
    """``{member[field]: [values of key]}`` in first-seen order (values per clip, per image, per lr)."""
    out: dict = {}
    for m, v in zip(method["members"], method[key]):
        out.setdefault(m[field], []).append(v)
    return out
