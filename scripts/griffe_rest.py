"""A griffe extension for the API site (mkdocs.yml): the docstrings' reST, rendered as Markdown.

Roles become links, and three reST layouts that Markdown would collapse keep their shape: simple
tables (``====  ====`` rules) and doctest lines (``>>>``) become fenced code blocks, and a literal
block's ``::`` becomes ``:`` (the indented block after it is already code in Markdown).

The docstrings refer to other objects the Sphinx way, ``:func:`name```, ``:class:`~pkg.mod.Name```,
``:mod:`.sibling```. Markdown would show the role as text; this extension rewrites each role, in the
docstring that griffe hands to mkdocstrings (the source files are untouched), into an *optional*
mkdocs-autorefs reference: a link where the target is documented on the site, plain code where it is
not (a private helper, another library), and never a warning. ``~`` shows the last component only,
as in Sphinx; a leading ``.`` or a bare name is looked up in the object's own module.
"""
from __future__ import annotations

import html
import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|obj|exc|const):`(?P<target>[^`<>]+?)`")


def _identifier(target: str, scopes: list) -> str:
    """The full path of ``target`` as seen from ``scopes`` (class, then module): imports are followed."""
    if target.startswith("."):
        return scopes[-1].path + target
    head, _, rest = target.partition(".")
    for scope in scopes:
        member = scope.members.get(head)
        if member is not None:
            path = member.target_path if member.is_alias else member.path
            return path + ("." + rest if rest else "")
    return target if "." in target else f"{scopes[-1].path}.{target}"


def roles_to_autorefs(text: str, scopes: list) -> str:
    """``:func:`~a.b.c``` → ``<autoref identifier="a.b.c" optional><code>c</code></autoref>``."""

    def link(match: re.Match) -> str:
        target = match["target"].strip()
        short = target.startswith("~")
        target = target.lstrip("~").rstrip("()")
        shown = target.rsplit(".", 1)[-1] if short else target.lstrip(".")
        ident = _identifier(target, scopes)
        return f'<autoref identifier="{html.escape(ident)}" optional><code>{html.escape(shown)}</code></autoref>'

    return ROLE.sub(link, text)


RULE = re.compile(r"^\s*=+(\s+=+)+\s*$")


def rest_layout(text: str) -> str:
    """Simple tables and doctest lines fenced, ``::`` literal-block markers turned into ``:``."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if RULE.match(line):                     # a simple table: up to the third rule (or the blank line after the 2nd)
            block, rules = [], 0
            while i < len(lines) and (lines[i].strip() or rules < 2):
                rules += bool(RULE.match(lines[i]))
                block.append(lines[i])
                i += 1
                if rules == 3:
                    break
            out += ["```text", *block, "```"]
            continue
        if line.lstrip().startswith(">>>"):
            block = []
            while i < len(lines) and lines[i].lstrip().startswith((">>>", "...")):
                block.append(lines[i])
                i += 1
            out += ["```pycon", *block, "```"]
            continue
        if line.rstrip().endswith("::") and not line.strip() == "::":
            line = line.rstrip()[:-1]
        out.append(line)
        i += 1
    return "\n".join(out)


def _rewrite(obj: griffe.Object) -> None:
    if obj.docstring is not None:
        scopes = [o for o in (obj, obj.parent) if o is not None and o.is_class]
        scopes.append(obj if obj.is_module else obj.module)
        obj.docstring.value = roles_to_autorefs(rest_layout(obj.docstring.value), scopes)
    for member in obj.members.values():
        if not member.is_alias:
            _rewrite(member)


class ReSTDocstrings(griffe.Extension):
    """Rewrites every docstring of a loaded package (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs) -> None:
        _rewrite(pkg)
