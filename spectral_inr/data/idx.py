"""Reader for the IDX format of MNIST (optionally gzip-compressed).

Layout: 4-byte big-endian magic ``0x0000TTNN`` (TT = 0x08 unsigned byte, NN = number
of dims), then NN big-endian uint32 dims, then ``prod(dims)`` bytes row-major.
Images use magic 2051 (3 dims), labels 2049 (1 dim).
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from ._checks import check_file, one_line
from .errors import DataError

__all__ = ["parse_idx", "read_idx", "IDX_IMAGES_MAGIC", "IDX_LABELS_MAGIC"]

IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049


def parse_idx(data: bytes, *, expected_magic: int | None = None, name: str = "<bytes>") -> np.ndarray:
    """Decode uncompressed IDX bytes (unsigned-byte type only) to a uint8 array."""
    if len(data) < 4:
        raise DataError(f"{name}: too short for an IDX header ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise DataError(f"{name}: bad IDX magic {magic} (expected {expected_magic})")
    if magic >> 16 != 0 or (magic >> 8) & 0xFF != 0x08:
        raise DataError(f"{name}: unsupported IDX magic {magic} (only unsigned-byte data)")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: IDX header truncated ({len(data)} bytes, need {header})")
    dims = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = int(np.prod(dims, dtype=np.int64))
    if len(data) - header != expected:
        raise DataError(f"{name}: IDX payload is {len(data) - header} bytes but dims {dims} need {expected}")
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims).copy()


def read_idx(path: str | os.PathLike, *, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file, gunzipping it if it starts with the gzip magic bytes."""
    p: Path = check_file(path)
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{p}: corrupt or truncated gzip data ({one_line(e)})") from e
    return parse_idx(raw, expected_magic=expected_magic, name=str(p))
