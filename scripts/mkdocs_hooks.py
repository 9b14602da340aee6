"""mkdocs hooks for the API site (mkdocs.yml ``hooks:``): no module and no guide is left out.

Each ``docs/api/<package>.md`` lists that package's modules in a reading order. A public module added
to the package later (``spectral_inr/<package>/<new>.py``) is appended to its page at build time, so
the reference stays complete without editing the page; add it to the page to give it its place.
Likewise a new ``docs/<guide>.md`` missing from mkdocs.yml's nav joins the "Guides" section, titled
by its first heading.
"""
from __future__ import annotations

import pkgutil
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "spectral_inr"


def missing_modules(page_name: str, markdown: str) -> list[str]:
    """Public modules of ``spectral_inr.<page_name>`` (a package) that ``markdown`` has no ``:::`` line for."""
    folder = PACKAGE / page_name
    if not (folder / "__init__.py").exists():
        return []
    listed = set(re.findall(r"^::: (\S+)", markdown, re.M))
    found = []
    for info in pkgutil.walk_packages([str(folder)], f"spectral_inr.{page_name}."):
        if any(part.startswith("_") for part in info.name.split(".")) or info.name in listed:
            continue
        found.append(info.name)
    return sorted(found)


def _listed(nav) -> set[str]:
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, dict):
        return set().union(*(_listed(v) for v in nav.values()))
    if isinstance(nav, list):
        return set().union(*(_listed(v) for v in nav)) if nav else set()
    return set()


def missing_guides(nav, docs_dir: Path) -> list[str]:
    """``docs/*.md`` pages that ``nav`` does not list."""
    listed = _listed(nav)
    return sorted(p.name for p in docs_dir.glob("*.md") if p.name not in listed)


def on_config(config, **kwargs):
    docs_dir = Path(config.docs_dir)
    missing = missing_guides(config.nav, docs_dir)
    guides = next((item["Guides"] for item in config.nav or [] if isinstance(item, dict) and "Guides" in item), None)
    if missing and guides is not None:
        for name in missing:
            heading = re.search(r"^# (.+)$", (docs_dir / name).read_text(encoding="utf-8"), re.M)
            guides.append({heading.group(1).strip("` ") if heading else name[:-3]: name})
    return config


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    uri = page.file.src_uri
    if not uri.startswith("api/"):
        return markdown
    extra = missing_modules(Path(uri).stem, markdown)
    if not extra:
        return markdown
    return markdown.rstrip() + "\n\n" + "\n\n".join(f"::: {name}" for name in extra) + "\n"
