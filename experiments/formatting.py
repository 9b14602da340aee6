"""Formatting for results tables: one helper per idea, shared by the experiments' reports
(``experiments/*.py``) and the generated README/docs tables (``experiments/tables``)."""
from __future__ import annotations

from typing import Iterable, Optional, Sequence

import numpy as np


def mean_std(values: Iterable[float], digits: int = 2) -> str:
    """``mean ± std`` of the finite values (numpy's population std); ``n/a`` if none is finite."""
    v = np.asarray(list(values), np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "n/a"
    return f"{v.mean():.{digits}f} ± {v.std():.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence], align: Optional[Sequence[str]] = None) -> str:
    """A Markdown table (``align``: one ``---``/``--:`` cell per column), ending in a newline."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align or ["---"] * len(headers)) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def signed(x: float, digits: int = 2) -> str:
    """``+0.13`` / ``−0.27`` with a typographic minus (``−0.00`` keeps its sign)."""
    return f"{x:+.{digits}f}".replace("-", "−")


def duration(seconds: float) -> str:
    """``54 s``, or ``4 min 33 s`` from two minutes on."""
    s = round(seconds)
    return f"{s} s" if s < 120 else f"{s // 60} min {s % 60} s"


def span(values, digits: int = 1) -> str:
    """``lo–hi`` of ``values``."""
    return f"{min(values):.{digits}f}–{max(values):.{digits}f}"


def protocol_heading(title: str, module: str, config: dict) -> str:
    """``# <title> (<profile>)`` and the line naming the protocol (and what its variant reduces),
    without the line's ending: each report goes on with ``.`` or its own details."""
    return (f"# {title} ({config['name']})\n\nProtocol `spectral_inr.protocols.{module}` `{config['name']}`"
            + (f" — reduced: {config['reduced']}" if config["reduced"] else ""))
