"""Error type raised by the data loaders."""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """A data file or data argument is unusable.

    The message is one line and names the offending file (when there is one)
    and what is wrong with it. Subclasses ``ValueError`` so generic handlers work.
    """
