"""Bad (and unusual but valid) input, end to end: the ``spectral-inr`` CLI as a real
subprocess, and the Python API (``spectral_inr.signals.load_signal``, ``spectral_inr.data``).

The CLI failure contract, checked for every bad input: exit status != 0, exactly
one stderr line ``spectral-inr: error: ...`` naming the input and what is wrong,
no Python traceback (unless ``--debug``), and no output directory left behind.
Every input file is written by the test (``support/relfiles.py``).
"""
from __future__ import annotations

import hashlib
import json
import resource
import shutil
import socket
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from _local_http import LocalServer

import relfiles as F  # noqa: E402
from relcli import assert_one_line_error, run_cli, stderr_lines  # noqa: E402

from spectral_inr.data import DataError, kodak_path, load_kodak  # noqa: E402
from spectral_inr.data import kodak as kodak_module  # noqa: E402
from spectral_inr.signals import load_signal  # noqa: E402

SMALL = ["--steps", "2", "--width", "8", "--depth", "1"]
MEMORY_LIMIT = 2_500 * 2**20   # address space for the huge --resize run: enough for JAX, far below 32768² floats


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    F.png_rgb(d / "rgb.png")
    F.png_rgba(d / "rgba.png")
    F.png_palette(d / "palette.png")
    F.png_gray(d / "gray.png")
    F.png_16bit(d / "gray16.png")
    F.png_1x1(d / "one.png")
    from PIL import Image
    Image.new("RGBA", (1, 1), (1, 2, 3, 4)).save(d / "one_rgba.png")
    F.text_named_png(d / "text.png")
    F.truncated_png(d / "truncated.png")
    (d / "a_directory.png").mkdir()
    F.wav_empty(d / "empty.wav")
    F.wav_nan(d / "nan.wav")
    for bits in (8, 16, 24, 32):
        F.wav_pcm(d / f"pcm{bits}.wav", bits)
    F.wav_float(d / "float32.wav")
    F.wav_float(d / "float64.wav", dtype=np.float64)
    (d / "a_file").write_text("keep me\n")
    return d


# --------------------------------------------------------------------------- CLI: bad input
def _limit_memory():         # in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


# id: (argv given the input folder, needles the error line must contain, also as a subprocess?)
# Every case runs in-process through ``cli.main``; the cheap ones (argument errors: no JAX import)
# and one per error path also as a real subprocess (the rest cost ~2 s of imports each).
BAD = {
    "missing file": (lambda d: ["fit", d / "missing.png"], ["missing.png", "no such file"], True),
    "directory": (lambda d: ["fit", d / "a_directory.png"], ["a_directory.png", "is a directory"], False),
    "text named .png": (lambda d: ["fit", d / "text.png"], ["text.png", "not a recognised image"], True),
    "truncated png": (lambda d: ["fit", d / "truncated.png"], ["truncated.png", "truncated"], False),
    "1x1 image": (lambda d: ["fit", d / "one.png"], ["one.png", "1x1", "smaller than 2x2"], False),
    "empty wav": (lambda d: ["fit", d / "empty.wav"], ["empty.wav", "no samples"], False),
    "wav of NaNs": (lambda d: ["fit", d / "nan.wav"], ["nan.wav", "non-finite"], True),
    "unknown model": (lambda d: ["fit", d / "rgb.png", "--model", "sirne"], ["unknown model 'sirne'", "siren"], True),
    "classifier model": (lambda d: ["fit", d / "rgb.png", "--model", "harmonic"], ["harmonic", "classifier"], False),
    "zero steps": (lambda d: ["fit", d / "rgb.png", "--steps", "0"], ["--steps", "positive", "'0'"], True),
    "negative steps": (lambda d: ["fit", d / "rgb.png", "--steps", "-3"], ["--steps", "positive", "'-3'"], True),
    "zero width": (lambda d: ["fit", d / "rgb.png", "--width", "0"], ["--width", "positive"], True),
    "negative width": (lambda d: ["fit", d / "rgb.png", "--width", "-4"], ["--width", "positive", "'-4'"], True),
    "zero seeds": (lambda d: ["fit", d / "rgb.png", "--seeds", "0"], ["--seeds", "positive"], True),
    "zero chunk": (lambda d: ["sweep", d / "rgb.png", "--chunk", "0"], ["--chunk", "positive"], True),
    "zero lr": (lambda d: ["fit", d / "rgb.png", "--lr", "0"], ["--lr", "positive"], True),
    "negative lr (=)": (lambda d: ["fit", d / "rgb.png", "--lr=-1e-3"], ["--lr", "positive", "-1e-3"], True),
    "nan lr": (lambda d: ["fit", d / "rgb.png", "--lr", "nan"], ["--lr", "positive"], True),
    "sweep lr list with 0": (lambda d: ["sweep", d / "rgb.png", "--lr", "1e-3,0"], ["--lr", "positive", "'0'"], True),
    "sweep empty lr list": (lambda d: ["sweep", d / "rgb.png", "--lr", ","], ["--lr"], True),
    "resize 100000": (lambda d: ["fit", d / "rgb.png", "--resize", "100000,100000"],
                      ["--resize", "100000,100000", "32768"], True),
    "resize on audio": (lambda d: ["fit", d / "pcm16.wav", "--resize", "8,8"], ["pcm16.wav", "--resize"], False),
    "out is a file": (lambda d: ["fit", d / "rgb.png", *SMALL, "--out", d / "a_file"],
                      ["a_file", "not a directory"], True),
}


def _argv(case, inputs, out):
    args = [str(a) for a in BAD[case][0](inputs)]
    return args if "--out" in args else args + ["--out", str(out)]


@pytest.fixture(scope="module")
def subprocess_runs(inputs, tmp_path_factory):
    """The subprocess cases, two at a time (2 cores): ``{id: (proc, out)}``."""
    outs = tmp_path_factory.mktemp("bad_outs")
    runs = {case: _argv(case, inputs, outs / f"out{i}") for i, case in enumerate(BAD) if BAD[case][2]}
    runs["--debug"] = ["fit", str(inputs / "text.png"), "--debug", "--out", str(outs / "debug")]
    runs["1x1 RGBA"] = ["fit", str(inputs / "one_rgba.png"), "--out", str(outs / "one_rgba")]
    runs["resize 32768 (no memory)"] = ["fit", str(inputs / "rgb.png"), *SMALL, "--resize", "32768,32768",
                                        "--out", str(outs / "huge")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {case: pool.submit(run_cli, args, timeout=600,
                                     preexec_fn=_limit_memory if "32768" in case else None)
                   for case, args in runs.items()}
        # the folder the CLI must not leave behind (not the pre-existing file of "out is a file")
        return {case: (f.result(), None if case == "out is a file" else Path(runs[case][-1]))
                for case, f in futures.items()}


@pytest.mark.parametrize("case", [c for c in BAD if BAD[c][2]])
def test_cli_bad_input_subprocess(case, subprocess_runs, inputs):
    proc, out = subprocess_runs[case]
    assert_one_line_error(proc, *BAD[case][1], out=out)
    if case == "out is a file":
        assert (inputs / "a_file").read_text() == "keep me\n"          # never deleted or overwritten


@pytest.mark.parametrize("case", list(BAD))
def test_cli_bad_input_in_process(case, inputs, tmp_path, capsys):
    from spectral_inr import cli

    out = tmp_path / "out"                                             # unused by "out is a file"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            status = cli.main(_argv(case, inputs, out))
        except SystemExit as e:                                         # argparse errors
            status = e.code
    err = capsys.readouterr().err
    lines = stderr_lines(err)
    assert status == 1 and len(lines) == 1 and lines[0].startswith("spectral-inr: error: "), err
    assert all(n in lines[0] for n in BAD[case][1]), lines[0]
    assert not out.exists()
    if case == "out is a file":
        assert (inputs / "a_file").read_text() == "keep me\n"


def test_cli_out_of_memory_resize_fails_cleanly(subprocess_runs):
    """``--resize 32768,32768`` passes the parser; under a 2.5 GB address-space limit
    (so the test cannot take the machine's memory) the resize fails cleanly."""
    proc, out = subprocess_runs["resize 32768 (no memory)"]
    assert_one_line_error(proc, out=out)


def test_cli_out_of_memory_resize_names_input_and_size(subprocess_runs):
    proc, out = subprocess_runs["resize 32768 (no memory)"]
    assert_one_line_error(proc, "rgb.png", "32768", out=out)


def test_cli_1x1_rgba_is_one_line(subprocess_runs):
    proc, out = subprocess_runs["1x1 RGBA"]
    assert_one_line_error(proc, "one_rgba.png", "smaller than 2x2", out=out)


def test_cli_negative_lr_with_exponent_says_positive(inputs, tmp_path):
    proc = run_cli(["fit", inputs / "rgb.png", "--lr", "-1e-3", "--out", tmp_path / "out"])
    assert_one_line_error(proc, "--lr", "positive", out=tmp_path / "out")


def test_cli_debug_shows_the_traceback(subprocess_runs):
    proc, out = subprocess_runs["--debug"]
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "DataError" in proc.stderr and "text.png" in proc.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- CLI: unusual but valid input
@pytest.fixture(scope="module")
def in_process_cli(tmp_path_factory):
    """``cli.main(argv) -> (status, stdout, stderr)`` in this process, with JAX's persistent
    compilation cache on (the nine fits share three programs); restores the config after."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc

    from spectral_inr import cli

    names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs",
             "jax_persistent_cache_min_entry_size_bytes")
    previous = {n: getattr(jax.config, n) for n in names}
    jax.config.update("jax_compilation_cache_dir", str(tmp_path_factory.mktemp("jax_cache")))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    cc.reset_cache()
    yield cli.main
    for n, v in previous.items():
        jax.config.update(n, v)
    cc.reset_cache()


# One per compiled program in the default run (3-channel image, 1-channel image, audio); the rest
# are the same programs on other decoders (their loading is checked below in every format) -> slow.
GOOD = ["rgba.png", "gray16.png", "pcm24.wav"] + [pytest.param(n, marks=pytest.mark.slow) for n in
                                                 ("palette.png", "gray.png", "pcm8.wav", "pcm32.wav", "float32.wav")]


@pytest.mark.parametrize("name", GOOD)
def test_cli_fits_every_supported_format(name, inputs, in_process_cli, tmp_path, capsys):
    """The CLI code path (argument parsing, loading, training, evaluation, files) in this
    process; the subprocess boundary is covered by the bad-input and fault tests."""
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)        # RGBA: "alpha channel dropped"
        status = in_process_cli(["fit", str(inputs / name), *SMALL, "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    m = json.loads((out / "metrics.json").read_text())
    audio = name.endswith(".wav")
    assert m["kind"] == ("audio" if audio else "image") and m["steps"] == 2
    assert m["shape"] == ([F.N_AUDIO] if audio else [F.SIZE, F.SIZE])
    assert np.isfinite(m["psnr"]["mean"]) and m["diverged"] == []
    assert (out / ("reconstruction.wav" if audio else "reconstruction.png")).is_file()
    assert captured.out.startswith("siren: psnr ")


# --------------------------------------------------------------------------- Python API
API_BAD = {
    "missing.png": "no such file",
    "a_directory.png": "is a directory",
    "text.png": "not a recognised image",
    "truncated.png": "corrupt or truncated",
    "one.png": "smaller than 2x2",
    "empty.wav": "no samples",
    "nan.wav": "non-finite",
}


@pytest.mark.parametrize("name", list(API_BAD))
def test_api_bad_input_raises_one_line_data_error(name, inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(DataError) as err:
            load_signal(inputs / name)
    msg = str(err.value)
    assert "\n" not in msg and str(inputs / name) in msg and API_BAD[name] in msg, msg


def test_api_option_mismatch(inputs):
    with pytest.raises(DataError, match="pcm16.wav.*apply to images"):
        load_signal(inputs / "pcm16.wav", resize=(8, 8))
    with pytest.raises(DataError, match="rgb.png.*applies to audio"):
        load_signal(inputs / "rgb.png", max_samples=10)
    with pytest.raises(DataError, match=r"rgb.png.*\[2, 32768\]"):
        load_signal(inputs / "rgb.png", resize=(100000, 100000))


@pytest.mark.parametrize("name", ["rgba.png", "palette.png", "gray.png", "gray16.png", "rgb.png"])
def test_api_image_formats_load_correctly(name, inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        s = load_signal(inputs / name)
    gray = "gray" in name
    assert s.kind == "image" and s.values.shape == (F.SIZE, F.SIZE, 1 if gray else 3)
    assert s.values.dtype == np.float32 and 0 <= s.values.min() and s.values.max() <= 1
    expected = F.pattern(F.SIZE, 1 if gray else 3)
    if name == "palette.png":                    # 16 colours: compare with Pillow's own palette -> RGB
        from PIL import Image
        with Image.open(inputs / name) as img:
            expected = np.asarray(img.convert("RGB"), np.float64) / 255
    tol = (1 / 65535 if name == "gray16.png" else 0.5 / 255) + 1e-6
    assert np.abs(s.values - expected).max() <= tol
    if name == "gray16.png":                     # 16-bit precision is kept, not cut to 8 bits
        assert not np.allclose(s.values * 255, np.round(s.values * 255), atol=1e-3)


@pytest.mark.parametrize("name,tol", [("pcm8.wav", 1.5 / 127), ("pcm16.wav", 2.0**-14), ("pcm24.wav", 2.0**-22),
                                      ("pcm32.wav", 1e-7), ("float32.wav", 1e-7), ("float64.wav", 1e-7)])
def test_api_wav_formats_load_correctly(name, tol, inputs):
    s = load_signal(inputs / name)
    assert s.kind == "audio" and s.values.shape == (F.N_AUDIO, 1) and s.sample_rate == 8000
    expected = F.tone() / np.abs(F.tone()).max()      # peak-normalised; float32 output: >= ~6e-8 off
    assert np.abs(s.values[:, 0] - expected).max() <= tol


# --------------------------------------------------------------------------- Kodak: corrupted cache
@pytest.fixture
def kodak(tmp_path, monkeypatch):
    """A synthetic ``kodim07.png`` registered under its own sha256, a local server with the
    good file, and a cache holding a corrupted copy (one flipped byte)."""
    for var in ("SPECTRAL_INR_DATA", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("SPECTRAL_INR_CACHE", str(tmp_path / "default_cache"))
    www = tmp_path / "www"
    www.mkdir()
    good = F.png_rgb(www / "kodim07.png", size=24)
    monkeypatch.setitem(kodak_module.KODAK_SHA256, "kodim07.png", hashlib.sha256(good.read_bytes()).hexdigest())
    cache = tmp_path / "cache"
    cached = cache / "kodak" / "kodim07.png"
    cached.parent.mkdir(parents=True)
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    cached.write_bytes(bytes(data))
    server = LocalServer(www)
    yield server, cache, cached, good
    server.close()


def test_kodak_corrupted_cache_is_fetched_again(kodak):
    server, cache, cached, good = kodak
    x = load_kodak(7, base_url=server.url, cache_dir=cache)
    assert server.requests == ["/kodim07.png"]
    assert cached.read_bytes() == good.read_bytes()
    assert x.shape == (24, 24, 3)


def test_kodak_corrupted_cache_and_corrupted_server_file_is_an_error(kodak):
    server, cache, cached, good = kodak
    shutil.copy(cached, good)                            # the server now has the corrupted bytes too
    for _ in range(2):                                   # never silently used, also not the second time
        with pytest.raises(DataError) as err:
            load_kodak(7, base_url=server.url, cache_dir=cache)
        assert "kodim07.png" in str(err.value) and "sha256 mismatch" in str(err.value)
        assert "\n" not in str(err.value)
    assert len(server.requests) == 2


def test_kodak_corrupted_cache_and_no_server_is_an_error(kodak):
    server, cache, cached, good = kodak
    with socket.socket() as s:                           # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/"
    with pytest.raises(DataError) as err:
        kodak_path(7, base_url=url, cache_dir=cache)
    msg = str(err.value)
    assert "kodim07.png" in msg and "download" in msg and "failed" in msg and "\n" not in msg, msg


def test_kodak_corrupted_copy_in_data_dir_is_an_error(kodak, tmp_path):
    server, cache, cached, good = kodak
    with pytest.raises(DataError, match=r"kodim07.png: sha256 mismatch"):
        load_kodak(7, data_dir=cached.parent, base_url=server.url)
    assert server.requests == []                         # a data_dir never falls back to a download
