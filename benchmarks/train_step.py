"""Benchmark 1 — the train step (forward + backward + Adam, full batch) of SIREN 3×256 and TUNER
against PyTorch, with achieved matmul FLOP/s, the variants and the profile attribution."""
from __future__ import annotations

import re
import statistics
import time

import jax
import jax.numpy as jnp

from benchmarks import hlo_profile
from benchmarks.equivalence import equivalence
from benchmarks.timing import JaxCase, log, matmul_case, time_round_robin
from benchmarks.variants import _hlo_key, matmul_component, sine_component, variant_cases
from benchmarks.workloads import build_model, flax_step, image_batch, matmul_flops, torch_case_for


def xla_sine_on_main_path(hlo_text: str) -> bool:
    """Whether the optimised HLO runs an XLA ``sine``/``cosine`` unconditionally: in a computation
    reachable from ENTRY without entering a conditional's branch (the fast sine's fallback for
    ``|x| > 1e5`` is such a branch; it runs only for arrays that need it)."""
    bodies, entry, name, lines = {}, None, None, []
    for line in hlo_text.splitlines():
        head = re.match(r"^(ENTRY )?%?([\w.\-]+) .*\{$", line)
        if head and name is None:
            name, lines = head.group(2), []
            entry = name if head.group(1) else entry
        elif line == "}" and name is not None:
            bodies[name], name = "\n".join(lines), None
        elif name is not None:
            lines.append(line)
    seen, todo = set(), [entry]
    while todo:
        comp = todo.pop()
        if comp in seen or comp not in bodies:
            continue
        seen.add(comp)
        body = re.sub(r"(branch_computations=\{[^}]*\}|(true|false)_computation=%?[\w.\-]+)", "", bodies[comp])
        todo += re.findall(r"(?:calls|to_apply|condition|body)=%?([\w.\-]+)", body)
        todo += [n for group in re.findall(r"calls=\{([^}]*)\}", body) for n in re.findall(r"%?([\w.\-]+)", group)]
    return any(re.search(r"\b(sine|cosine)\(", bodies[c]) for c in seen)


def take_first_step(case):
    """Take ``case``'s step 0 now (inductor compiles on it) and keep its loss for the equivalence check."""
    case.losses_before = (float(case.step()),)
    return case


def bench_steps(args, use_torch: bool) -> dict:
    """Every (model, size): its cases and the reference matmul timed round-robin; one row per case."""
    rows, ratios, variants, skipped_all, checks, profiles = [], [], [], [], [], {}
    reference, reference_rounds = matmul_case(args.matmul_n), []
    comp_rows, isolated = [], {}
    sizes = args.sizes
    variant_size = sizes[-1]
    for kind in args.models:
        model, tx, layers, groups = build_model(kind)
        # parameters do not depend on the batch size: one (jit'd -- eager init is slow) init per model
        params = jax.jit(model.init)(jax.random.PRNGKey(0), jnp.zeros((1, 2), jnp.float32))["params"]
        opt0 = jax.jit(tx.init)(params)
        for (h, w) in sizes:
            n = h * w
            coords, target = image_batch(h, w)
            x, y = jnp.asarray(coords), jnp.asarray(target)
            log(f"{kind} {h}x{w}: compiling")
            cases = [
                JaxCase("jax fast", "fast", "base", flax_step(model, tx), params, opt0, x, y),
                JaxCase("jax xla-sin", "xla", "base", flax_step(model, tx), params, opt0, x, y),
            ]
            for c in cases:  # the sine switch is read at trace time: check each compiled program
                has_sine = xla_sine_on_main_path(c.hlo_text)
                c.cost["hlo_has_xla_sine_op"] = has_sine
                if has_sine != (c.sine == "xla"):
                    raise RuntimeError(f"{c.name}: sine implementation not applied (HLO sine ops: {has_sine})")
                c.cost["hlo_has_f64"] = "f64[" in c.hlo_text
            if use_torch:
                cases.append(torch_case_for(kind, model, params, groups, coords, target))
                if getattr(args, "torch_compile", False):
                    try:   # inductor compiles on the first call: do it here, so that a failure skips the case
                        t0 = time.perf_counter()
                        compiled = take_first_step(
                            torch_case_for(kind, model, params, groups, coords, target, compile=True))
                        compiled.compile_s = time.perf_counter() - t0
                        cases.append(compiled)
                    except Exception as exc:
                        log(f"torch.compile skipped: {type(exc).__name__}: {exc}")
                        skipped_all.append({"model": kind, "pixels": n, "variant": "torch compiled",
                                            "error": f"{type(exc).__name__}: {exc}"[:300]})
            skipped = []
            components = []
            if kind == "siren" and (h, w) == variant_size and not args.no_variants:
                extra, skipped = variant_cases(model, params, x, y, quick=args.quick)
                cases += extra
                skipped_all += [{"model": kind, "pixels": n, **s} for s in skipped]
                hidden = [l for l in model.layers if l.omega is not None]
                components = [matmul_component(n, layers)] + [
                    sine_component(n, [l.features for l in hidden], float(hidden[0].omega), impl)
                    for impl in (("fast",) if args.quick else ("fast", "xla"))]
            log(f"{kind} {h}x{w}: timing {len(cases)} cases x {args.repeats} rounds")
            timed = time_round_robin(cases + components + [reference], args.warmup, args.repeats)
            flops = matmul_flops(n, layers)
            # the machine's matmul rate in the same round as each step: a slowdown hits both alike
            ref_gflops = [reference.flop / t / 1e9 for t in timed[reference.name]["wall"]]
            reference_rounds.append({"model": kind, "pixels": n, "n": args.matmul_n, "gflops_per_round": ref_gflops})
            by_name = {}
            base_hlo = _hlo_key(cases[0].hlo_text)
            for c in components:
                t = timed[c.name]
                comp_rows.append({"model": kind, "pixels": n, "component": c.name,
                                  "median_ms": statistics.median(t["wall"]) * 1e3, "min_ms": min(t["wall"]) * 1e3,
                                  "times_ms": [v * 1e3 for v in t["wall"]], "compile_s": c.compile_s,
                                  "gflop": c.flop / 1e9 if c.flop else None,
                                  "gflops": c.flop / statistics.median(t["wall"]) / 1e9 if c.flop else None})
            for c in cases:
                t = timed[c.name]
                med = statistics.median(t["wall"])
                achieved = flops["total"] / med / 1e9
                per_round = [flops["total"] / w / 1e9 / g for w, g in zip(t["wall"], ref_gflops)]
                row = {
                    "model": kind, "height": h, "width": w, "pixels": n, "case": c.name,
                    "framework": c.framework, "sine": c.sine, "variant": c.variant,
                    "median_ms": med * 1e3, "min_ms": min(t["wall"]) * 1e3,
                    "times_ms": [v * 1e3 for v in t["wall"]],
                    "process_cpu_ms_median": statistics.median(t["cpu"]) * 1e3,
                    "warmup_losses": t["warmup_losses"],
                    "compile_s": c.compile_s, "cost_analysis": c.cost,
                    "hlo_identical_to_jax_fast": (_hlo_key(c.hlo_text) == base_hlo) if c.hlo_text else None,
                    "matmul_gflop": flops["total"] / 1e9,
                    "achieved_matmul_gflops": achieved,
                    "reference_gflops_per_round": ref_gflops,
                    "roofline_per_round": per_round,   # step rate / the same round's reference rate
                    "roofline_fraction": statistics.median(per_round),
                    "equivalence_passed": None,   # set below for every case checked against jax xla-sin
                }
                rows.append(row)
                by_name[c.name] = row
            # equivalence check: same network, parameters and data -> same losses at steps 0 and 1
            ref = by_name["jax xla-sin"]["warmup_losses"]
            for other in ("jax fast", "torch", "torch compiled"):
                if other in by_name:
                    check = equivalence(ref, by_name[other]["warmup_losses"])
                    checks.append({"model": kind, "pixels": n, "a": "jax xla-sin", "b": other, **check})
                    by_name[other]["equivalence_passed"] = check["passed"]
                    if not check["passed"]:
                        log(f"{kind} {h}x{w}: {other} FAILED the equivalence check "
                            f"(max relative difference {check['max_rel_diff']:.2e})")
            if "torch" in by_name:
                for jc in ("jax fast", "jax xla-sin"):
                    ratios.append({"model": kind, "pixels": n, "height": h, "width": w, "jax_case": jc,
                                   "jax_ms": by_name[jc]["median_ms"], "torch_ms": by_name["torch"]["median_ms"],
                                   "ratio_jax_over_torch": by_name[jc]["median_ms"] / by_name["torch"]["median_ms"],
                                   "torch_equivalence_passed": by_name["torch"]["equivalence_passed"]})
                    if "torch compiled" in by_name:
                        ratios[-1]["torch_compiled_equivalence_passed"] = by_name["torch compiled"]["equivalence_passed"]
                        ratios[-1]["torch_compiled_ms"] = by_name["torch compiled"]["median_ms"]
                        ratios[-1]["ratio_jax_over_torch_compiled"] = (by_name[jc]["median_ms"]
                                                                       / by_name["torch compiled"]["median_ms"])
            if (h, w) == variant_size and kind == "siren":
                base_ms = by_name["jax fast"]["median_ms"]
                base_min = by_name["jax fast"]["min_ms"]
                for c in cases:
                    r = by_name[c.name]
                    variants.append({"model": kind, "pixels": n, "case": c.name, "variant": c.variant,
                                     "sine": c.sine, "median_ms": r["median_ms"], "min_ms": r["min_ms"],
                                     "process_cpu_ms": r["process_cpu_ms_median"],
                                     "relative_to_jax_fast": r["median_ms"] / base_ms,
                                     "relative_to_jax_fast_min": r["min_ms"] / base_min,
                                     "hlo_identical_to_jax_fast": r["hlo_identical_to_jax_fast"]})
                comp = {r["component"]: r["median_ms"] for r in comp_rows if r["pixels"] == n and r["model"] == kind}
                mm_ms = comp.get("component: matmuls only")
                for case_name, impl in (("jax fast", "fast"), ("jax xla-sin", "xla")):
                    sine_ms = comp.get(f"component: sine fwd+bwd only ({impl})")
                    if mm_ms is None or sine_ms is None:
                        continue
                    step_ms = by_name[case_name]["median_ms"]
                    isolated[f"{kind} {h}x{w} {case_name}"] = {
                        "step_ms": step_ms, "matmul_ms": mm_ms, "sine_ms": sine_ms,
                        "rest_ms": step_ms - mm_ms - sine_ms,
                        "share": {"matmul": mm_ms / step_ms, "sine": sine_ms / step_ms,
                                  "rest": (step_ms - mm_ms - sine_ms) / step_ms}}
                if not args.no_profile:
                    for c in cases[:1 if args.quick else 2]:
                        log(f"profiling {kind} {h}x{w} {c.name}")
                        try:
                            prof = hlo_profile.attribute(c.compiled, c.step, args.profile_repeats)
                            prof["step_median_ms"] = by_name[c.name]["median_ms"]
                            prof["cost_analysis"] = c.cost
                            profiles[f"{kind} {h}x{w} {c.name}"] = prof
                        except Exception as exc:
                            log(f"profile failed: {exc}")
                            profiles[f"{kind} {h}x{w} {c.name}"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            del cases, components
    return {"rows": rows, "ratios": ratios, "variants": variants, "variants_skipped": skipped_all,
            "equivalence_checks": checks, "reference_rounds": reference_rounds, "components": comp_rows, "attribution_isolated": isolated,
            "profile": profiles}
