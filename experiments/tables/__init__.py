"""Every results table (and quoted figure) in the README and the docs, generated from ``results/*.json``.

A table lives between ``<!-- table:NAME -->`` and ``<!-- /table -->``, a figure inside prose between
``<!-- value:NAME -->`` and ``<!-- /value -->``. Each NAME has one generator (``readme.py``,
``performance.py``, ``fidelity.py``, ``findings.py``, ``depth.py``) that reads one or a few committed JSON files;
nothing between the markers is typed by hand.

    python -m experiments.tables            # = make tables: rewrite README.md and docs/*.md in place
    python -m experiments.tables --check    # change nothing; exit 1 naming every block that differs
"""
from __future__ import annotations

import re
from pathlib import Path

from experiments.tables import depth, fidelity, fields3d, findings, performance, poisson, readme, shapes  # noqa: F401  (register the generators)
from experiments.tables.registry import GENERATORS, Results

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "docs/performance.md", "docs/fidelity.md", "docs/findings.md", "docs/data.md", "docs/shapes.md",
        "docs/poisson.md", "docs/depth.md")
BLOCK = re.compile(r"<!-- (?P<kind>table|value):(?P<name>[\w.-]+) -->(?P<body>.*?)<!-- /(?P=kind) -->", re.S)


def render(text: str, results: Results) -> str:
    """``text`` with the body of every marker replaced by its generator's output."""
    def replace(m):
        kind, name = m.group("kind"), m.group("name")
        if name not in GENERATORS:
            raise KeyError(f"no generator for <!-- {kind}:{name} -->")
        body = GENERATORS[name](results).strip("\n")
        if kind == "table":
            body = f"\n{body}\n"
        return f"<!-- {kind}:{name} -->{body}<!-- /{kind} -->"
    return BLOCK.sub(replace, text)


def blocks(text: str) -> dict[str, str]:
    """``{marker name: body}`` of a document (a name used twice must have the same body twice)."""
    out: dict[str, str] = {}
    for m in BLOCK.finditer(text):
        out.setdefault(m.group("name"), m.group("body"))
    return out


def stale(root: Path = ROOT) -> list[tuple[str, str]]:
    """``(file, marker)`` for every block whose committed text differs from what its generator writes."""
    results = Results(root / "results")
    out = []
    for rel in DOCS:
        text = (root / rel).read_text()
        fresh = list(BLOCK.finditer(render(text, results)))
        for old, new in zip(BLOCK.finditer(text), fresh):
            if old.group("body") != new.group("body"):
                out.append((rel, old.group("name")))
    return out


def rewrite(root: Path = ROOT) -> list[tuple[str, str]]:
    """Rewrite every stale block in place; returns what changed."""
    changed = stale(root)
    results = Results(root / "results")
    for rel in sorted({rel for rel, _ in changed}):
        path = root / rel
        path.write_text(render(path.read_text(), results))
    return changed
