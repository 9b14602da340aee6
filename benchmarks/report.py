"""The benchmark report: targets reached or not, and the markdown tables."""
from __future__ import annotations

import json


def targets(report) -> dict:
    out = {}
    steps = report.get("train_step") or {}
    ratios = [r for r in steps.get("ratios", []) if r["jax_case"] == "jax fast"]
    for key, name, goal in (("ratio_jax_over_torch", "jax_step_le_0.5x_torch_eager", 0.5),
                            ("ratio_jax_over_torch_compiled", "jax_step_le_0.8x_torch_compiled", 0.8)):
        vals = {f"{r['model']} {r['height']}x{r['width']}": r[key] for r in ratios if key in r}
        if vals:
            out[name] = {"ratios": vals, "target": goal, "reached": {m: v <= goal for m, v in vals.items()}}
    rows = [r for r in steps.get("rows", []) if r["case"] == "jax fast"]
    if rows:
        largest = max(r["pixels"] for r in rows)
        vals = {r["model"]: r["roofline_fraction"] for r in rows if r["pixels"] == largest}
        out["roofline_ge_0.5"] = {"pixels": largest, "fractions": vals, "target": 0.5,
                                  "reached": {m: (v is not None and v >= 0.5) for m, v in vals.items()}}
    sw = report.get("sweep") or {}
    res = {r["K"]: r for r in sw.get("results", [])}
    if res:
        k = 16 if 16 in res else max(res)
        out[f"sweep{k}_le_0.25x_sequential"] = {"K": k, "ratio": res[k]["ratio_sweep_over_sequential"],
                                                "target": 0.25,
                                                "reached": res[k]["ratio_sweep_over_sequential"] <= 0.25}
    many = report.get("many_fields") or {}
    rows = [r for r in many.get("rows", []) if r["K"] == 256]
    if rows:
        best = max(rows, key=lambda r: r["ratio_vs_sequential"])
        out["many_fields_ge_5x_sequential_at_K256"] = {
            "ratios": {r["mode"]: r["ratio_vs_sequential"] for r in rows}, "best": best["mode"], "target": 5.0,
            "reached": best["ratio_vs_sequential"] >= 5.0}
    return out


def _fmt(v, nd=1):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def markdown(report) -> str:
    env = report["environment"]
    lines = [f"# spectral_inr benchmark — {report['device']} ({report['mode']})", "",
             f"Taken {report['timestamp']}; jax {env['jax']}, torch {env.get('torch') or 'not installed'}, "
             f"{env['cpu_model']} ({env['cpu_count']} CPUs), load average at start/end "
             f"{report.get('loadavg_start')} / {report.get('loadavg_end')}.", ""]
    if report.get("notes"):
        lines += [f"> {n}" for n in report["notes"]] + [""]
    mm = report.get("matmul_rate", {})
    if mm:
        torch_mm = f"; torch {mm['torch_gflops']:.1f} GFLOP/s" if mm.get("torch_gflops") else ""
        lines += [f"Reference matmul ({mm['n']}² fp32, jnp): {mm['gflops']:.1f} GFLOP/s "
                  f"(median of start+end samples; start {mm['start']['gflops']:.1f}, end {mm['end']['gflops']:.1f})"
                  f"{torch_mm}.", ""]
    steps = report.get("train_step")
    if steps:
        lines += ["## Train step (forward + backward + Adam, full batch, median ms)", "",
                  "| model | pixels | jax fast | jax xla-sin | torch | torch compiled | fast/torch | "
                  "fast/compiled | xla/torch | matmul GFLOP | fast GFLOP/s | roofline |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        by = {(r["model"], r["pixels"], r["case"]): r for r in steps["rows"]}
        keys = sorted({(r["model"], r["pixels"]) for r in steps["rows"]})
        for m, n in keys:
            f, x, t = by.get((m, n, "jax fast")), by.get((m, n, "jax xla-sin")), by.get((m, n, "torch"))
            tc = by.get((m, n, "torch compiled"))
            lines.append("| " + " | ".join([
                m, str(n), _fmt(f and f["median_ms"]), _fmt(x and x["median_ms"]), _fmt(t and t["median_ms"]),
                _fmt(tc and tc["median_ms"]), _fmt(f and t and f["median_ms"] / t["median_ms"], 2),
                _fmt(f and tc and f["median_ms"] / tc["median_ms"], 2),
                _fmt(x and t and x["median_ms"] / t["median_ms"], 2),
                _fmt(f and f["matmul_gflop"], 2), _fmt(f and f["achieved_matmul_gflops"]),
                _fmt(f and f["roofline_fraction"], 2)]) + " |")
        lines.append("")
        if steps.get("variants"):
            lines += ["## SIREN variants (largest size)", "",
                      "| case | median ms | min ms | process CPU ms | × jax fast (median) | × jax fast (min) | "
                      "same HLO as jax fast |",
                      "|---|---:|---:|---:|---:|---:|:---:|"]
            for v in steps["variants"]:
                lines.append(f"| {v['case']} | {v['median_ms']:.1f} | {v['min_ms']:.1f} | {v['process_cpu_ms']:.0f} | "
                             f"{v['relative_to_jax_fast']:.2f} | {v['relative_to_jax_fast_min']:.2f} | "
                             f"{_fmt(v['hlo_identical_to_jax_fast'])} |")
            for s in steps.get("variants_skipped", []):
                lines.append(f"| {s['variant']} (skipped: {s['error'][:60]}) | – | – | – | – | – | – |")
            lines.append("")
        if steps.get("components"):
            lines += ["## Isolated components (same shapes as the step, timed in the same rounds)", "",
                      "| component | median ms | min ms | GFLOP/s |", "|---|---:|---:|---:|"]
            for c in steps["components"]:
                lines.append(f"| {c['component']} ({c['pixels']} px) | {c['median_ms']:.1f} | {c['min_ms']:.1f} | "
                             f"{_fmt(c['gflops'])} |")
            lines += ["", "| step | step ms | matmuls | sine | rest (reduce, Adam, loss, overhead) |",
                      "|---|---:|---:|---:|---:|"]
            for name, a in steps.get("attribution_isolated", {}).items():
                sh = a["share"]
                lines.append(f"| {name} | {a['step_ms']:.1f} | {a['matmul_ms']:.1f} ({100 * sh['matmul']:.0f}%) | "
                             f"{a['sine_ms']:.1f} ({100 * sh['sine']:.0f}%) | "
                             f"{a['rest_ms']:.1f} ({100 * sh['rest']:.0f}%) |")
            lines.append("")
        if steps.get("profile"):
            lines += ["## Profile attribution (jax.profiler events × optimised-HLO classes)", "",
                      "Async Eigen dots (the weight gradients) are not timed by their events; their work "
                      "shows up as `unattributed` or inflates overlapping thunks.", "",
                      "| program | profiled step ms | attributed ms | matmul | sine (+fused elementwise) | reduce | "
                      "other | unattributed |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|"]
            for name, p in steps["profile"].items():
                if "error" in p:
                    lines.append(f"| {name} | error: {p['error'][:80]} | | | | | | |")
                    continue
                ms, sh = p["ms_per_step"], p["share"]
                cell = lambda c: f"{ms[c]:.1f} ({100 * sh[c]:.0f}%)"  # noqa: E731
                lines.append(f"| {name} | {p['profiled_step_ms']:.1f} | {p['attributed_ms_per_step']:.1f} | "
                             f"{cell('matmul')} | {cell('sine')} | {cell('reduce')} | {cell('elementwise/other')} | "
                             f"{_fmt(p['unattributed_ms_per_step'])} |")
            lines.append("")
        if steps.get("equivalence_checks"):
            worst = max(c["max_rel_diff"] for c in steps["equivalence_checks"])
            lines += [f"Equivalence: first two losses of jax xla-sin vs jax fast / torch agree to "
                      f"max relative difference {worst:.2e}.", ""]
    sw = report.get("sweep")
    if sw:
        c = sw["config"]
        lines += ["## K-seed vmapped sweep vs K sequential fits (warm, compile excluded)", "",
                  f"{c['model']}, {c['samples']} samples, {c['steps']} steps, sine={c['sine']}. "
                  f"First fit() call {sw['fit_first_call_s']:.2f} s "
                  f"(compile ≈ {sw['fit_compile_s_estimate']:.2f} s).",
                  "", "| K | sweep s | sequential s | sweep/sequential | sweep first call s (≈ compile) |",
                  "|---:|---:|---:|---:|---:|"]
        for r in sw["results"]:
            lines.append(f"| {r['K']} | {r['sweep_wall_s']:.3f} | {r['sequential_wall_s']:.3f} | "
                         f"{r['ratio_sweep_over_sequential']:.2f} | {r['sweep_first_call_s']:.2f} "
                         f"({_fmt(r['sweep_compile_s_estimate'], 2)}) |")
        lines.append("")
    lines += _many_fields_md(report.get("many_fields")) + _scaling_md(report.get("scaling"))
    if report.get("targets"):
        lines += ["## Targets", ""]
        for k, v in report["targets"].items():
            lines.append(f"- `{k}`: " + json.dumps({kk: vv for kk, vv in v.items()}, default=str))
        lines.append("")
    if report.get("errors"):
        lines += ["## Errors", ""] + [f"- {e}" for e in report["errors"]] + [""]
    return "\n".join(lines)


def _many_fields_md(many) -> list[str]:
    if not many:
        return []
    c, seq = many["config"], many["sequential"]
    lines = ["## Many small fields at once (sweep with member_targets) vs one after another", "",
             f"{c['model']}, {c['pixels']} pixels ({c['signals']}), {c['steps']} steps, lr {c['lr']}. "
             f"Sequential: {seq['fit_median_s']:.3f} s per fit = {seq['fields_per_s']:.1f} fields/s "
             f"({c['sequential']}). Memory: XLA's allocation for the compiled chunk of {c['chunk']} steps.", "",
             "| mode | K | blocks (groups × blocks × members) | wall s | fields/s | × sequential | MiB | KiB per field |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in many["rows"]:
        lines.append(f"| {r['mode']} | {r['K']} | {' × '.join(map(str, r['blocks']))} | {r['wall_s']:.2f} | "
                     f"{r['fields_per_s']:.1f} | {r['ratio_vs_sequential']:.2f} | {r['program_bytes'] / 2**20:.1f} | "
                     f"{r['bytes_per_field'] / 2**10:.0f} |")
    lines += ["", "Largest K whose program fits in 8 GiB (line through bytes vs K): "
              + ", ".join(f"{m}: {_fmt(k)}" for m, k in many["largest_k_in_8gib"].items()) + ".", ""]
    return lines


def _scaling_md(sc) -> list[str]:
    if not sc:
        return []
    ex = sc["exponents"]
    lines = ["## How cost grows (SIREN 3×W, Adam, sine=fast)", "",
             "| series | W | pixels | batch | step ms | matmul GFLOP/s | compiled MiB | estimated MiB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, rows in (("pixels, full batch", sc["pixels"]), ("pixels, minibatch", sc["minibatch"]),
                       ("width", sc["width"])):
        for r in rows:
            comp = r.get("compiled_bytes")
            lines.append(f"| {name} | {r['width']} | {r['pixels']} | {r['batch']} | {r['median_ms']:.1f} | "
                         f"{_fmt(r.get('matmul_gflops'))} | {_fmt(comp and comp / 2**20, 0)} | "
                         f"{r['estimated_bytes'] / 2**20:.0f} |")
    lines += ["", "Fitted exponents (t ∝ n^a): " + ", ".join(f"{k} {v:.2f}" for k, v in ex.items()) + ".", ""]
    return lines
