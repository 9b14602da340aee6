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




def mean(values) -> float:
    return float(np.mean(np.asarray(values, np.float64)))










def per(method: dict, key: str, field: str) -> dict:
    """``{member[field]: [values of key]}`` in first-seen order (values per clip, per image, per lr)."""
    out: dict = {}
    for m, v in zip(method["members"], method[key]):
        out.setdefault(m[field], []).append(v)
    return out
