"""exp-spectra end to end on the quick protocol shrunk with ``dataclasses.replace``: every section runs, the JSON
has its keys, numbers are finite, the report is rebuilt from the saved JSON alone.

Compile-bound (≈ 25 jitted functions of tiny models): XLA's optimisation passes are switched off for the
run (restored afterwards), which cuts the CPU time from ~30 s to ~18 s; the checks do not depend on them.
"""
from __future__ import annotations

import dataclasses
import json
import math

import jax
import numpy as np
import pytest

from experiments import common, spectra
from spectral_inr.protocols.spectra import SPECTRA

QUICK = SPECTRA["quick"]
# compile-bound: every jitted function compiles once per model, so it also drops a few models
TINY = dataclasses.replace(
    QUICK, name="tiny",
    act=dataclasses.replace(QUICK.act, n=256, width=16, depth=2, models=("siren", "siren2")),
    bias=dataclasses.replace(QUICK.bias, n=64, width=16, depth=2, tuner_width=8, ff_features=8, steps=40, every=20,
                             models=("relu+ff", "tuner")),
    tuner=dataclasses.replace(QUICK.tuner, n=32, check_n=64, m=5, bandlimit=8, width=8, steps=40, orders=(2,),
                              target=((1, 1.0), (3, 0.5), (10, 0.2))),
    ntk=dataclasses.replace(QUICK.ntk, side=6, width=8, depth=2, tuner_m=6, tuner_bandlimit=3, seeds=1))


def _numbers(obj):
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return
    if isinstance(obj, (int, float)):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _numbers(v)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("spectra")
    previous = bool(jax.config.values.get("jax_disable_most_optimizations", False))
    jax.config.update("jax_disable_most_optimizations", True)
    try:
        common.main("spectra", {"tiny": TINY}, spectra.run, spectra.report, ["--profile", "tiny", "--out", str(out)])
    finally:
        jax.config.update("jax_disable_most_optimizations", previous)
    return out, json.loads((out / "spectra-tiny.json").read_text())


def test_files_and_keys(saved):
    out, p = saved
    for key in ("activations", "spectral_bias", "tuner_expansion", "ntk", "timings", "seconds", "environment"):
        assert key in p
    md = (out / "spectra-tiny.md").read_text()
    assert "N(0, 1 + ω0²/(3n))" in md and "## 4. NTK" in md
    # numbers only: the interpretation lives in docs/findings.md, not in generated text
    for word in ("Interpretation", "confirm", "claim", "right reference", "flattens", "so for the trained"):
        assert word not in md, word
    for fig in ("activations-siren", "activations-siren2", "layer-spectra", "spectral-bias", "tuner-spectrum", "ntk"):
        assert (out / f"spectra-tiny-{fig}.png").exists(), fig

    act = p["activations"]
    assert set(act["layers"]) == {"siren", "siren2"}
    assert len(act["siren2_noise_scales"]) == 2 and act["siren2_noise_scales"][0] > 0
    hidden = act["layers"]["siren"]["layers_1"]
    for k in ("pre_rms", "pre_sigma_theory", "ks_pre_normal_theory", "ks_pre_normal_unit", "ks_post_arcsine",
              "post_centroid_bins", "sum_centroid_bins", "sum_over_mean_total_power"):
        assert k in hidden, k
    n = act["config"]["width"]
    assert hidden["pre_sigma_theory"] == pytest.approx(math.sqrt(1 + 30.0 ** 2 / (3 * n)))
    d = act["derived"]
    assert d["siren_hidden_sigma_theory"] == pytest.approx(hidden["pre_sigma_theory"])
    s0 = act["siren2_noise_scales"][0]
    assert d["siren2_layer0_freq_std_cycles"] == pytest.approx(s0 / math.pi)
    assert d["siren2_layer0_freq_std_over_nyquist"] == pytest.approx(s0 / math.pi / (act["config"]["n"] // 2))
    assert 0 <= hidden["ks_post_arcsine"] <= 1

    bias = p["spectral_bias"]["signals"]["mixture-1d"]["models"]
    assert set(bias) == {"relu+ff", "tuner"}
    for rec in bias.values():
        err = np.asarray(rec["errors"], float)
        assert err.shape == (1, len(rec["steps"]), 3) and np.isfinite(err).all()
        assert set(rec["steps_to_reach"]) == {"0.1", "0.01"}

    tun = p["tuner_expansion"]
    assert list(tun["orders"]) == ["2"]
    r = tun["orders"]["2"]
    assert r["bound_holds"] is True and 0 <= r["energy_fraction"] <= 1 and r["relative_error"] >= 0
    assert 0 < r["alpha_mass"] <= 1 + 1e-4 and tun["init_check"]["bound_holds"] is True
    assert tun["max_abs_omega_w_over_c"] <= 1 + 1e-5        # the optimizer's bound projection held

    ntk = p["ntk"]["models"]
    assert set(ntk) == {"siren", "siren2", "tuner"}
    for rec in ntk.values():
        lam = np.asarray(rec["mean_spectrum"], float)
        assert lam[0] == pytest.approx(1.0) and len(lam) == p["ntk"]["points"]
        assert all(0 <= t <= 1 for t in rec["tail_fraction"])
    comp = p["ntk"]["comparison"]
    tails = {k: np.mean(v["tail_fraction"]) for k, v in ntk.items()}
    assert comp["tail_mean"] == pytest.approx(tails)
    assert comp["siren2_minus_siren_tail"] == pytest.approx(tails["siren2"] - tails["siren"])


def test_report_from_saved_json(saved):
    """``--report-only`` rebuilds the same Markdown from the JSON (figures that need the run's arrays are skipped)."""
    out, _ = saved
    md = (out / "spectra-tiny.md").read_text()
    (out / "spectra-tiny.md").unlink()
    common.main("spectra", {"tiny": TINY}, spectra.run, spectra.report,
                ["--profile", "tiny", "--out", str(out), "--report-only"])
    assert (out / "spectra-tiny.md").read_text() == md


def test_ntk_comparison():
    rec = {"siren": {"tail_fraction": [0.5, 0.7]}, "siren2": {"tail_fraction": [0.8, 0.8]}}
    c = spectra.ntk_comparison(rec)
    assert c["siren2_minus_siren_tail"] == pytest.approx(0.2) and c["combined_seed_std"] == pytest.approx(0.1)
    assert c["difference_over_std"] == pytest.approx(2.0)
    assert "siren2_minus_siren_tail" not in spectra.ntk_comparison({"tuner": {"tail_fraction": [0.3]}})


def _nones(obj, path=()):
    if obj is None:
        yield path
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _nones(v, path + (k,))
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _nones(v, path)


def test_numbers_are_finite(saved):
    _, p = saved
    values = list(_numbers({k: v for k, v in p.items() if k != "environment"}))
    assert len(values) > 100
    assert all(math.isfinite(v) for v in values)
    # NaN/inf are written as null: the only legitimate nulls are "never reached" entries and config options
    # (and difference/std of the NTK tails with one seed: no spread)
    allowed = {("ntk", "comparison", "difference_over_std")} if p["ntk"]["config"]["seeds"] == 1 else set()
    bad = [path for path in _nones(p) if "steps_to_reach" not in path and "config" not in path
           and path not in allowed]
    assert not bad, bad[:5]
