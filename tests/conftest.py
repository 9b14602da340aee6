"""Shared test set-up: the helper modules' folders on ``sys.path`` and fixtures used by several files.

* ``tests/support/`` — helpers imported by the tests (``relcli``: run the CLI as a subprocess and check
  its failure contract; ``relfiles``: write good and bad input files);
* ``tests/scripts/`` — programs the tests run as subprocesses, and their shared ``_common`` module.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
for folder in ("support", "scripts"):
    if str(HERE / folder) not in sys.path:
        sys.path.insert(0, str(HERE / folder))


@pytest.fixture(scope="module")
def data():
    """A smooth 16×16 grayscale target ``(coords, values)`` (``scripts/_common.smooth_target``)."""
    from _common import smooth_target

    return smooth_target(16)
