"""Attribute the run time of a compiled XLA program to op classes (matmul / sine / ...).

Two sources are combined:

* the **optimised HLO** of the compiled executable (``compiled.as_text()``): every
  top-level instruction of the ENTRY computation is classified by what it (or the
  fusion body it calls) contains -- a ``dot`` makes it ``matmul``, a ``sine``/``cosine``
  or the fast sine's ``round-nearest-even`` range reduction makes it ``sine``, a
  ``reduce`` makes it ``reduce``, anything else is ``elementwise/other``;
* a **jax.profiler trace** of a few executions: on XLA:CPU every executed thunk is
  an event named after its HLO instruction (``ynn_fusion.5``, ``dot.2``,
  ``xor_bitcast-convert_fusion`` ...), so summing event durations per instruction
  and mapping the names through the classification gives milliseconds per class.

Caveats (XLA:CPU, jaxlib 0.10): YNNPACK fusions and loop fusions run synchronously
and their events measure them, but plain ``dot`` instructions lowered to Eigen (here:
the weight gradients ``hᵀg``, contracting over the batch) are *asynchronous*: their
event only covers the launch (~0.5 ms for a 13 GFLOP product) while the work runs on
the intra-op pool, overlapping (and slowing) the thunks that follow.
``unattributed`` = wall time of the profiled steps − attributed time collects that
work (and runtime overhead); the class shares are therefore indicative only, and the
isolated component timings in ``benchmarks.run`` are the cleaner split.  Events of
different threads are summed, so with concurrent thunks totals can exceed the wall.
"""
from __future__ import annotations

import collections
import glob
import os
import re
import tempfile
import time
from typing import Callable

import jax

CATEGORIES = ("matmul", "sine", "reduce", "elementwise/other")

_COMP_HEADER = re.compile(r"^(ENTRY\s+)?%?([\w.\-]+)\s*\(.*\{\s*$")
_INSTR = re.compile(r"^\s*(ROOT\s+)?%?([\w.\-]+)\s*=\s*(.*)$")
_CALLS = re.compile(r"(?:calls|to_apply)=%?([\w.\-]+)")


def _strip_metadata(line: str) -> str:
    return re.sub(r",\s*metadata=\{[^}]*\}", "", line)


def parse_hlo(text: str) -> tuple[dict[str, list[str]], str | None]:
    """``{computation name: [instruction lines]}`` and the ENTRY computation's name."""
    comps: dict[str, list[str]] = {}
    entry = None
    current = None
    for raw in text.splitlines():
        line = _strip_metadata(raw)
        if current is None:
            m = _COMP_HEADER.match(line)
            if m and "=" not in line.split("(")[0]:
                current = m.group(2)
                comps[current] = []
                if m.group(1):
                    entry = current
            continue
        if line.startswith("}"):
            current = None
            continue
        comps[current].append(line)
    return comps, entry


def _opcode(rhs: str) -> str:
    # rhs looks like "f32[4096,256]{1,0} fusion(%a, %b), kind=kLoop, calls=%fused_computation.3"
    # or "(f32[..], s32[]) tuple(...)"; the opcode is the identifier right before the first "(" after the type.
    m = re.search(r"\}?\s([a-z][\w\-]*)\(", " " + rhs)
    return m.group(1) if m else "?"


def _body_ops(comps, name, seen=None) -> set[str]:
    """Opcodes used in computation ``name`` and everything it calls."""
    seen = set() if seen is None else seen
    if name in seen or name not in comps:
        return set()
    seen.add(name)
    ops = set()
    for line in comps[name]:
        m = _INSTR.match(line)
        if not m:
            continue
        rhs = m.group(3)
        ops.add(_opcode(rhs))
        for callee in _CALLS.findall(rhs):
            ops |= _body_ops(comps, callee, seen)
    return ops


def classify_ops(ops: set[str]) -> str:
    if "dot" in ops or "convolution" in ops:
        return "matmul"
    if ops & {"sine", "cosine", "round-nearest-even", "tan"}:
        return "sine"
    if ops & {"reduce", "reduce-window"}:
        return "reduce"
    return "elementwise/other"


def classify_entry(text: str) -> dict[str, str]:
    """``{ENTRY instruction name: category}`` for an optimised HLO module text."""
    comps, entry = parse_hlo(text)
    if entry is None:
        return {}
    out = {}
    for line in comps[entry]:
        m = _INSTR.match(line)
        if not m:
            continue
        name, rhs = m.group(2), m.group(3)
        op = _opcode(rhs)
        if op in ("parameter", "constant", "tuple", "get-tuple-element", "bitcast"):
            continue
        ops = {op}
        for callee in _CALLS.findall(rhs):
            ops |= _body_ops(comps, callee)
        out[name] = classify_ops(ops)
    return out


def profile_events(fn: Callable[[], None], repeats: int, walls: list | None = None) -> dict[str, float]:
    """Run ``fn`` ``repeats`` times under ``jax.profiler`` -> ``{event name: total ns}``.

    The wall time of each call is appended to ``walls`` if given."""
    with tempfile.TemporaryDirectory(prefix="bench-trace-") as logdir:
        jax.profiler.start_trace(logdir)
        try:
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn()
                if walls is not None:
                    walls.append(time.perf_counter() - t0)
        finally:
            jax.profiler.stop_trace()
        files = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
        if not files:
            raise RuntimeError("jax.profiler wrote no xplane.pb file")
        data = jax.profiler.ProfileData.from_file(max(files, key=os.path.getmtime))
        totals: dict[str, float] = collections.Counter()
        for plane in data.planes:
            for line in plane.lines:
                for ev in line.events:
                    totals[ev.name] += ev.duration_ns
    return dict(totals)


def attribute(compiled, fn: Callable[[], None], repeats: int) -> dict:
    """Milliseconds per step and shares per category for ``compiled`` executed by ``fn``.

    ``fn`` must execute ``compiled`` exactly once and block until it is done.
    """
    kinds = classify_entry(compiled.as_text())
    walls: list[float] = []
    events = profile_events(fn, repeats, walls)
    per_cat = {c: 0.0 for c in CATEGORIES}
    per_op: dict[str, float] = {}
    for name, cat in kinds.items():
        ns = events.get(name, 0.0)
        if ns:
            per_cat[cat] += ns
            per_op[name] = ns
    total = sum(per_cat.values())
    top = sorted(per_op.items(), key=lambda kv: -kv[1])[:8]
    profiled_ms = sum(walls) / len(walls) * 1e3
    return {
        "repeats": repeats,
        "profiled_step_ms": profiled_ms,
        "unattributed_ms_per_step": profiled_ms - total / 1e6 / repeats,
        "ms_per_step": {c: v / 1e6 / repeats for c, v in per_cat.items()},
        "share": {c: (v / total if total else float("nan")) for c, v in per_cat.items()},
        "attributed_ms_per_step": total / 1e6 / repeats,
        "instructions_by_category": dict(collections.Counter(kinds.values())),
        "top_instructions": [{"name": n, "category": kinds[n], "ms_per_step": ns / 1e6 / repeats} for n, ns in top],
    }
