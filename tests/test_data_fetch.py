"""Tests for Kodak/MNIST lookup: local dirs, env var, sha256 checks, pooch against a local HTTP server.

No network: downloads go to an http.server on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from _local_http import LocalServer

from spectral_inr.data import (
    KODAK_SHA256,
    MNIST_SHA256,
    DataError,
    kodak_path,
    load_kodak,
    load_mnist,
    load_mnist_tfds,
    parse_idx,
    read_idx,
    sha256_file,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
KODAK_DIR = SHARED / "kodak"
MNIST_DIR = SHARED / "mnist"
needs_kodak = pytest.mark.skipif(not (KODAK_DIR / "kodim01.png").is_file(), reason="shared Kodak data absent")
needs_mnist = pytest.mark.skipif(
    not all((MNIST_DIR / f).is_file() for f in MNIST_SHA256), reason="shared MNIST data absent"
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SPECTRAL_INR_DATA", raising=False)
    monkeypatch.setenv("SPECTRAL_INR_CACHE", str(tmp_path / "default_cache"))  # never the user's cache
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    s = LocalServer(root)
    yield s
    s.close()


def _flip_byte(src: Path, dst: Path, pos: int = 1000) -> Path:
    b = bytearray(src.read_bytes())
    b[pos] ^= 0xFF
    dst.write_bytes(bytes(b))
    return dst


# ---------------------------------------------------------------- Kodak: registry and local files


def test_kodak_registry_facts():
    assert sorted(KODAK_SHA256) == [f"kodim{i:02d}.png" for i in range(1, 25)]
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in KODAK_SHA256.values())
    assert KODAK_SHA256["kodim01.png"].startswith("a56e27cb")


@pytest.mark.parametrize("bad", [0, 25, -1, True, "1", 1.0])
def test_kodak_bad_index(bad):
    with pytest.raises(DataError, match="1..24"):
        kodak_path(bad, data_dir="/nonexistent")


@needs_kodak
def test_kodak_local_dir_loads_and_verifies():
    p = kodak_path(1, data_dir=KODAK_DIR)
    assert p == KODAK_DIR / "kodim01.png"
    assert sha256_file(p) == KODAK_SHA256["kodim01.png"]
    assert kodak_path(1, data_dir=SHARED) == p  # kodak/ subfolder
    x = load_kodak(1, data_dir=KODAK_DIR)
    assert x.shape == (512, 768, 3) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0


@needs_kodak
def test_kodak_portrait_crop_and_kwargs():
    x = load_kodak(4, data_dir=SHARED, crop=(512, 512), resize=(32, 32), mode="gray")
    assert x.shape == (32, 32, 1)


@needs_kodak
def test_kodak_env_var(monkeypatch, tmp_path):
    d = tmp_path / "data" / "kodak"
    d.mkdir(parents=True)
    shutil.copy(KODAK_DIR / "kodim01.png", d / "kodim01.png")
    monkeypatch.setenv("SPECTRAL_INR_DATA", str(tmp_path / "data"))
    assert kodak_path(1) == d / "kodim01.png"


@needs_kodak
def test_kodak_corrupt_local_copy_rejected(tmp_path, monkeypatch):
    bad = _flip_byte(KODAK_DIR / "kodim01.png", tmp_path / "kodim01.png")
    with pytest.raises(DataError, match="kodim01.png.*sha256 mismatch"):
        load_kodak(1, data_dir=tmp_path)
    monkeypatch.setenv("SPECTRAL_INR_DATA", str(tmp_path))
    with pytest.raises(DataError, match="sha256 mismatch"):
        kodak_path(1)
    assert bad.exists()


def test_kodak_data_dir_missing_file_no_download(tmp_path, server):
    with pytest.raises(DataError, match="kodim05.png not found"):
        kodak_path(5, data_dir=tmp_path, base_url=server.url)
    with pytest.raises(DataError, match="not a directory"):
        kodak_path(5, data_dir=tmp_path / "nope", base_url=server.url)
    assert server.requests == []


# ---------------------------------------------------------------- Kodak: pooch download


@needs_kodak
def test_kodak_download_and_cache(tmp_path, server):
    shutil.copy(KODAK_DIR / "kodim01.png", server.root / "kodim01.png")
    cache = tmp_path / "cache"
    p = kodak_path(1, base_url=server.url, cache_dir=cache)
    assert p == cache / "kodak" / "kodim01.png"
    assert sha256_file(p) == KODAK_SHA256["kodim01.png"]
    assert server.requests == ["/kodim01.png"]
    x = load_kodak(1, base_url=server.url, cache_dir=cache)  # cached: no new request
    assert x.shape == (512, 768, 3)
    assert len(server.requests) == 1
    # a corrupted cached file is never used: pooch fetches it again
    _flip_byte(KODAK_DIR / "kodim01.png", p)
    assert sha256_file(kodak_path(1, base_url=server.url, cache_dir=cache)) == KODAK_SHA256["kodim01.png"]
    assert len(server.requests) == 2


@needs_kodak
def test_kodak_download_corrupt_rejected(tmp_path, server):
    _flip_byte(KODAK_DIR / "kodim02.png", server.root / "kodim02.png")
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="kodim02.png.*sha256 mismatch"):
        kodak_path(2, base_url=server.url, cache_dir=cache)
    assert not (cache / "kodak" / "kodim02.png").exists()


def test_kodak_download_404(tmp_path, server):
    with pytest.raises(DataError, match="kodim03.png: download from .* failed"):
        kodak_path(3, base_url=server.url.rstrip("/"), cache_dir=tmp_path / "cache")
    assert server.requests == ["/kodim03.png"]


# ---------------------------------------------------------------- MNIST: IDX parsing


def _idx_bytes(arr: np.ndarray, magic: int) -> bytes:
    arr = np.asarray(arr, np.uint8)
    return magic.to_bytes(4, "big") + np.asarray(arr.shape, ">u4").tobytes() + arr.tobytes()


def _names(split):
    pre = "train" if split == "train" else "t10k"
    return f"{pre}-images-idx3-ubyte.gz", f"{pre}-labels-idx1-ubyte.gz"


def _write_mnist(d: Path, split, images, labels, img_magic=2051, lbl_magic=2049):
    d.mkdir(parents=True, exist_ok=True)
    fi, fl = _names(split)
    (d / fi).write_bytes(gzip.compress(_idx_bytes(images, img_magic)))
    (d / fl).write_bytes(gzip.compress(_idx_bytes(labels, lbl_magic)))
    return {fi: sha256_file(d / fi), fl: sha256_file(d / fl)}


def _tiny_mnist(n=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n, dtype=np.uint8) % 10


def test_parse_idx_direct():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_idx(_idx_bytes(a, 2051), expected_magic=2051), a)
    with pytest.raises(DataError, match="too short"):
        parse_idx(b"\x00\x00")
    with pytest.raises(DataError, match="bad IDX magic 2049"):
        parse_idx(_idx_bytes(np.zeros(3), 2049), expected_magic=2051)
    with pytest.raises(DataError, match="unsupported IDX magic"):
        parse_idx((0x0D01).to_bytes(4, "big") + b"\x00\x00\x00\x01" + b"\x00" * 4)  # float type
    with pytest.raises(DataError, match="payload"):
        parse_idx(_idx_bytes(a, 2051)[:-1])
    with pytest.raises(DataError, match="header truncated"):
        parse_idx(_idx_bytes(a, 2051)[:9])


def test_read_idx_plain_and_gzip(tmp_path):
    a = np.arange(6, dtype=np.uint8)
    (tmp_path / "plain").write_bytes(_idx_bytes(a, 2049))
    (tmp_path / "z.gz").write_bytes(gzip.compress(_idx_bytes(a, 2049)))
    np.testing.assert_array_equal(read_idx(tmp_path / "plain"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "z.gz", expected_magic=2049), a)
    (tmp_path / "bad.gz").write_bytes(gzip.compress(_idx_bytes(a, 2049))[:-6])
    with pytest.raises(DataError, match="bad.gz.*gzip"):
        read_idx(tmp_path / "bad.gz")


@pytest.mark.parametrize("split", ["train", "test"])
def test_load_mnist_tiny_exact(tmp_path, split):
    imgs, lbls = _tiny_mnist(5)
    reg = _write_mnist(tmp_path, split, imgs, lbls)
    x, y = load_mnist(split, data_dir=tmp_path, registry=reg)
    assert x.dtype == np.uint8 and y.dtype == np.uint8
    np.testing.assert_array_equal(x, imgs)
    np.testing.assert_array_equal(y, lbls)


def test_load_mnist_subfolder_and_default_registry(tmp_path):
    imgs, lbls = _tiny_mnist(3)
    reg = _write_mnist(tmp_path / "mnist", "test", imgs, lbls)
    x, _ = load_mnist("test", data_dir=tmp_path, registry=reg)
    assert x.shape == (3, 28, 28)
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz.*sha256 mismatch"):
        load_mnist("test", data_dir=tmp_path)  # tiny files are not the real ones


def test_load_mnist_validation(tmp_path):
    imgs, lbls = _tiny_mnist(4)
    reg = _write_mnist(tmp_path / "a", "train", imgs, lbls, img_magic=2049)
    with pytest.raises(DataError, match="bad IDX magic"):
        load_mnist("train", data_dir=tmp_path / "a", registry=reg)
    reg = _write_mnist(tmp_path / "b", "train", imgs, lbls[:3])
    with pytest.raises(DataError, match="3 labels for 4 images"):
        load_mnist("train", data_dir=tmp_path / "b", registry=reg)
    reg = _write_mnist(tmp_path / "c", "train", imgs, np.array([0, 1, 2, 10]))
    with pytest.raises(DataError, match="label 10"):
        load_mnist("train", data_dir=tmp_path / "c", registry=reg)
    reg = _write_mnist(tmp_path / "d", "train", imgs[:, :27], lbls)
    with pytest.raises(DataError, match="28x28"):
        load_mnist("train", data_dir=tmp_path / "d", registry=reg)
    with pytest.raises(DataError, match="split"):
        load_mnist("val", data_dir=tmp_path)
    with pytest.raises(DataError, match="not in the registry"):
        load_mnist("train", data_dir=tmp_path / "a", registry={})


def test_load_mnist_download_and_cache(tmp_path, server):
    imgs, lbls = _tiny_mnist(5, seed=1)
    reg = _write_mnist(server.root, "train", imgs, lbls)
    cache = tmp_path / "cache"
    x, y = load_mnist("train", base_url=server.url, cache_dir=cache, registry=reg)
    np.testing.assert_array_equal(x, imgs)
    np.testing.assert_array_equal(y, lbls)
    assert sorted(server.requests) == ["/train-images-idx3-ubyte.gz", "/train-labels-idx1-ubyte.gz"]
    load_mnist("train", base_url=server.url, cache_dir=cache, registry=reg)
    assert len(server.requests) == 2
    bad = dict(reg, **{"train-labels-idx1-ubyte.gz": hashlib.sha256(b"other").hexdigest()})
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz.*sha256 mismatch"):
        load_mnist("train", base_url=server.url, cache_dir=tmp_path / "cache2", registry=bad)


def test_default_cache_from_env(tmp_path, server, monkeypatch):
    # no cache_dir: $SPECTRAL_INR_CACHE (set by the autouse fixture) is used
    imgs, lbls = _tiny_mnist(5)
    _write_mnist(server.root, "train", imgs, lbls)
    reg = {f: sha256_file(server.root / f) for f in _names("train")}
    load_mnist("train", base_url=server.url, registry=reg)
    assert (tmp_path / "default_cache" / "mnist" / "train-labels-idx1-ubyte.gz").is_file()


@needs_mnist
def test_load_mnist_real_test_split():
    x, y = load_mnist("test", data_dir=SHARED)
    assert x.shape == (10000, 28, 28) and y.shape == (10000,)
    assert x.dtype == np.uint8 and set(np.unique(y)) == set(range(10))


@needs_mnist
def test_load_mnist_real_train_counts():
    x, y = load_mnist("train", data_dir=MNIST_DIR)
    assert x.shape == (60000, 28, 28)
    np.testing.assert_array_equal(
        np.bincount(y), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    )


# ---------------------------------------------------------------- TFDS (optional extra)


def test_tfds_missing_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # import -> ImportError
    with pytest.raises(ImportError, match=r"pip install spectral_inr\[tfds\]"):
        load_mnist_tfds("train")


def test_tfds_output_format(monkeypatch):
    imgs, lbls = _tiny_mnist(4)
    fake = types.ModuleType("tensorflow_datasets")
    calls = {}

    def load(name, **kw):
        calls.update(kw, name=name)
        return "ds"

    fake.load = load
    fake.as_numpy = lambda ds: (imgs[..., None], lbls.astype(np.int64))
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake)
    x, y = load_mnist_tfds("test[:4]")
    assert calls["name"] == "mnist" and calls["split"] == "test[:4]" and calls["as_supervised"]
    assert x.shape == (4, 28, 28) and x.dtype == np.uint8 and y.dtype == np.uint8
    np.testing.assert_array_equal(x, imgs)
    np.testing.assert_array_equal(y, lbls)
