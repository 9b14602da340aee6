"""Locate a registered data file: data_dir -> $SPECTRAL_INR_DATA -> pooch download.

Every file, local or downloaded, must match its sha256 in the registry.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Mapping

from ._checks import one_line
from .errors import DataError

ENV_DATA = "SPECTRAL_INR_DATA"  # folder with the files directly or in a <subdir>/ subfolder
ENV_CACHE = "SPECTRAL_INR_CACHE"  # download cache root (default: pooch.os_cache("spectral_inr"))


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_sha256(path: str | os.PathLike, expected: str) -> Path:
    """Return ``Path(path)`` if its sha256 is ``expected``; else ``DataError`` ("sha256 mismatch")."""
    expected = expected.lower().removeprefix("sha256:")
    actual = sha256_file(path)
    if actual != expected:
        raise DataError(
            f"{path}: sha256 mismatch (expected {expected[:16]}..., got {actual[:16]}...); corrupt or wrong file"
        )
    return Path(path)


def _find_in(root: Path, fname: str, subdir: str) -> Path | None:
    for cand in (root / fname, root / subdir / fname):
        if cand.is_file():
            return cand
    return None


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """``cache_dir`` if given, else ``$SPECTRAL_INR_CACHE``, else ``pooch.os_cache("spectral_inr")``."""
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    import pooch

    return Path(pooch.os_cache("spectral_inr"))


def _download(fname: str, expected: str, subdir: str, base_url: str, cache_dir) -> Path:
    import pooch

    base_url = base_url if base_url.endswith("/") else base_url + "/"
    pup = pooch.create(
        path=cache_root(cache_dir) / subdir,
        base_url=base_url,
        registry={fname: "sha256:" + expected.lower().removeprefix("sha256:")},
        retry_if_failed=0,
    )
    url = base_url + fname
    try:
        return Path(pup.fetch(fname, progressbar=False))
    except ValueError as e:
        if "hash" in str(e).lower():
            raise DataError(f"{fname}: sha256 mismatch for the file downloaded from {url}") from e
        raise DataError(f"{fname}: download from {url} failed ({one_line(e)})") from e
    except Exception as e:  # requests/HTTP/OS errors
        raise DataError(
            f"{fname}: download from {url} failed ({one_line(e)}); pass data_dir= or set ${ENV_DATA}"
        ) from e


def resolve_file(
    fname: str,
    *,
    registry: Mapping[str, str],
    subdir: str,
    base_url: str,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> Path:
    """Path of the verified file ``fname``.

    Order: ``data_dir`` (``fname`` or ``subdir/fname``; not found -> ``DataError``, no
    download), then ``$SPECTRAL_INR_DATA`` (same two places), else download
    ``base_url + fname`` with pooch into ``cache_root(cache_dir)/subdir``.
    ``registry`` maps file names to sha256 hex digests (optionally ``"sha256:"``-prefixed).
    """
    if fname not in registry:
        raise DataError(f"{fname}: no sha256 known for this file (not in the registry)")
    expected = registry[fname]
    if data_dir is not None:
        root = Path(data_dir)
        if not root.is_dir():
            raise DataError(f"{root}: data_dir is not a directory")
        found = _find_in(root, fname, subdir)
        if found is None:
            raise DataError(f"{root}: {fname} not found there nor in {root / subdir}")
        return verify_sha256(found, expected)
    env = os.environ.get(ENV_DATA)
    if env:
        found = _find_in(Path(env), fname, subdir)
        if found is not None:
            return verify_sha256(found, expected)
    return _download(fname, expected, subdir, base_url, cache_dir)
