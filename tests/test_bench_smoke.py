"""Smoke test of the performance benchmark: ``python -m benchmarks.run --quick``.

Runs the benchmark in a subprocess (fresh JAX state, ``SPECTRAL_INR_SINE`` and XLA
options isolated from the test process) with tiny sizes into ``tmp_path`` and checks
the report's structure and that every measured number is positive and finite.
No speed assertions: timings on a shared machine say nothing about correctness.
The subprocess compiles with ``--xla_backend_optimization_level=0`` (LLVM -O0): the
numbers are meaningless anyway and compilation dominates the run (about 20 s of CPU
instead of 30 s on the 2-core development machine).
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if k != "SPECTRAL_INR_SINE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()
    cmd = [sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(out), "--device-name", "test"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    files = sorted(p.name for p in out.iterdir())
    assert files == ["bench-test-quick.json", "bench-test-quick.md"], files
    data = json.loads((out / "bench-test-quick.json").read_text())
    data["_md"] = (out / "bench-test-quick.md").read_text()
    return data


def test_header_and_environment(report):
    assert report["schema"] == 1 and report["mode"] == "quick" and report["device"] == "test"
    assert report["errors"] == []
    env = report["environment"]
    for key in ("jax", "jaxlib", "backend", "cpu_count", "thread_env", "device_kind"):
        assert key in env
    assert env["jax_enable_x64"] is False
    if HAS_TORCH:
        assert env["torch"] and env["torch_num_threads"] >= 1
    else:
        assert env["torch"] is None
        assert any("torch" in n.lower() for n in report["notes"])
    assert report["total_seconds"] > 0
    assert "# spectral_inr benchmark" in report["_md"]


def test_matmul_rate(report):
    mm = report["matmul_rate"]
    assert mm["n"] > 0 and _positive(mm["gflops"]) and _positive(mm["median_s"])
    assert all(_positive(t) for t in mm["start"]["times_s"] + mm["end"]["times_s"])


def test_train_step_rows(report):
    steps = report["train_step"]
    rows = steps["rows"]
    models = {r["model"] for r in rows}
    assert models == {"siren", "tuner"}
    for model in models:
        cases = {r["case"] for r in rows if r["model"] == model}
        assert {"jax fast", "jax xla-sin"} <= cases
        assert ("torch" in cases) == HAS_TORCH
    for r in rows:
        for key in ("median_ms", "min_ms", "matmul_gflop", "achieved_matmul_gflops", "roofline_fraction",
                    "process_cpu_ms_median"):
            assert _positive(r[key]), (r["case"], key, r[key])
        assert r["times_ms"] and all(_positive(t) for t in r["times_ms"])
        assert all(math.isfinite(v) for v in r["warmup_losses"])
        if r["framework"] == "jax":
            assert _positive(r["compile_s"])
            ca = r["cost_analysis"]
            assert _positive(ca["flops"])
            assert ca.get("hlo_has_f64") in (False, None)  # float32 everywhere
    # the switch between jnp.sin and the fast sine really changed the compiled programs
    base = [r for r in rows if r["variant"] == "base" and r["framework"] == "jax"]
    assert all(r["cost_analysis"]["hlo_has_xla_sine_op"] == (r["sine"] == "xla") for r in base)


def test_reference_matmul_in_every_round(report):
    """The roofline divides each round's step by the matmul timed in that same round."""
    steps = report["train_step"]
    repeats = report["settings"]["repeats"]
    assert len(steps["reference_rounds"]) == len({(r["model"], r["pixels"]) for r in steps["rows"]})
    for ref in steps["reference_rounds"]:
        assert len(ref["gflops_per_round"]) == repeats and all(_positive(g) for g in ref["gflops_per_round"])
    for r in steps["rows"]:
        per_round = [a / g for a, g in zip((r["matmul_gflop"] / (t / 1e3) for t in r["times_ms"]),
                                          r["reference_gflops_per_round"])]
        assert r["roofline_per_round"] == pytest.approx(per_round, rel=1e-9)
        assert r["roofline_fraction"] == pytest.approx(sorted(per_round)[len(per_round) // 2], rel=1e-9)
    assert "## Reference matmul, per timing round" in report["_md"]


def test_ratios_and_equivalence(report):
    steps = report["train_step"]
    if HAS_TORCH:
        assert steps["ratios"]
        for r in steps["ratios"]:
            assert _positive(r["ratio_jax_over_torch"]) and _positive(r["torch_ms"])
    else:
        assert steps["ratios"] == []
    checks = steps["equivalence_checks"]
    assert checks
    for c in checks:  # same network, same initial parameters and data -> same losses at the same steps
        assert c["steps"] == [0, 1] and c["passed"] and c["max_rel_diff"] <= c["rtol"], c
    assert all(r["equivalence_passed"] is not False for r in steps["rows"])
    assert "## Equivalence" in report["_md"] and "FAILED |" not in report["_md"]   # no flagged cell


def test_equivalence_needs_the_same_steps():
    """Hand-made losses: equal steps pass, a one-step offset (the old torch.compile bug) fails, too few fail."""
    from benchmarks.equivalence import equivalence  # noqa: PLC0415

    ok = equivalence([0.36488843, 0.29244137, 0.2363], [0.36488843, 0.29244095])
    assert ok["passed"] and ok["steps"] == [0, 1] and ok["max_rel_diff"] == pytest.approx(1.436e-6, rel=1e-2)
    shifted = equivalence([0.36488843, 0.29244137], [0.29244137, 0.23630279])
    assert not shifted["passed"] and shifted["max_rel_diff"] == pytest.approx(0.1985, rel=1e-3)
    assert not equivalence([0.36488843, 0.29244137], [0.36488843])["passed"]


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_peer_stepped_before_the_timer_is_compared_at_the_same_steps():
    """A torch peer that takes step 0 before timing (as ``torch.compile`` does) still matches JAX step for step."""
    import jax  # noqa: PLC0415

    from benchmarks.timing import JaxCase, time_round_robin  # noqa: PLC0415
    from benchmarks.equivalence import equivalence  # noqa: PLC0415
    from benchmarks.train_step import take_first_step  # noqa: PLC0415
    from benchmarks.workloads import build_model, flax_step, image_batch, torch_case_for  # noqa: PLC0415

    model, tx, _, groups = build_model("siren")
    coords, target = image_batch(8, 8)
    params = jax.jit(model.init)(jax.random.PRNGKey(0), coords[:1])["params"]
    ref = JaxCase("jax xla-sin", "xla", "base", flax_step(model, tx), params, tx.init(params), coords, target)
    peer = take_first_step(torch_case_for("siren", model, params, groups, coords, target))
    losses = {k: v["warmup_losses"] for k, v in time_round_robin([ref, peer], warmup=2, repeats=1).items()}
    assert len(losses["torch"]) == 3   # step 0 before the timer, steps 1 and 2 in the warm-up
    check = equivalence(losses["jax xla-sin"], losses["torch"])
    assert check["passed"] and check["max_rel_diff"] < 1e-5, check
    assert not equivalence(losses["jax xla-sin"], losses["torch"][1:])["passed"]   # what was compared before


def test_variants_and_profile(report):
    steps = report["train_step"]
    names = {v["variant"] for v in steps["variants"]}
    assert {"base", "no donation", "engine Fitter.step"} <= names
    assert any("fused" in n for n in names)
    for v in steps["variants"]:
        assert _positive(v["median_ms"]) and _positive(v["relative_to_jax_fast"])
    prof = steps["profile"]
    assert prof
    for p in prof.values():
        assert "error" not in p, p
        assert set(p["share"]) == {"matmul", "sine", "reduce", "elementwise/other"}
        assert all(math.isfinite(v) and v >= 0 for v in p["ms_per_step"].values())
        assert p["attributed_ms_per_step"] > 0
        assert p["instructions_by_category"]["matmul"] > 0


def test_sweep(report):
    sw = report["sweep"]
    assert sw["config"]["samples"] > 0
    assert _positive(sw["fit_first_call_s"])
    ks = [r["K"] for r in sw["results"]]
    assert ks == sorted(ks) and len(ks) >= 2
    for r in sw["results"]:
        for key in ("sweep_wall_s", "sequential_wall_s", "ratio_sweep_over_sequential",
                    "sweep_first_call_s", "member_steps_per_s_sweep", "member_steps_per_s_sequential"):
            assert _positive(r[key]), (key, r[key])
        assert math.isfinite(r["final_loss_max_abs_diff_vs_fit"])


def test_targets(report):
    t = report["targets"]
    assert "roofline_ge_0.5" in t
    assert any(k.startswith("sweep") for k in t)
    assert ("jax_step_le_0.5x_torch_eager" in t) == HAS_TORCH
    assert "many_fields_ge_5x_sequential_at_K256" not in t   # the quick run has no K=256


def test_many_fields(report):
    many = report["many_fields"]
    seq = many["sequential"]
    assert seq["fits"] == 2 and _positive(seq["fields_per_s"])
    modes = {r["mode"] for r in many["rows"]}
    cores = report["environment"]["cpu_count"]
    assert {"one vmap", "blocks"} <= modes and (f"devices={cores}" in modes) == (cores > 1)
    for r in many["rows"]:
        g, b, m = r["blocks"]
        assert g * b * m >= r["K"] and (g, b, m) != (0, 0, 0)
        for key in ("wall_s", "fields_per_s", "ratio_vs_sequential", "program_bytes", "bytes_per_field"):
            assert _positive(r[key]), (r["mode"], key, r[key])
    # one vmap keeps every member's activations at once: more bytes than the blocked program at the same K
    by = {(r["mode"], r["K"]): r for r in many["rows"]}
    assert by[("one vmap", 8)]["program_bytes"] > by[("blocks", 8)]["program_bytes"]
    assert all(k is None or k > 0 for k in many["largest_k_in_8gib"].values())
    # like against like: one device over one sequential process, N devices over N sequential processes
    for r in many["rows"]:
        n = int(r["mode"].split("=")[1]) if r["mode"].startswith("devices=") else 1
        assert r["baseline"] == ("sequential fits in one process" if n == 1 else f"{n} sequential processes at once")
        assert _positive(r["ratio_vs_baseline"])
    if cores > 1:
        base = many[f"sequential_processes_{cores}"]
        assert base["processes"] == cores and len(base["walls_s"]) == cores and _positive(base["fields_per_s"])
        assert f"Baseline for {cores} devices" in report["_md"]
    assert "## Many small fields" in report["_md"]


def test_sweep_rows_are_internally_consistent(report):
    """The sweep rows' arithmetic (rates, ratios, sums, medians) and the equivalence of K seeds in one
    sweep with K separate fits: numbers a wrong K, step count or timing bookkeeping would break."""
    import statistics

    sw = report["sweep"]
    steps = sw["config"]["steps"]
    for r in sw["results"]:
        k = r["K"]
        assert len(r["sequential_fit_walls_s"]) == k
        assert r["sequential_wall_s"] == pytest.approx(sum(r["sequential_fit_walls_s"]), rel=1e-12)
        assert r["sweep_wall_s"] == pytest.approx(statistics.median(r["sweep_walls_s"]), rel=1e-12)
        assert r["ratio_sweep_over_sequential"] == pytest.approx(r["sweep_wall_s"] / r["sequential_wall_s"], rel=1e-9)
        assert r["member_steps_per_s_sweep"] == pytest.approx(k * steps / r["sweep_wall_s"], rel=1e-9)
        assert r["member_steps_per_s_sequential"] == pytest.approx(k * steps / r["sequential_wall_s"], rel=1e-9)
        assert (r["sweep_compile_s_estimate"] is None) == (k == 1)
        # seeds 0..K-1 in one vmapped sweep end where K separate fits with those seeds end
        assert r["final_loss_max_abs_diff_vs_fit"] <= 1e-4, r["final_loss_max_abs_diff_vs_fit"]
    walls = [r["sequential_fit_walls_s"] for r in sw["results"]]
    assert all(w == walls[-1][:len(w)] for w in walls)      # the first K of the same warm fits


def test_many_fields_rows_are_internally_consistent(report):
    """K fields at once: every configured K has a row per mode, the member blocks cover exactly K
    (no whole block of padding), and rates, bytes and ratios follow from K, steps and the walls."""
    import statistics

    many = report["many_fields"]
    steps = many["config"]["steps"]
    seq = many["sequential"]
    assert len(seq["fit_walls_s"]) == seq["fits"]
    assert seq["fields_per_s"] == pytest.approx(1 / statistics.median(seq["fit_walls_s"]), rel=1e-12)
    ks_by_mode: dict = {}
    for r in many["rows"]:
        k, (g, b, m) = r["K"], r["blocks"]
        ks_by_mode.setdefault(r["mode"], []).append(k)
        assert g * b * m >= k and g * b * m - m < k, (r["mode"], k, r["blocks"])   # padding < one block
        if r["mode"] == "one vmap":
            assert (g, b, m) == (1, 1, k)
        if r["mode"].startswith("devices="):
            assert g == int(r["mode"].split("=")[1])
        assert r["fields_per_s"] == pytest.approx(k / r["wall_s"], rel=1e-9)
        assert r["member_steps_per_s"] == pytest.approx(k * steps / r["wall_s"], rel=1e-9)
        assert r["bytes_per_field"] == pytest.approx(r["program_bytes"] / k, rel=1e-12)
        assert r["ratio_vs_sequential"] == pytest.approx(r["fields_per_s"] / seq["fields_per_s"], rel=1e-9)
    ks = ks_by_mode["blocks"]
    assert ks == sorted(set(ks)) and len(ks) >= 2
    assert all(set(v) <= set(ks) for v in ks_by_mode.values())


def test_scaling(report):
    sc = report["scaling"]
    assert [r["pixels"] for r in sc["pixels"]] == [256, 1024] and [r["width"] for r in sc["width"]] == [16, 32]
    for r in sc["pixels"] + sc["width"]:
        assert _positive(r["median_ms"]) and _positive(r["compiled_bytes"]) and _positive(r["estimated_bytes"])
    # 4× the pixels: the compiled program and the shape estimate both grow (per-sample activations)
    a, b = sc["pixels"]
    assert b["compiled_bytes"] > 2 * a["compiled_bytes"] and b["estimated_bytes"] == 4 * a["estimated_bytes"]
    assert all(math.isfinite(v) for v in sc["exponents"].values())
    assert "## How cost grows" in report["_md"]



def test_video_fit(report):
    v = report["video"]
    assert v["shape"] == [4, 24, 32, 3] and v["samples"] == 4 * 24 * 32
    for key in ("samples_per_s", "train_s", "eval_s", "prediction_bytes"):
        assert _positive(v[key]), key
    assert v["eval_rss_growth_bytes"] >= 0 and math.isfinite(v["psnr"])
    assert "## Video fit" in report["_md"]

@pytest.mark.slow
def test_gpu_script_runs_at_tiny_sizes_on_the_cpu(tmp_path):
    """``benchmarks/gpu.sh`` without a GPU: every step at tiny sizes (the check before an H200 is at hand)."""
    shared = ROOT.parent / "shared" / "data"
    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(tmp_path), "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_backend_optimization_level=0"}
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh")] + ([str(shared)] if shared.exists() else []),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "tiny sizes on the CPU" in proc.stdout and "gpu.sh done" in proc.stdout
    bench = json.loads((tmp_path / "bench-cpu-quick.json").read_text())
    assert bench["errors"] == [] and bench["many_fields"]["rows"]
    prec = json.loads((tmp_path / "precision-cpu.json").read_text())
    assert [r["precision"] for r in prec["rows"]] == ["highest", "tensorfloat32"]
    assert all(_positive(r["step_ms"]) and math.isfinite(r["psnr_db"]) for r in prec["rows"])
    if (shared / "kodak").exists():
        assert "probe: 5 epochs" in proc.stdout and (tmp_path / "kodak-smoke-5ep.json").exists()
