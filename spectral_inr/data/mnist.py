"""MNIST from the 4 original gzip IDX files (or via TFDS)."""

from __future__ import annotations

import os
from typing import Mapping

import numpy as np

from ._fetch import resolve_file
from .errors import DataError
from .idx import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, read_idx

__all__ = ["MNIST_BASE_URL", "MNIST_SHA256", "load_mnist", "load_mnist_tfds"]

MNIST_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
_PREFIX = {"train": "train", "test": "t10k"}


def mnist_filenames(split: str) -> tuple[str, str]:
    """``(images_file, labels_file)`` for ``split`` in {"train", "test"}."""
    if split not in _PREFIX:
        raise DataError(f"mnist split must be 'train' or 'test', got {split!r}")
    pre = _PREFIX[split]
    return f"{pre}-images-idx3-ubyte.gz", f"{pre}-labels-idx1-ubyte.gz"


def load_mnist(
    split: str = "train",
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    base_url: str = MNIST_BASE_URL,
    registry: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 (N, 28, 28), labels uint8 (N,))``; N = 60000 train / 10000 test.

    Files ``{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`` are looked up in
    ``data_dir`` (directly or in ``mnist/``; no download if given), then
    ``$SPECTRAL_INR_DATA`` (same), else downloaded with pooch from ``base_url``
    into ``cache_dir``/mnist. Each is checked against ``registry`` (file name ->
    sha256; default ``MNIST_SHA256``). Bad magic, sizes or labels -> ``DataError``.
    """
    img_name, lbl_name = mnist_filenames(split)
    reg = MNIST_SHA256 if registry is None else registry
    kw = dict(registry=reg, subdir="mnist", base_url=base_url, data_dir=data_dir, cache_dir=cache_dir)
    img_path = resolve_file(img_name, **kw)
    lbl_path = resolve_file(lbl_name, **kw)
    images = read_idx(img_path, expected_magic=IDX_IMAGES_MAGIC)
    labels = read_idx(lbl_path, expected_magic=IDX_LABELS_MAGIC)
    if images.shape[1:] != (28, 28):
        raise DataError(f"{img_path}: MNIST images must be 28x28, got {images.shape[1:]}")
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{lbl_path}: {labels.shape[0]} labels for {images.shape[0]} images in {img_path.name}")
    if labels.size and labels.max() > 9:
        raise DataError(f"{lbl_path}: label {int(labels.max())} outside 0..9")
    return images, labels


def load_mnist_tfds(
    split: str = "train", *, data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Same output as ``load_mnist`` but through ``tensorflow_datasets`` (optional extra).

    ``split`` is any TFDS split string (e.g. ``"train"``, ``"test[:10%]"``).
    """
    try:
        import tensorflow_datasets as tfds
    except ImportError as e:
        raise ImportError(
            "load_mnist_tfds needs tensorflow-datasets: pip install spectral_inr[tfds] (or use load_mnist)"
        ) from e
    ds = tfds.load("mnist", split=split, batch_size=-1, as_supervised=True, data_dir=data_dir)
    images, labels = tfds.as_numpy(ds)
    images = np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(labels).astype(np.uint8).reshape(-1)
    return images, labels
