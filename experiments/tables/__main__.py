"""``python -m experiments.tables [--check]``: see the package docstring."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.tables import ROOT, rewrite, stale


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments.tables",
                                description="Regenerate the results tables of README.md and docs/*.md.")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block differs")
    p.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    a = p.parse_args(argv)
    if a.check:
        bad = stale(a.root)
        for rel, name in bad:
            print(f"{rel}: {name} differs from `python -m experiments.tables`", file=sys.stderr)
        return 1 if bad else 0
    for rel, name in rewrite(a.root):
        print(f"rewrote {rel}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
