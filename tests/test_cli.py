"""The command line as a new user meets it in the first hour: runs you can interrupt, re-run and resume;
defaults that work at every size; help, errors and outputs a researcher trusts.

Each test names the item it covers.  CLI runs are real subprocesses where signals or exit
codes matter, in-process (``cli.main``) elsewhere; every signal is tiny.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from relcli import (assert_one_line_error, canonical, metrics_without_seconds, run_cli, start_cli,  # noqa: E402
                    step_dirs)

from spectral_inr import cli, metrics, models, optim, recipes  # noqa: E402
from spectral_inr.signals import load_signal  # noqa: E402

TINY = ["--width", "16", "--depth", "1", "--chunk", "10"]


def _image(path: Path, h: int, w: int | None = None) -> Path:
    w = w or h
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    img = 0.5 + 0.4 * np.sin(7 * x) * np.cos(5 * y)
    Image.fromarray(np.round(255 * np.stack([img, img ** 2, 1 - img], -1)).astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("usability")
    _image(d / "img.png", 24)
    (d / "jax_cache").mkdir()
    return d


@pytest.fixture
def in_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _main(argv, capsys):
    status = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- 1. Ctrl-C keeps the checkpoints and says how to resume -----------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
def test_ctrl_c_keeps_checkpoints_and_resume_needs_only_out(work, tmp_path):
    out = tmp_path / "run"
    args = ["fit", work / "img.png", "--width", "64", "--depth", "3", "--chunk", "20", "--steps", "100000",
            "--out", out]
    # SIGINT as a terminal sends it (a child of a process that ignores SIGINT would inherit SIG_IGN)
    proc = start_cli(args, tmp_path / "log", cache_dir=work / "jax_cache",
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 240
        while not step_dirs(out / "checkpoints"):
            assert proc.poll() is None, (tmp_path / "log" / "stderr.txt").read_text()[-2000:]
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = (tmp_path / "log" / "stderr.txt").read_text()
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err and len([ln for ln in err.splitlines() if ln.strip()]) == 1, err[-2000:]
    kept = step_dirs(out / "checkpoints")
    assert kept, "the interrupt deleted the checkpoints"
    assert f"interrupted at step {kept[-1]} of 100000" in err and f"--resume --out {out}" in err
    # resuming with the README's short form takes every flag from the checkpoint ...
    meta = cli.rundir.stored_config(out)
    assert meta["steps"] == 100000 and meta["width"] == 64
    # ... and a typed flag that disagrees is named (--steps is the run's length: a larger one extends it)
    proc = run_cli(["fit", "--resume", "--out", out, "--width", "32"], cache_dir=work / "jax_cache")
    line = assert_one_line_error(proc, "different run", "--width 32 here, 64 there")
    assert step_dirs(out / "checkpoints") == kept, line


# --- 2. re-running the README's commands ---------------------------------------------------------------
def test_same_fit_twice_with_default_out_starts_fresh_beside_it(work, in_dir, capsys):
    argv = ["fit", work / "img.png", "--steps", "10", *TINY]
    assert _main(argv, capsys)[0] == 0
    status, out, _ = _main(argv, capsys)
    assert status == 0 and "outputs in runs/img-siren-2/" in out
    assert (in_dir / "runs" / "img-siren" / "metrics.json").exists()
    assert (in_dir / "runs" / "img-siren-2" / "metrics.json").exists()


def test_explicit_out_that_holds_a_run_names_resume_and_overwrite(work, tmp_path, capsys):
    out = tmp_path / "x"
    argv = ["fit", work / "img.png", "--steps", "10", *TINY, "--out", out]
    assert _main(argv, capsys)[0] == 0
    status, _, err = _main(argv, capsys)
    assert status == 1 and "--resume" in err and "--overwrite" in err
    (out / "notes.txt").write_text("mine")
    status, _, _ = _main([*argv, "--overwrite"], capsys)
    assert status == 0 and (out / "notes.txt").read_text() == "mine"      # only our outputs are replaced
    assert step_dirs(out / "checkpoints") == [10]


def test_demo_runs_twice_in_a_row(tmp_path, capsys):
    argv = ["demo", "--steps", "2", "--size", "24", "--out", tmp_path / "demo"]
    assert _main(argv, capsys)[0] == 0
    status, out, err = _main(argv, capsys)
    assert status == 0, err
    assert (tmp_path / "demo" / "tuner" / "metrics.json").exists()


def test_resume_of_a_sweep_from_out_alone(work, tmp_path, capsys):
    out = tmp_path / "s"
    base = ["sweep", work / "img.png", "--steps", "20", "--lr", "1e-3,3e-4", *TINY, "--out", out]
    assert _main(base, capsys)[0] == 0
    first = json.loads((out / "sweep.json").read_text())
    status, _, err = _main(["sweep", "--resume", "--out", out], capsys)
    assert status == 0, err
    assert json.loads((out / "sweep.json").read_text())["settings"] == first["settings"]
    status, _, err = _main(["fit", "--resume", "--out", out], capsys)
    assert status == 1 and "holds a sweep run" in err


# --- 4. a diverged fit keeps its best parameters --------------------------------------------------------
def test_diverged_fit_writes_outputs_from_best_parameters(work, tmp_path, capsys):
    out = tmp_path / "div"
    # lr 1e30: the first update overflows the matmuls (inf, then nan). lr 1e6 used to diverge only because
    # the old fast sine returned nan/inf for |x| > 1e9; the sine is now right there, so the loss stays finite.
    status, stdout, err = _main(["fit", work / "img.png", "--lr", "1e30", "--seeds", "3", "--steps", "20", "--width", "16", "--chunk", "10",
                                 "--out", out], capsys)
    assert status == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert len(m["diverged"]) == 3 and "diverged at step" in stdout
    assert np.isfinite(m["psnr"]["per_seed"]).all()
    assert (out / "reconstruction.png").exists()


# --- 5. TUNER's defaults at every size ----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(16, 16), (48, 48), (96, 160)])
def test_every_model_with_default_flags_on_small_images(shape, tmp_path, capsys):
    path = _image(tmp_path / "s.png", *shape)
    for model in recipes.SIGNAL_MODELS:
        status, _, err = _main(["fit", path, "--model", model, "--steps", "1", "--out", tmp_path / model], capsys)
        assert status == 0, (model, err)


@pytest.mark.slow
def test_every_model_with_default_flags_at_512(tmp_path, capsys):
    path = _image(tmp_path / "s.png", 512)
    for model in recipes.SIGNAL_MODELS:
        status, _, err = _main(["fit", path, "--model", model, "--steps", "1", "--out", tmp_path / model], capsys)
        assert status == 0, (model, err)


def test_tuner_width_follows_the_bandlimit():
    assert len(models.TunerSampled(bandlimit=6, width=32).layers[0].frequencies) == 32
    small = models.TunerSampled(bandlimit=4, width=416)       # only 28 fit below 4
    assert len(small.layers[0].frequencies) == models.tuner_frequencies.max_sampled_frequencies(4) == 28
    with pytest.raises(ValueError, match="at most 28 fit"):
        models.TunerSampled(bandlimit=4, width=416, n_frequencies=29)


def test_max_sampled_frequencies_is_exact():
    tfreq = models.tuner_frequencies
    for band in (2, 3, 5, 8, 13):
        most = tfreq.max_sampled_frequencies(band)
        assert len(tfreq.sampled_frequencies(most, band)) == most
        with pytest.raises(ValueError, match=f"at most {most} fit"):
            tfreq.sampled_frequencies(most + 1, band)


def test_impossible_explicit_tuner_width_says_what_fits(work, tmp_path, capsys):
    status, _, err = _main(["fit", work / "img.png", "--model", "tuner", "--width", "500", "--steps", "1",
                            "--out", tmp_path / "t"], capsys)
    assert status == 1 and "at most 28 fit" in err and not (tmp_path / "t").exists()


# --- 6. a full batch that cannot fit is refused before compiling ------------------------------------
def test_full_batch_too_big_for_memory_is_one_line_naming_batch_size(work, tmp_path, capsys, monkeypatch):
    from spectral_inr.train import memory
    monkeypatch.setattr(memory, "available_bytes", lambda: 2 ** 20)         # 1 MiB "free"
    status, _, err = _main(["fit", work / "img.png", "--steps", "1", "--out", tmp_path / "m"], capsys)
    assert status == 1 and "--batch-size" in err and "GiB" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists()
    status, _, err = _main(["fit", work / "img.png", "--steps", "1", "--batch-size", "4", "--width", "8",
                            "--depth", "1", "--out", tmp_path / "m"], capsys)
    assert status == 0, err


def test_batch_size_auto_picks_full_batch_or_the_largest_power_of_two_that_fits(work, tmp_path, capsys,
                                                                                 monkeypatch):
    from spectral_inr.cli.commands import _auto_batch_size
    from spectral_inr.train import Fitter, memory
    coords = np.zeros((4096, 2), np.float32)
    f = Fitter(lambda hp: models.Siren(3, width=8, depth=1))
    per_sample = memory.step_bytes(f.model_fn({}), 1, 2)
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 ** 12)
    assert _auto_batch_size(f, [{"seed": 0}], coords) is None                 # fits: full batch
    monkeypatch.setattr(memory, "available_bytes", lambda: int(per_sample * 1000 / memory.WARN_FRACTION))
    assert _auto_batch_size(f, [{"seed": 0}], coords) == 512                   # 512 ≤ 1000 samples < 1024
    assert _auto_batch_size(f, [{"seed": 0}, {"seed": 1}], coords) == 256      # two members share the budget
    status, _, err = _main(["fit", work / "img.png", "--steps", "2", "--batch-size", "auto", "--width", "8",
                            "--depth", "1", "--out", tmp_path / "a"], capsys)
    assert status == 0 and "--batch-size auto:" in err, err
    import argparse
    from spectral_inr.cli.parser import _batch_size
    assert _batch_size("AUTO") == "auto" and _batch_size("64") == 64
    with pytest.raises(argparse.ArgumentTypeError, match="--batch-size must be an integer"):
        _batch_size("big")


def test_memory_estimate_matches_the_activation_count():
    from spectral_inr.train import memory
    siren = models.Siren(3, width=256, depth=3)
    # input 2 + 3 hidden × 256 + output 3, counted twice for the last (the MLP's own output)
    assert memory.activation_width(siren, 2) == 2 + 3 * 256 + 3 + 3
    assert memory.step_bytes(siren, 1000, 2, members=4) == 4 * 1000 * 776 * memory.BYTES_PER_ACTIVATION


# --- 7. ssim rejects non-images ------------------------------------------------------------------------
def test_ssim_rejects_flat_pixels():
    img = np.random.default_rng(0).random((32, 32, 1)).astype(np.float32)
    assert float(metrics.ssim(img, img)) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="expects images"):
        metrics.ssim(img.reshape(-1, 1), img.reshape(-1, 1))


# --- 8. flags that do not apply are refused; repeated sweep values too -----------------------------
@pytest.mark.parametrize("argv,needle", [
    (["sweep", "--model", "ffn", "--omega0", "10,20"], "--omega0 does not apply to --model ffn"),
    (["fit", "--model", "tuner", "--first-omega0", "60"], "--first-omega0 does not apply to --model tuner"),
    (["fit", "--model", "ffn", "--first-omega0", "60"], "--first-omega0 does not apply to --model ffn"),
    (["fit", "--model", "siren", "--bandlimit", "10"], "--bandlimit does not apply to --model siren"),
    (["sweep", "--lr", "1e-4,1e-4"], "--lr lists 0.0001 more than once"),
])
def test_inapplicable_or_repeated_flags(argv, needle, work, tmp_path):
    proc = run_cli([argv[0], work / "img.png", *argv[1:], "--steps", "1", "--out", tmp_path / "o"])
    assert_one_line_error(proc, needle, out=tmp_path / "o")


# --- 9. sweep.json: one entry per setting, best first ----------------------------------------------
def test_sweep_json_ranks_settings_like_sweep_md(work, tmp_path, capsys):
    out = tmp_path / "sw"
    status, _, err = _main(["sweep", work / "img.png", "--steps", "30", "--lr", "1e-5,1e-3", "--seeds", "2", *TINY,
                            "--out", out], capsys)
    assert status == 0, err
    s = json.loads((out / "sweep.json").read_text())
    m = json.loads((out / "metrics.json").read_text())
    assert s != m and len(s["settings"]) == 2
    means = [e["psnr"]["mean"] for e in s["settings"]]
    assert means == sorted(means, reverse=True) and s["settings"][0]["hyper"]["lr"] == 1e-3
    for e in s["settings"]:
        assert e["seeds"] == [0, 1] and e["psnr"]["mean"] == pytest.approx(np.mean(e["psnr"]["per_seed"]))
    rows = [ln for ln in (out / "sweep.md").read_text().splitlines()[2:]]
    assert [float(r.split("|")[1]) for r in rows] == [e["hyper"]["lr"] for e in s["settings"]]


# --- 10. the {"params": p} pattern for every model ----------------------------------------------------
@pytest.mark.parametrize("name", ["siren", "tuner-sampled", "siren2", "finer", "ffn"])
def test_variables_with_params_replaced_works_for_every_model(name):
    """``model.apply({**variables, "params": p}, x)`` — the README's pattern — works for every model,
    including the Fourier-feature MLP whose ``B`` lives in the ``constants`` collection."""
    coords = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (64, 2)), jnp.float32)
    kw = {"tuner-sampled": dict(bandlimit=8, width=32)}.get(name, dict(width=32, depth=2))
    model = models.get_model(name, out_features=1, **kw)
    variables = jax.vmap(model.init, in_axes=(0, None))(jax.random.split(jax.random.PRNGKey(0), 3), coords)

    @jax.vmap
    def loss(v, p):
        return jnp.mean(model.apply({**v, "params": p}, coords) ** 2)

    g = jax.grad(lambda p: loss(variables, p).sum())(variables["params"])
    assert all(np.isfinite(x).all() for x in jax.tree_util.tree_leaves(g))
    assert loss(variables, variables["params"]).shape == (3,)


# --- 11. optimizer specs with unknown layer names ---------------------------------------------------
def test_frequency_aware_scaling_unknown_layer_raises():
    from spectral_inr.models.harmonic import HarmonicMLP
    m = HarmonicMLP(hidden=(8, 4), max_freqs=(5.0, 3.0))
    params = m.init(jax.random.PRNGKey(0), jnp.zeros((2, 784)), train=False)["params"]
    optim.frequency_aware_scaling(m.neuron_frequencies()).init(params)     # the real names: fine
    with pytest.raises(ValueError, match="'harmonic_7'.*harmonic_0"):
        optim.frequency_aware_scaling({"harmonic_7": [1.0] * 8}).init(params)
    with pytest.raises(ValueError, match="layers_9"):
        optim.tuner_bounds({"layers_9": {"kernel": np.zeros(1, np.int32)}}).init(params)


# --- 12. --help shows the defaults and the models ---------------------------------------------------
def test_help_shows_defaults_and_models(capsys):
    for command in ("fit", "sweep"):
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args([command, "--help"])
        text = capsys.readouterr().out
        for needle in ("(default: 500)", "(default: 1)", "(default: 100)", "(default: siren)", "models:"):
            assert needle in text, (command, needle)
        for model in recipes.SIGNAL_MODELS:
            assert f"  {model} " in text
    assert "comma-separated list" in text            # sweep says which flags take lists


def test_help_is_written_from_the_defaults_protocol(capsys):
    """One copy of the per-model defaults (``protocols.cli``): ``--help`` and the recipes read it."""
    from spectral_inr.protocols.cli import SIGNAL_MODELS
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, m in SIGNAL_MODELS.items():
        assert f"{name} {m.lr:g}" in text and " ".join(m.help().split()) in text
    assert "× 416" in SIGNAL_MODELS["tuner"].help() and "3000" in SIGNAL_MODELS["siren"].help()
    sig = load_signal(None, resize=(48, 48))
    siren = recipes.model_fn("siren", sig)({})
    assert siren.layers[0].omega == SIGNAL_MODELS["siren"].first_omega0 and len(siren.layers) == 3 + 1
    assert recipes.fitter("siren", sig).optimizer_fn({"lr": 0.5}).init({}).hyperparams["learning_rate"] == 0.5


def test_the_cli_parser_does_not_import_jax():
    code = ("import sys; import spectral_inr.cli.parser as p; p.build_parser(); "
            "assert 'jax' not in sys.modules, 'jax imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_integer_flags_say_integer():
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["fit", "--steps", "1e9"])


# --- 13. the progress bar moves every step ----------------------------------------------------------
def test_progress_bar_advances_every_step(monkeypatch):
    import importlib
    from spectral_inr.train import Fitter, grid, sweep
    progress_module = importlib.import_module("spectral_inr.train.progress")
    updates = []

    class Bar:
        def __init__(self, *a, **k):
            pass

        def update(self, n):
            updates.append(n)

        def set_postfix(self, **k):
            pass

        def close(self):
            pass

    monkeypatch.setattr(progress_module, "tqdm", Bar)
    x = np.random.default_rng(0).uniform(-1, 1, (64, 2)).astype(np.float32)
    f = Fitter(lambda hp: models.Siren(1, width=8, depth=1))
    sweep(f, x, np.sin(3 * x[:, :1]), grid(seeds=2, lr=[1e-3]), 25, chunk=10, progress=True)
    assert updates == [1] * 25


# --- 15. stereo is averaged with a warning -------------------------------------------------------
def test_stereo_wav_warns(tmp_path):
    from scipy.io import wavfile
    wavfile.write(tmp_path / "st.wav", 8000, np.random.default_rng(0).uniform(-1, 1, (800, 2)).astype(np.float32))
    with pytest.warns(UserWarning, match="2 channels averaged to mono"):
        load_signal(tmp_path / "st.wav")


# --- 16. experiments without a data directory use the library's downloader ------------------------------
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_experiment_without_data_dir_uses_the_library_download_cache(tmp_path, monkeypatch):
    """No ``--data`` and no ``$SPECTRAL_INR_DATA``: exp-kodak goes through ``load_kodak``'s sha256-checked
    pooch cache (here pre-filled, so no network is needed)."""
    src = SHARED / "kodak" / "kodim05.png"
    if not src.exists():
        pytest.skip("needs ../shared/data/kodak/kodim05.png")
    from experiments import common, kodak
    from spectral_inr import protocols
    (tmp_path / "kodak").mkdir()
    (tmp_path / "kodak" / "kodim05.png").write_bytes(src.read_bytes())
    monkeypatch.delenv("SPECTRAL_INR_DATA", raising=False)
    monkeypatch.setenv("SPECTRAL_INR_CACHE", str(tmp_path))
    assert common.data_root(None) is None
    images = kodak.load_images(protocols.TUNER_KODAK["cpu"], None)
    assert images[0].values.shape == (512, 512, 3)


def test_experiment_data_dir_without_kodak_is_one_line(tmp_path):
    import subprocess
    proc = subprocess.run([sys.executable, "-m", "experiments.kodak", "--profile", "quick", "--data", str(tmp_path),
                           "--out", str(tmp_path / "r")], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], env={**os.environ, "JAX_PLATFORMS": "cpu"})
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "Warning" not in ln]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert lines[-1].startswith("exp-kodak: error:") and "not found" in lines[-1]


# --- polish: result files follow the umask --------------------------------------------------------------
def test_result_files_follow_the_umask(tmp_path):
    import matplotlib.pyplot as plt
    from spectral_inr import report
    old = os.umask(0o022)
    try:
        report.write_json(tmp_path / "m.json", {"a": 1})
        report.save_figure(plt.figure(), tmp_path / "f.png")
    finally:
        os.umask(old)
    for name in ("m.json", "f.png"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": 1}


def test_bandlimit_above_nyquist_warns(work):
    sig = load_signal(work / "img.png")
    with pytest.warns(UserWarning, match="above the signal's Nyquist limit"):
        recipes.model_fn("tuner", sig, bandlimit=100)


def test_package_and_registry_have_docs():
    import spectral_inr
    assert "models" in spectral_inr.__doc__ and "train" in spectral_inr.__doc__
    assert "tuner" in models.registry.__doc__ and models.MODELS["siren"] is models.Siren


# --- the one-command GPU Kodak script, on the CPU at smoke size ------------------------------------------
def test_gpu_kodak_script_runs_its_smoke_profile_on_the_cpu(tmp_path):
    import subprocess
    if not (SHARED / "kodak" / "kodim05.png").exists():
        pytest.skip("needs ../shared/data/kodak")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHON": sys.executable, "PROFILE": "smoke", "PROBE_EPOCHS": "5", "OUT": str(tmp_path), "METHODS": "tuner",
           "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(["bash", str(root / "experiments" / "gpu_kodak.sh"), str(SHARED)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "probe: 5 epochs" in proc.stdout and "the full 20 epochs" in proc.stdout
    full = json.loads((tmp_path / "kodak-smoke.json").read_text())
    probe = json.loads((tmp_path / "kodak-smoke-5ep.json").read_text())
    assert full["config"]["epochs"] == 20 and probe["config"]["epochs"] == 5
    assert set(full["methods"]) == {"tuner"} and full["complete"] is True


# --- polish: figures a reader can use ---------------------------------------------------------------------
def test_curves_draw_one_line_per_setting_with_seed_bands():
    from spectral_inr import report
    members = [{"lr": lr, "seed": s} for lr in (1e-4, 1e-3) for s in range(3)]
    hist = np.exp(-np.outer(np.arange(1, 7), np.linspace(0, 1, 20))).astype(np.float32)
    fig = report.plot_curves(hist, members)
    ax_l, ax_p = fig.axes
    assert len(ax_p.get_lines()) == 2 and len(ax_p.collections) == 2          # 2 settings, 2 seed bands
    assert [t.get_text() for t in ax_p.get_legend().get_texts()] == ["lr=0.0001 (3 seeds)", "lr=0.001 (3 seeds)"]
    np.testing.assert_allclose(ax_l.get_lines()[0].get_ydata(), hist[:3].mean(0), rtol=1e-6)


def test_spectrum_of_audio_is_in_hertz_without_dc():
    from spectral_inr import report
    t = np.arange(800) / 8000
    x = (0.5 + np.sin(2 * np.pi * 1000 * t))[:, None]
    ax = report.plot_spectrum(x, x, "audio", 8000).axes[0]
    f, m = ax.get_lines()[0].get_data()
    assert ax.get_xlabel() == "frequency (Hz)" and f[0] > 0
    assert f[np.argmax(m)] == pytest.approx(1000, abs=10)


def test_fit_writes_a_target_prediction_error_figure(work, tmp_path, capsys):
    assert _main(["fit", work / "img.png", "--steps", "5", *TINY, "--out", tmp_path / "c"], capsys)[0] == 0
    assert (tmp_path / "c" / "comparison.png").stat().st_size > 0


# --- metric writers: --log tensorboard / wandb (not part of a run's identity) ---------------------------
def test_log_tensorboard_writes_curves_and_final_metrics(work, tmp_path, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    out = tmp_path / "tb-run"
    argv = ["sweep", work / "img.png", "--resize", "16,16", "--steps", "20", *TINY, "--lr", "1e-4,1e-3",
            "--out", out]
    assert _main([*argv, "--log", "tensorboard"], capsys)[0] == 0
    events = EventAccumulator(str(out / "tb"))
    events.Reload()
    tags = events.Tags()["scalars"]
    assert {"member_0/loss", "member_1/psnr", "member_1/final/psnr"} <= set(tags)
    assert [e.step for e in events.Scalars("member_1/loss")] == [10, 20]
    m = json.loads((out / "metrics.json").read_text())
    for i in range(2):
        final = events.Scalars(f"member_{i}/final/psnr")
        assert [e.step for e in final] == [20] and final[0].value == pytest.approx(m["psnr"]["per_seed"][i], rel=1e-6)
    # --log is not part of the run: resuming without it is the same run; --overwrite removes tb/
    assert _main(["sweep", "--resume", "--out", out, "--log", "none"], capsys)[0] == 0
    assert (out / "tb").is_dir()
    assert _main([*argv, "--overwrite"], capsys)[0] == 0
    assert not (out / "tb").exists()


def test_log_wandb_without_wandb_is_one_line(work, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)
    status, _, err = _main(["fit", work / "img.png", "--steps", "10", *TINY, "--log", "wandb",
                            "--out", tmp_path / "w"], capsys)
    assert status == 1 and err == "spectral-inr: error: logging to W&B needs the wandb package: pip install wandb\n"
    assert not (tmp_path / "w").exists()


def test_resume_with_other_flags_names_them_in_the_checkpoints_format(work, tmp_path, capsys):
    out = tmp_path / "r"
    assert _main(["fit", work / "img.png", "--steps", "10", *TINY, "--out", out], capsys)[0] == 0
    status, _, err = _main(["fit", "--resume", "--out", out, "--steps", "30", "--width", "16", "--lr", "0.001"],
                           capsys)
    # --steps 30 would extend the run: not a difference
    assert status == 1 and err == (f"spectral-inr: error: checkpoint in {out / 'checkpoints'} belongs to a different "
                                   "run (--lr 0.001 here, (unset) there); not resuming "
                                   "(drop those flags to continue it as it was, or use another --out)\n")


# --- resume: a longer run, another working directory ----------------------------------------------------
def test_resume_with_more_steps_extends_a_finished_run(work, tmp_path, capsys):
    """``--resume --steps 40`` on a finished 20-step run continues it; the learning rate is constant,
    so it ends bitwise as a run started with ``--steps 40``.  Fewer steps than done: one line."""
    out, longer = tmp_path / "short", tmp_path / "long"
    assert _main(["fit", work / "img.png", "--steps", "20", *TINY, "--out", out], capsys)[0] == 0
    status, _, err = _main(["fit", "--resume", "--out", out, "--steps", "40"], capsys)
    assert status == 0, err
    assert _main(["fit", work / "img.png", "--steps", "40", *TINY, "--out", longer], capsys)[0] == 0
    assert canonical(metrics_without_seconds(out)) == canonical(metrics_without_seconds(longer))
    assert (out / "reconstruction.png").read_bytes() == (longer / "reconstruction.png").read_bytes()
    assert step_dirs(out / "checkpoints")[-1] == 40 and cli.rundir.stored_config(out)["steps"] == 40
    status, _, err = _main(["fit", "--resume", "--out", out, "--steps", "30"], capsys)
    assert status == 1 and err == ("spectral-inr: error: --steps 30 is below the 40 steps this run has done: "
                                   "resume with --steps 40 or more, or without --steps\n")
    status, _, err = _main(["fit", "--resume", "--out", out], capsys)    # the extended run, as it is
    assert status == 0 and json.loads((out / "metrics.json").read_text())["steps"] == 40, err


def _started_in(work, tmp_path, capsys, monkeypatch) -> tuple[Path, Path]:
    """A 10-step fit started in ``start/`` on ``img.png`` there (a relative path), into ``run/``."""
    start, elsewhere = tmp_path / "start", tmp_path / "elsewhere"
    start.mkdir()
    elsewhere.mkdir()
    shutil.copy(work / "img.png", start / "img.png")
    monkeypatch.chdir(start)
    assert _main(["fit", "img.png", "--steps", "10", *TINY, "--out", "../run"], capsys)[0] == 0
    return start, elsewhere


def test_resume_from_another_directory(work, tmp_path, capsys, monkeypatch):
    """The signal is stored as an absolute path: ``--resume`` works from any working directory, and a
    typed relative path to the same file agrees with it."""
    start, elsewhere = _started_in(work, tmp_path, capsys, monkeypatch)
    stored = cli.rundir.stored_config(tmp_path / "run")["signal"]
    assert os.path.isabs(stored) and Path(stored).samefile(start / "img.png")
    monkeypatch.chdir(elsewhere)
    (tmp_path / "run" / "metrics.json").unlink()
    status, _, err = _main(["fit", "--resume", "--out", "../run"], capsys)   # finished: evaluated and written again
    assert status == 0, err
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["steps"] == 10
    status, _, err = _main(["fit", "../start/img.png", "--resume", "--out", "../run"], capsys)
    assert status == 0, err


def test_resume_of_an_old_checkpoint_with_a_relative_signal(work, tmp_path, capsys, monkeypatch):
    """Checkpoints of earlier versions hold the signal as typed (here ``img.png``): they resume from
    the directory the run was started in; elsewhere the error is one line naming the path."""
    start, elsewhere = _started_in(work, tmp_path, capsys, monkeypatch)
    for record in (tmp_path / "run" / "checkpoints").glob("*/meta/metadata"):   # what an earlier version wrote
        meta = json.loads(record.read_text())
        meta["config"]["signal"] = "img.png"
        record.write_text(json.dumps(meta))
    monkeypatch.chdir(elsewhere)
    status, _, err = _main(["fit", "--resume", "--out", "../run"], capsys)
    assert status == 1 and err == ("spectral-inr: error: --resume: the run in ../run names its signal by the relative "
                                   f"path img.png, which does not exist from {os.getcwd()}: resume from the "
                                   "directory the run was started in\n")
    monkeypatch.chdir(start)
    status, _, err = _main(["fit", "--resume", "--out", "../run"], capsys)
    assert status == 0, err
    status, _, err = _main(["fit", str(start / "img.png"), "--resume", "--out", "../run"], capsys)
    assert status == 0, err   # the typed absolute path names the file the relative one does
