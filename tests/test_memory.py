"""Where ``train/memory.py`` finds the memory a step may use (issue 22, "Memory and devices"):
the device's allocator on a GPU/TPU, the host's ``MemAvailable`` or a smaller cgroup allowance on
a CPU.  Every source is faked: a device object with ``memory_stats``, cgroup v1/v2 folders and a
``/proc/meminfo`` in ``tmp_path``."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from spectral_inr.cli import commands
from spectral_inr.train import memory

GiB = 2**30


class FakeDevice:
    def __init__(self, stats=None, platform="gpu", name="cuda:0", error=None):
        self.platform, self._stats, self._name, self._error = platform, stats, name, error

    def memory_stats(self):
        if self._error is not None:
            raise self._error
        return self._stats

    def __str__(self):
        return self._name


@pytest.fixture
def meminfo(tmp_path):
    p = tmp_path / "meminfo"
    p.write_text("MemTotal:       65536000 kB\nMemFree:         1000000 kB\nMemAvailable:   16777216 kB\n")
    return p    # 16 GiB available


def cgroup_v2(root, limit: str, current: int, inactive_file: int = 0):
    root.mkdir(parents=True, exist_ok=True)
    (root / "memory.max").write_text(limit + "\n")
    (root / "memory.current").write_text(f"{current}\n")
    (root / "memory.stat").write_text(f"anon 123\nfile 456\ninactive_file {inactive_file}\nactive_file 7\n")
    return root


def cgroup_v1(root, limit: int, usage: int, inactive_file: int = 0):
    (root / "memory").mkdir(parents=True, exist_ok=True)
    (root / "memory" / "memory.limit_in_bytes").write_text(f"{limit}\n")
    (root / "memory" / "memory.usage_in_bytes").write_text(f"{usage}\n")
    (root / "memory" / "memory.stat").write_text(f"cache 1\ninactive_file 99\ntotal_inactive_file {inactive_file}\n")
    return root


# --------------------------------------------------------------------------- accelerators
def test_device_memory_is_limit_minus_in_use(tmp_path, meminfo):
    dev = FakeDevice({"bytes_limit": 60 * GiB, "bytes_in_use": 10 * GiB, "peak_bytes_in_use": 12 * GiB})
    a = memory.available(dev, cgroup_root=tmp_path / "none", meminfo=meminfo)
    assert a == memory.Available(50 * GiB, "cuda:0")
    assert a.describe() == "on cuda:0"
    assert memory.available_bytes(dev, meminfo=meminfo) == 50 * GiB


def test_device_without_in_use_counts_nothing_used():
    assert memory.device_bytes(FakeDevice({"bytes_limit": 8 * GiB})) == 8 * GiB


@pytest.mark.parametrize("dev", [FakeDevice(None), FakeDevice({}), FakeDevice({"bytes_in_use": 5}),
                                 FakeDevice(error=RuntimeError("UNIMPLEMENTED: memory_stats"))],
                         ids=["None", "empty", "no bytes_limit", "raises"])
def test_device_without_statistics_is_unknown_not_the_hosts(dev, tmp_path, meminfo):
    """Host RAM says nothing about a card's memory: unknown (the CLI's check is then skipped)."""
    assert memory.device_bytes(dev) is None
    a = memory.available(dev, cgroup_root=tmp_path, meminfo=meminfo)
    assert a.nbytes is None and a.source == "unknown"


def test_cpu_device_uses_the_host_even_with_statistics(tmp_path, meminfo):
    """A CPU device's statistics (where a backend reports them) are not a limit: the host's are."""
    dev = FakeDevice({"bytes_limit": GiB, "bytes_in_use": 0}, platform="cpu", name="TFRT_CPU_0")
    assert memory.available(dev, cgroup_root=tmp_path, meminfo=meminfo) == memory.Available(16 * GiB, "host")


# --------------------------------------------------------------------------- cgroups
def test_cgroup_v2_limit_smaller_than_host_applies(tmp_path, meminfo):
    root = cgroup_v2(tmp_path / "cg", str(4 * GiB), current=GiB + 512 * 2**20, inactive_file=512 * 2**20)
    assert memory.cgroup_bytes(root) == 3 * GiB       # reclaimable page cache is not "used"
    a = memory.available(FakeDevice(platform="cpu"), cgroup_root=root, meminfo=meminfo)
    assert a == memory.Available(3 * GiB, "cgroup limit") and a.describe() == "under the cgroup limit"


def test_cgroup_v2_max_means_no_limit(tmp_path, meminfo):
    root = cgroup_v2(tmp_path / "cg", "max", current=GiB)
    assert memory.cgroup_bytes(root) is None
    assert memory.available(FakeDevice(platform="cpu"), cgroup_root=root, meminfo=meminfo) == \
        memory.Available(16 * GiB, "host")


def test_cgroup_larger_than_host_leaves_the_host(tmp_path, meminfo):
    root = cgroup_v2(tmp_path / "cg", str(64 * GiB), current=GiB)
    assert memory.cgroup_bytes(root) == 63 * GiB
    assert memory.available(FakeDevice(platform="cpu"), cgroup_root=root, meminfo=meminfo).source == "host"


def test_cgroup_v2_over_its_limit_is_zero_not_negative(tmp_path):
    assert memory.cgroup_bytes(cgroup_v2(tmp_path / "cg", str(GiB), current=2 * GiB)) == 0


def test_cgroup_v1_limit(tmp_path, meminfo):
    root = cgroup_v1(tmp_path / "cg", limit=2 * GiB, usage=GiB + 10, inactive_file=10)
    assert memory.cgroup_bytes(root) == GiB
    assert memory.available(FakeDevice(platform="cpu"), cgroup_root=root, meminfo=meminfo) == \
        memory.Available(GiB, "cgroup limit")


def test_cgroup_v1_unlimited(tmp_path):
    """v1 writes "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712 on 4 KiB pages)."""
    assert memory.cgroup_bytes(cgroup_v1(tmp_path / "cg", limit=9223372036854771712, usage=GiB)) is None


def test_cgroup_files_unreadable_or_garbage(tmp_path, meminfo):
    assert memory.cgroup_bytes(tmp_path / "nothing here") is None
    root = tmp_path / "bad"
    root.mkdir()
    (root / "memory.max").write_text("lots\n")
    assert memory.cgroup_bytes(root) is None
    root2 = cgroup_v2(tmp_path / "nocurrent", str(2 * GiB), current=0)
    (root2 / "memory.current").unlink()
    (root2 / "memory.stat").unlink()
    assert memory.cgroup_bytes(root2) == 2 * GiB     # usage unknown: the limit itself


# --------------------------------------------------------------------------- host fallbacks
def test_host_without_meminfo_falls_back_to_physical_memory(tmp_path):
    n = memory.host_bytes(tmp_path / "no meminfo")
    assert n is not None and n > 0
    garbage = tmp_path / "meminfo"
    garbage.write_text("MemAvailable: lots\n")
    assert memory.host_bytes(garbage) == n


def test_host_unknown_and_cgroup_known(tmp_path, monkeypatch):
    monkeypatch.setattr(memory, "host_bytes", lambda meminfo=None: None)
    root = cgroup_v2(tmp_path / "cg", str(GiB), current=0)
    assert memory.available(FakeDevice(platform="cpu"), cgroup_root=root) == memory.Available(GiB, "cgroup limit")
    assert memory.available(FakeDevice(platform="cpu"), cgroup_root=tmp_path / "none") == \
        memory.Available(None, "unknown")


def test_this_machine(tmp_path):
    """The default device (CPU here): a positive figure no larger than ``MemAvailable``; the old
    zero-argument call still works (``train/sweep.py``, ``cli/commands.py``)."""
    a = memory.available()
    assert a.source in ("host", "cgroup limit") and a.nbytes > 0
    assert a.nbytes <= memory.host_bytes()
    assert memory.available_bytes() > 0


# --------------------------------------------------------------------------- the CLI's message
@pytest.mark.parametrize("source, says", [("cuda:0", "available on cuda:0"),
                                           ("cgroup limit", "available under the cgroup limit")])
def test_cli_names_which_limit_applied(source, says, monkeypatch):
    coords = np.zeros((10_000, 2), np.float32)
    monkeypatch.setattr(commands, "_per_sample_bytes", lambda fitter, members, coords: 1000)
    avail = memory.Available(2**20, source)
    monkeypatch.setattr(memory, "available", lambda device=None, **kw: avail)
    monkeypatch.setattr(memory, "available_bytes", lambda device=None, **kw: avail.nbytes)
    with pytest.raises(MemoryError, match=says) as err:           # 10 MB needed, 1 MiB free
        commands._check_memory(None, [{"seed": 0}], coords, None)
    assert "--batch-size" in str(err.value)
    big = memory.Available(30 * 10**6, source)                     # 10 MB of 30 MB: a warning
    monkeypatch.setattr(memory, "available", lambda device=None, **kw: big)
    monkeypatch.setattr(memory, "available_bytes", lambda device=None, **kw: big.nbytes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        commands._check_memory(None, [{"seed": 0}], coords, None)
    assert len(caught) == 1 and says in str(caught[0].message)
