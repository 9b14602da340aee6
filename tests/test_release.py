"""The release metadata agree: one version (``spectral_inr/_version.py``) read by ``pyproject.toml``,
re-exported as ``spectral_inr.__version__``, installed as the distribution's version, repeated by
``CITATION.cff`` and by the latest release of ``CHANGELOG.md``; the citation file is valid CFF 1.2.0
in its required keys; the licence is the one ``pyproject.toml`` declares."""
from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path

import pytest

import spectral_inr

ROOT = Path(__file__).resolve().parent.parent
RELEASE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})\s*$", re.M)


def _tomllib():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib


def _citation() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _releases() -> list[tuple[str, str]]:
    return RELEASE.findall((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))


def test_version_is_written_once_and_read_by_pyproject():
    meta = _tomllib().loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in meta["project"]
    assert "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "spectral_inr._version.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", spectral_inr.__version__)


def test_installed_metadata_has_the_same_version():
    dist = importlib.metadata.distribution("spectral_inr")
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    url = direct.get("url", "")
    if url.startswith("file://") and Path(url[len("file://"):]).resolve() != ROOT:
        pytest.skip(f"the installed spectral_inr is another checkout ({url}); its metadata is not this tree's")
    assert dist.version == spectral_inr.__version__


def test_changelog_latest_release_is_the_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert text.index("## [Unreleased]") < text.index("## [" + spectral_inr.__version__ + "]")
    releases = _releases()
    assert releases, "no '## [x.y.z] - YYYY-MM-DD' section"
    assert releases[0][0] == spectral_inr.__version__
    versions = [tuple(map(int, v.split("."))) for v, _ in releases]
    assert versions == sorted(versions, reverse=True), "releases newest first"


def test_citation_cff_is_valid_and_matches():
    cff = _citation()
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert cff.get(key), key
    for author in cff["authors"]:
        assert author.get("name") or author.get("family-names"), author
    assert cff["version"] == spectral_inr.__version__
    assert str(cff["date-released"]) == _releases()[0][1]
    meta = _tomllib().loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert cff["license"] == meta["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
