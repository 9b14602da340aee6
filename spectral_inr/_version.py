"""The package version: the one place it is written.

``pyproject.toml`` reads it (``[tool.setuptools.dynamic] version = {attr = ...}``, parsed without
importing the package), ``spectral_inr.__version__`` re-exports it, ``CITATION.cff`` and the latest
release of ``CHANGELOG.md`` repeat it (``tests/test_release.py`` checks that all four agree).
"""

__version__ = "0.2.0"
