"""exp-depth: the width rule, the fitters of every (method, depth), an end-to-end tiny run, TUNER's deep bounds."""
import dataclasses
import json

import jax
import numpy as np
import pytest

from experiments import common
from experiments import depth as exp
from spectral_inr.models import tuner_frequencies
from spectral_inr.models.layers import SineLayer
from spectral_inr.protocols import depth as proto
from spectral_inr.protocols.tuner import C_DEEP
from spectral_inr.recipes import depth as recipe
from spectral_inr.signals import Signal
from spectral_inr.train import sweep


def _image(seed, n=24):
    yy, xx = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n), indexing="ij")
    rng = np.random.default_rng(seed)
    img = np.stack([0.5 + 0.3 * np.sin(3 * xx + c + rng.random()) * np.cos(2 * yy) for c in range(3)], -1)
    return Signal("image", img.astype(np.float32), f"synthetic{seed}")


def _clip(n=600):
    t = np.arange(n) / n
    return Signal("audio", (0.6 * np.sin(2 * np.pi * (8 * t + 20 * t ** 2)))[:, None].astype(np.float32),
                  "chirp.wav", n)


def _count(fitter, hp, signal):
    params = fitter.model_fn(hp).init(jax.random.PRNGKey(0), signal.coords()[:2])["params"]
    return sum(int(np.prod(x.shape)) for x in jax.tree_util.tree_leaves(params))


@pytest.mark.parametrize("study", [proto.QUICK, proto.PAPER], ids=["quick", "paper"])
def test_width_rule_keeps_every_network_within_the_budget_tolerance(study):
    assert study.tolerance == 0.02
    for signal in proto.SIGNALS:
        budget = study.budget(signal)
        for method, hidden in study.runs():
            n = study.count(signal, method, hidden)
            assert abs(n - budget) <= study.tolerance * budget, (signal, method, hidden, n, budget)
            # the closest width: one narrower or wider is no closer
            w = study.width(signal, method, hidden)
            shape = study.shape(signal, method)
            for other in (w - 1, w + 1):
                assert abs(proto.parameters(method, hidden, other, **shape) - budget) >= abs(n - budget)


def test_the_budget_is_each_protocols_own_network():
    q = proto.QUICK
    assert q.budget("kodak") == 17_027 and q.width("kodak", "tuner", 1) == q.kodak.width == 128
    assert q.budget("audio") == 12_673 and q.width("audio", "siren", 3) == q.audio.width == 64
    assert q.kodak.epochs == 300 and q.kodak.images == (1, 5, 13, 23) and q.audio.steps == 500


def test_the_protocol_builds_a_fitter_for_every_method_and_depth_with_the_counted_parameters():
    """Every (signal, method, hidden layers) of the quick study: the built network has the width, the hidden
    layers and exactly the parameters the rule counted."""
    study = proto.QUICK
    signals = {"kodak": _image(0), "audio": _clip(10_000)}
    for signal_name, signal in signals.items():
        for method, hidden in study.runs():
            fitter, hp = recipe.fitter(study, signal_name, method, hidden, signal)
            model = fitter.model_fn(hp)
            sines = [layer for layer in model.layers if isinstance(layer, SineLayer) and layer.omega is not None]
            expected_sines = hidden if recipe.is_tuner(method) else hidden + 1
            assert len(sines) == expected_sines, (signal_name, method, hidden)
            assert sines[-1].features == study.width(signal_name, method, hidden)
            assert _count(fitter, hp, signal) == study.count(signal_name, method, hidden), (signal_name, method)
            if recipe.is_tuner(method):   # the frequency dictionary does not change with depth
                assert len(model.layers[0].frequencies) == study.shape(signal_name, method)["n_frequencies"]
    with pytest.raises(ValueError, match="unknown method"):
        recipe.fitter(study, "kodak", "siren2", 1, signals["kodak"])


def _kernels(result, member=0):
    params = jax.tree_util.tree_map(lambda x: x[member], result.state.params)
    return {k: np.asarray(v["kernel"]) for k, v in params.items() if "kernel" in v}


@pytest.mark.parametrize("signal_name", ["kodak", "audio"])
def test_deeper_tuner_nets_respect_their_bounds_after_training_steps(signal_name):
    """A large learning rate pushes the weights out; after every step the projection has put the first hidden
    layer back under its per-column bounds and the layers past it under c_deep — and the variant leaves
    those deeper layers alone (they leave c_deep) while still bounding the first."""
    study = dataclasses.replace(proto.SMOKE, hidden_layers=(3,))
    signal = _image(0, 12) if signal_name == "kodak" else _clip(300)
    low, high, deep = recipe.clamp_bounds(study, signal_name, "tuner")
    assert deep == C_DEEP
    out = {}
    for method in ("tuner", "tuner-deep-unbounded"):
        fitter, hp = recipe.fitter(study, signal_name, method, 3, signal)
        model = fitter.model_fn(hp)
        rows = np.where(tuner_frequencies.is_low(model.layers[0].frequencies, model.layers[0].low_limit),
                        low, high)[:, None]
        result = sweep(fitter, signal.coords(), signal.targets(), [{**hp, "lr": 0.2, "seed": 0}], 20, chunk=10)
        w = {k: 30.0 * np.abs(v) for k, v in _kernels(result).items()}
        assert np.all(w["layers_1"] <= rows * (1 + 1e-5)), method
        out[method] = max(w["layers_2"].max(), w["layers_3"].max())
        stats = exp.bound_stats(model, jax.tree_util.tree_map(lambda x: x[0], result.state.params),
                                recipe.clamp_bounds(study, signal_name, method))
        assert stats["first_layer_max_ratio"] <= 1 + 1e-5
        assert len(stats["deep_max"]) == 2
    assert out["tuner"] <= C_DEEP * (1 + 1e-5)
    assert out["tuner-deep-unbounded"] > C_DEEP


def test_spectrum_measures_on_a_one_hidden_layer_net_match_the_check():
    """On a one-hidden-layer TUNER the energy on the one-layer support is tuner_spectrum_check's energy
    fraction (the same mask, every channel instead of channel 0: equal for a one-channel output)."""
    study = proto.SMOKE
    clip = _clip(300)
    fitter, hp = recipe.fitter(study, "audio", "tuner", 1, clip)
    model = fitter.model_fn(hp)
    params = model.init(jax.random.PRNGKey(1), clip.coords()[:2])["params"]
    n = 450
    spec = exp.tuner_spectrum(model, params, n, 2)
    chk = exp.spectrum_check(model, params, n, 2)
    assert spec["energy_on_one_layer_support"] == pytest.approx(chk["energy_fraction"], rel=1e-3)
    assert chk["bound_holds"]
    assert 0 <= spec["energy_outside_input_box"] <= 1


def test_derivative_psnr_and_high_band_ratio():
    t = np.sin(np.linspace(0, 20, 500))
    assert exp.derivative_psnr(np.gradient(t), t) > 100          # the target's own derivative
    assert exp.derivative_psnr(3 * np.gradient(t), t) > 100      # scale-free
    assert exp.high_band_ratio(t[:, None], t[:, None]) == pytest.approx(1.0)
    noisy = t + 0.1 * np.random.default_rng(0).standard_normal(500)
    assert exp.high_band_ratio(noisy[:, None], t[:, None]) > 10


def test_end_to_end_tiny_run_writes_json_report_and_figure(tmp_path):
    study = proto.SMOKE
    signals = {"kodak": [_image(0)], "audio": _clip()}
    partials = []
    payload = exp.run(study, signals=signals, partial=lambda p, arrays=None: partials.append(p))
    runs = len(study.runs())
    assert payload["complete"] and len(partials) == 2 * runs - 1
    assert set(payload["runs"]) == {"kodak", "audio"} and all(len(r) == runs for r in payload["runs"].values())
    for signal_name, records in payload["runs"].items():
        for key, r in records.items():
            for metric in ("psnr_train", "psnr_test", "gradient_psnr", "high_band_ratio"):
                assert len(r[metric]) == len(r["members"]) and np.all(np.isfinite(r[metric])), (key, metric)
            assert r["parameters"] == study.count(signal_name, r["method"], r["hidden"])
            if recipe.is_tuner(r["method"]):
                t = r["tuner"]
                assert t["check"]["bound_holds"] and 0 <= t["energy_on_one_layer_support"][0] <= 1
                assert ("deep_max" in t) == (r["hidden"] > 1)
    md, figs = exp.report(payload)
    path = common.write_results("depth", "quick", {**payload, "seconds": 1.0}, md, figs, out=tmp_path)
    assert path.exists() and (tmp_path / "depth-quick.json").exists() and (tmp_path / "depth-quick-psnr.png").exists()
    text = path.read_text()
    assert "tuner-deep-unbounded" in text and "## Best depth" in text and "### audio" in text
    # the report is rebuilt from the saved JSON alone
    saved = json.loads((tmp_path / "depth-quick.json").read_text())
    (tmp_path / "depth-quick.md").unlink()
    exp.main(["--profile", "quick", "--report-only", "--out", str(tmp_path)])
    assert (tmp_path / "depth-quick.md").read_text() == text
    assert saved["budgets"] == {"kodak": study.budget("kodak"), "audio": study.budget("audio")}


def test_resume_reuses_only_the_records_of_a_signal_whose_settings_are_unchanged():
    study = proto.SMOKE
    config = dataclasses.asdict(study)
    previous = {"config": json.loads(json.dumps(config)), "seconds": 5.0,
                "runs": {"kodak": {"siren/1": {"x": 1}}, "audio": {"siren/1": {"x": 2}}}}
    assert exp.reusable(previous, config) == previous["runs"]
    other_clip = dataclasses.asdict(dataclasses.replace(study, audio=dataclasses.replace(study.audio, clips=("a.wav",))))
    assert exp.reusable(previous, other_clip) == {"kodak": {"siren/1": {"x": 1}}}
    tighter = dataclasses.asdict(dataclasses.replace(study, tolerance=0.01))
    assert exp.reusable(previous, tighter) == {} and exp.reusable(None, config) == {}
