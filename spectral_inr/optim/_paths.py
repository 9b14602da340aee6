"""Address parameter leaves by layer name, whatever wraps the tree.

Specs are nested dicts ``{module: value}`` or ``{module: {param: value}}``;
a leaf matches when its path holds ``module`` (followed by ``param``, for the
nested form).  The tree may be a bare ``params`` dict, a full ``variables``
dict, or carry extra wrapper keys — matching looks at the key names only.
"""
from __future__ import annotations

from typing import Any, Mapping

import jax


def _keys(path) -> list:
    return [getattr(k, "key", getattr(k, "name", None)) for k in path]


def lookup(spec: Mapping, path) -> Any:
    """The spec entry for the leaf at ``path``, or ``None``."""
    keys = _keys(path)
    for i, k in enumerate(keys):
        if k in spec:
            entry = spec[k]
            if not isinstance(entry, Mapping):
                return entry
            if i + 1 < len(keys) and keys[i + 1] in entry:
                return entry[keys[i + 1]]
    return None


def map_with_spec(fn, spec: Mapping, tree, *rest):
    """``fn(entry_or_None, leaf, *rest_leaves)`` over ``tree``."""
    return jax.tree_util.tree_map_with_path(lambda path, x, *r: fn(lookup(spec, path), x, *r), tree, *rest)


def check_spec(spec: Mapping, tree, what: str) -> None:
    """Raise if an entry of ``spec`` addresses no leaf of ``tree`` (a misspelt layer name would
    otherwise make the transformation a silent no-op)."""
    paths = [_keys(path) for path, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]
    missing = []
    for name, entry in spec.items():
        hits = [keys for keys in paths if name in keys]
        if isinstance(entry, Mapping):
            hits = [keys for keys in hits if any(keys[i + 1] in entry for i, k in enumerate(keys[:-1]) if k == name)]
        if not hits:
            missing.append(name)
    if missing:
        layers = sorted({k for keys in paths for k in keys[:-1] if isinstance(k, str)} - {"params"})
        raise ValueError(f"{what}: no parameter matches {', '.join(map(repr, missing))}; "
                         f"layers in params: {', '.join(layers) or 'none'}")
