"""The API reference site (``make docs``, mkdocs.yml): every public module is on a page (a build hook
appends modules added later), the site builds with ``--strict`` (warnings are errors) and its pages
load nothing from outside.

The build needs the ``docs`` extra (``make docs`` installs it; ``.ci/run`` runs ``make docs`` before
``make test``, so CI builds it twice: once as the target, once here with the checks); without
mkdocs the build test is skipped. The reST rewriting of ``scripts/griffe_rest.py`` is checked on
small docstrings without mkdocs."""
from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import spectral_inr

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "docs" / "api"
#: Modules that are not public API: the command line (documented by ``spectral-inr --help``), the
#: files and figures a CLI run writes, the run-environment record.
NOT_API = ("spectral_inr.cli", "spectral_inr.__main__", "spectral_inr.report", "spectral_inr.report_nd",
           "spectral_inr.environment")


def _public_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(spectral_inr.__path__, "spectral_inr."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        if info.name.startswith(NOT_API):
            continue
        names.append(info.name)
    return names


def _documented() -> set[str]:
    return {m for page in API.glob("*.md") for m in re.findall(r"^::: (\S+)", page.read_text(encoding="utf-8"), re.M)}


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_module_is_on_an_api_page():
    """Listed on a page, or in a package whose page the build hook completes (scripts/mkdocs_hooks.py)."""
    documented = _documented()
    pages = {p.stem for p in API.glob("*.md")}
    completed = {p for p in pages if (ROOT / "spectral_inr" / p / "__init__.py").exists()}
    missing = [m for m in _public_modules() if m not in documented and m.split(".")[1] not in completed]
    assert not missing, f"add to docs/api/*.md: {missing}"
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in API.glob("*.md"):
        assert f"api/{page.name}" in nav, f"{page.name} is not in mkdocs.yml's nav"


def test_build_hooks_add_new_modules_and_guides(tmp_path):
    hooks = _script("mkdocs_hooks")
    models = hooks.missing_modules("models", "::: spectral_inr.models.layers\n")
    assert "spectral_inr.models.presets" in models and "spectral_inr.models.layers" not in models
    assert not any("._" in m for m in models)
    assert hooks.missing_modules("metrics", "") == []            # a module page, not a package
    for page in API.glob("*.md"):                               # today every module has its place on its page
        assert hooks.missing_modules(page.stem, page.read_text(encoding="utf-8")) == [], page.name
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(f"# {name}\n")
    assert hooks.missing_guides([{"Home": "a.md"}, {"Guides": []}], tmp_path) == ["b.md"]


def _griffe_rest():
    pytest.importorskip("griffe")
    return _script("griffe_rest")


def test_rest_roles_become_optional_autorefs_and_layout_is_kept():
    g = _griffe_rest()
    import griffe

    mod = griffe.Module("m", filepath=Path("m.py"))
    mod.set_member("Thing", griffe.Class("Thing"))
    mod.set_member("imported", griffe.Alias("imported", "pkg.other.imported"))
    out = g.roles_to_autorefs(":func:`imported`, :class:`~a.b.C`, :mod:`.sub`, :meth:`Thing.run`", [mod])
    assert out == ('<autoref identifier="pkg.other.imported" optional><code>imported</code></autoref>, '
                   '<autoref identifier="a.b.C" optional><code>C</code></autoref>, '
                   '<autoref identifier="m.sub" optional><code>sub</code></autoref>, '
                   '<autoref identifier="m.Thing.run" optional><code>Thing.run</code></autoref>')
    text = "Table:\n\n===  ===\na    b\n===  ===\nx    y\n===  ===\n\n>>> f(1)\n2\n\nMath::\n\n    y = x\n"
    assert g.rest_layout(text).split("\n") == [
        "Table:", "", "```text", "===  ===", "a    b", "===  ===", "x    y", "===  ===", "```", "",
        "```pycon", ">>> f(1)", "```", "2", "", "Math:", "", "    y = x", ""]


def test_site_builds_strict_and_offline(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    pytest.importorskip("material")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    pages = list(site.rglob("*.html"))
    assert (site / "index.html").exists() and (site / "api" / "models.html").exists()
    for page in pages:
        html = page.read_text(encoding="utf-8")
        # resources (scripts, stylesheets, images, fonts) come from the site itself; plain links may point out
        outside = re.findall(r'<(?:script|img|iframe|source)[^>]*\ssrc="(?:https?:)?//[^"]*"', html)
        outside += re.findall(r'<link[^>]*\shref="(?:https?:)?//[^"]*"[^>]*>', html)
        outside = [o for o in outside if 'rel="canonical"' not in o]
        assert not outside, (page, outside)
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, page
    models = (site / "api" / "models.html").read_text(encoding="utf-8")
    assert 'id="spectral_inr.models.presets.Siren"' in models
    assert "autorefs-internal" in models                 # :func: roles became links
    assert not re.search(r":(func|class|mod|meth):", models)
