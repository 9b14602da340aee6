"""docs/performance.md and the README's performance summary, from results/bench-cpu.json and
results/roofline-cpu.json (``python -m benchmarks.run``, ``python -m benchmarks.roofline``)."""
from __future__ import annotations

import re

from benchmarks.equivalence import passed
from experiments.formatting import markdown_table, span
from experiments.tables.registry import generator

BENCH = "bench-cpu"
MODEL = {"siren": "SIREN 3×256", "tuner": "TUNER 416"}
FAILED = " ✗"


def side(h: int, w: int) -> str:
    return f"{h}²" if h == w else f"{h}×{w}"


def _sizes(d) -> list[tuple]:
    return sorted({(r["model"], r["pixels"], r["height"], r["width"]) for r in d["train_step"]["rows"]})


def _failed(d) -> dict:
    """``{(model, pixels, case): check}`` for every case whose equivalence check failed."""
    return {(c["model"], c["pixels"], c["b"]): c for c in d["train_step"]["equivalence_checks"] if not passed(c)}


@generator("bench-train-step")
def train_step(r) -> str:
    d = r[BENCH]
    by = {(x["model"], x["pixels"], x["case"]): x for x in d["train_step"]["rows"]}
    bad = _failed(d)
    rows = []
    for model, n, h, w in _sizes(d):
        ms = {c: by[(model, n, c)]["median_ms"] for c in ("jax fast", "jax xla-sin", "torch", "torch compiled")
              if (model, n, c) in by}
        mark = {c: FAILED if (model, n, c) in bad else "" for c in ms}
        fast = by[(model, n, "jax fast")]
        ratio = lambda peer: (f"{ms['jax fast'] / ms[peer]:.2f}{mark[peer]}" if peer in ms else "–")  # noqa: E731
        rows.append([MODEL[model], side(h, w)] + [f"{ms[c]:.0f}{mark[c]}" if c in ms else "–"
                                                  for c in ("jax fast", "jax xla-sin", "torch", "torch compiled")]
                    + [ratio("torch"), ratio("torch compiled"), f"{fast['achieved_matmul_gflops']:.0f}",
                       f"{fast['roofline_fraction']:.2f}"])
    out = markdown_table(["model", "pixels", "jax (fast sine)", "jax (XLA sin)", "torch eager", "torch.compile",
                          "jax/eager", "jax/compiled", "matmul GFLOP/s", "roofline"], rows,
                         ["---", "---:"] + ["---:"] * 8).rstrip("\n")
    if bad:
        worst = max(c["max_rel_diff"] for c in bad.values())
        cases = sorted({c for _, _, c in bad})
        out += (f"\n\n{FAILED.strip()} failed the equivalence check in `results/{BENCH}.json` ({', '.join(cases)}: "
                f"max relative difference of the first losses {worst:.2e}), so its times are not evidence of "
                "the same computation.")
    return out


@generator("bench-equivalence")
def equivalence(r) -> str:
    checks = r[BENCH]["train_step"]["equivalence_checks"]
    rows = [[MODEL[c["model"]], c["pixels"], c["b"], f"{c['max_rel_diff']:.2e}", "yes" if passed(c) else "**no**"]
            for c in checks]
    return markdown_table(["model", "pixels", "vs jax xla-sin", "max relative difference, first two losses", "passed"], rows)


@generator("bench-ceilings")
def ceilings(r) -> str:
    roof = {x["ceiling"]: x for x in r["roofline-cpu"]["rows"]}
    mm = r[BENCH]["matmul_rate"]
    big = next(x for k, x in roof.items() if k.startswith("large matmul"))
    start, end = mm["start"]["gflops"], mm["end"]["gflops"]
    k256 = next(x for k, x in roof.items() if k.startswith("small matmul batched"))
    fast, xla = roof["sine (fast)"], roof["sine (xla)"]
    rows = [
        [f"large matmul {mm['n']}² (jnp)", f"{span([start, end, big['gflops']], 0)} GFLOP/s (this VM's rate moves: "
         f"{start:.0f} at the start of the benchmark, {end:.0f} at its end, {big['gflops']:.0f} in the roofline run); "
         f"torch/MKL {mm['torch_gflops']:.0f} in the benchmark"],
        ["small matmul 784×32·32×32, one call", f"{roof['small matmul 784×32·32×32 (one call)']['gflops']:.0f} GFLOP/s"],
        [f"the same, batched over {k256['ceiling'].split(', ')[-1]} members (one device)",
         f"{k256['gflops']:.0f} GFLOP/s — about one core's worth"],
        ["elementwise stream 2x+b, 1 MiB (in cache)",
         _stream(roof["stream 2x+b (in cache, 1 MiB)"])],
        ["elementwise stream, 768 MB (out of cache, first touch included)",
         _stream(roof["memory stream 2x+b (out of cache)"])],
        ["fast sine / XLA `sin` (16M values)",
         f"{fast['ns_per_value']:.1f} / {xla['ns_per_value']:.1f} ns/value "
         f"({xla['ns_per_value'] / fast['ns_per_value']:.1f}×)"],
    ]
    return markdown_table(["ceiling", "rate"], rows)


def _stream(x) -> str:
    return f"{x['gbytes_per_s']:.2g} GB/s, {x['ns_per_value']:.2g} ns/value"


def ratio(row) -> float:
    """A many-fields row over its like-for-like baseline (runs before that baseline: over one process)."""
    return row.get("ratio_vs_baseline", row["ratio_vs_sequential"])


@generator("bench-many-fields")
def many_fields(r) -> str:
    m = r[BENCH]["many_fields"]
    by = {(x["mode"], x["K"]): x for x in m["rows"]}
    ks = sorted({x["K"] for x in m["rows"]})
    dev = sorted({x["mode"] for x in m["rows"] if x["mode"].startswith("devices=")})
    like = any("ratio_vs_baseline" in x for x in m["rows"])

    def cell(mode, k, best=False):
        x = by.get((mode, k))
        if not x:
            return "–"
        text = f"{ratio(x):.2f}×"
        return f"**{text}** ({x['fields_per_s']:.1f} fields/s)" if best else text

    top = max((x for x in m["rows"] if x["mode"] in dev), key=ratio)
    rows = []
    for k in ks:
        mem = " / ".join(f"{by[(mode, k)]['bytes_per_field'] / 2 ** 10:.0f}" if (mode, k) in by else "–"
                         for mode in ("one vmap", "blocks"))
        rows.append([k, cell("one vmap", k), cell("blocks", k)]
                    + [cell(d, k, by.get((d, k)) is top) for d in dev] + [mem + " KiB"])
    base = "× its baseline" if like else "× one sequential process"
    return markdown_table(["K", f"one vmap ({base})", f"blocks, 1 device ({base})"]
                 + [f"{d} (blocks, {base})" for d in dev] + ["memory per field: one vmap / blocks"],
                 rows, ["---:"] * (4 + len(dev)))


@generator("bench-many-sequential")
def many_sequential(r) -> str:
    m = r[BENCH]["many_fields"]
    s = m["sequential"]
    per_step = s["fit_median_s"] / m["config"]["steps"] * 1e3
    return (f"{s['fit_median_s']:.3f} s per fit, {s['fields_per_s']:.1f} fields/s ({per_step:.2f} ms per step "
            "including each `fit`'s host overhead)")


@generator("bench-many-best")
def many_best(r) -> str:
    m = r[BENCH]["many_fields"]
    k = 256 if any(x["K"] == 256 for x in m["rows"]) else max(x["K"] for x in m["rows"])
    rows = [x for x in m["rows"] if x["K"] == k]
    best = max(rows, key=ratio)
    one = next(ratio(x) for x in rows if x["mode"] == "blocks")
    if "ratio_vs_baseline" in best:
        return (f"**{best['ratio_vs_baseline']:.2f}×** as many fields per second as {best['baseline']} "
                f"({best['mode']}, K = {k}; one device against one process: {one:.2f}×)")
    return (f"**{best['ratio_vs_sequential']:.2f}×** as many fields per second as sequential fits in one process "
            f"({best['mode']} on both cores, K = {k}; one device, like against like: {one:.2f}×)")


def _size(pixels: int) -> str:
    return f"{pixels // 2 ** 20}M" if pixels >= 2 ** 20 else f"{pixels // 2 ** 10}k"


def _time(ms: float) -> str:
    return f"{ms / 1e3:.3g} s" if ms >= 1e3 else f"{ms:.0f} ms"


@generator("bench-scaling")
def scaling(r) -> str:
    sc = r[BENCH]["scaling"]
    ex = sc["exponents"]
    px, mb, wd = sc["pixels"], sc["minibatch"], sc["width"]
    rows = [
        [f"pixels, full batch (W={px[0]['width']})", f"{_size(px[0]['pixels'])} → {_size(px[-1]['pixels'])}",
         f"{_time(px[0]['median_ms'])} → {_time(px[-1]['median_ms'])}",
         f"**{ex['pixels_full_batch']:.2f}** (memory {ex['pixels_memory']:.2f}: "
         f"{px[0]['compiled_bytes'] / 2 ** 20:.0f} MiB → {px[-1]['compiled_bytes'] / 2 ** 30:.1f} GiB)"],
        [f"pixels, {mb[0]['batch']:,}-sample minibatches", ", ".join(_size(x["pixels"]) for x in mb),
         ", ".join(f"{x['median_ms']:.0f}" for x in mb) + " ms",
         f"{ex['pixels_minibatch']:.2f} (flat: cost per step is the batch)"],
        [f"width ({side(128, 128) if wd[0]['pixels'] == 128 ** 2 else wd[0]['pixels']}, full batch)",
         f"{wd[0]['width']} → {wd[-1]['width']}", f"{_time(wd[0]['median_ms'])} → {_time(wd[-1]['median_ms'])}",
         f"{ex['width']:.2f} overall, **{ex['width_last_two']:.2f}** between {wd[-2]['width']} and {wd[-1]['width']} "
         f"(→ 2 as the W² matmuls dominate; {wd[0]['matmul_gflops']:.0f} → {wd[-1]['matmul_gflops']:.0f} GFLOP/s)"],
    ]
    return markdown_table(["series", "points", "step time", "exponent"], rows, ["---", "---", "---", "---:"])


@generator("bench-exponents")
def exponents(r) -> str:
    ex = r[BENCH]["scaling"]["exponents"]
    return (f"pixels^{ex['pixels_full_batch']:.2f} and width^{ex['width']:.2f} "
            f"(^{ex['width_last_two']:.2f} between the two largest widths)")


@generator("bench-sweep-config")
def sweep_config(r) -> str:
    c = r[BENCH]["sweep"]["config"]
    width, depth = (int(re.search(rf"{k}=(\d+)", c["model"]).group(1)) for k in ("width", "depth"))
    return f"{c['samples']} samples, SIREN {depth}×{width}, {c['steps']} steps"


@generator("bench-sweep-ratios")
def sweep_ratios(r) -> str:
    res = r[BENCH]["sweep"]["results"]
    return (f"K = {', '.join(str(x['K']) for x in res)}: sweep/sequential "
            + ", ".join(f"{x['ratio_sweep_over_sequential']:.2f}" for x in res))


@generator("bench-headline")
def headline(r) -> str:
    d = r[BENCH]
    by = {(x["model"], x["pixels"], x["case"]): x for x in d["train_step"]["rows"]}
    model, n, h, w = max(s for s in _sizes(d) if s[0] == "siren")
    f, t, c = (by[(model, n, k)]["median_ms"] for k in ("jax fast", "torch", "torch compiled"))
    flag = (", a run whose equivalence check failed for the compiled peer: see `docs/performance.md`"
            if (model, n, "torch compiled") in _failed(d) else "")
    return (f"{f:.0f} ms vs {t:.0f} ms eager ({f / t:.2f}×) and {c:.0f} ms with `torch.compile` "
            f"({f / c:.2f}×{flag})")


@generator("bench-small")
def small(r) -> str:
    d = r[BENCH]
    ratios = [x for x in d["train_step"]["ratios"] if x["jax_case"] == "jax fast" and x["model"] == "siren"]
    x = min(ratios, key=lambda x: x["pixels"])
    return (f"at {side(x['height'], x['width'])} we are behind ({x['ratio_jax_over_torch']:.2f}× eager, "
            f"{x['ratio_jax_over_torch_compiled']:.2f}× compiled)")
