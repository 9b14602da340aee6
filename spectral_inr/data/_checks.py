"""Small shared helpers: path checks and one-line exception text."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataError


def one_line(exc: BaseException) -> str:
    """``"TypeName: message"`` with all whitespace runs collapsed to one space."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def check_file(path: str | os.PathLike) -> Path:
    """Return ``Path(path)``; ``DataError`` if it is missing or a directory."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    if p.is_dir():
        raise DataError(f"{p}: is a directory, not a file")
    return p
