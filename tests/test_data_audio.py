"""Tests for spectral_inr.data audio I/O (WAV files built in tmp_path)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from spectral_inr.data import DataError, load_audio, save_audio


def _wav(tmp_path, name, data, rate=8000):
    p = tmp_path / name
    wavfile.write(p, rate, data)
    return p


def _check(x, ref):
    assert x.dtype == np.float32 and x.ndim == 1
    np.testing.assert_array_equal(x, np.asarray(ref, np.float64).astype(np.float32))


def test_uint8(tmp_path):
    d = np.array([0, 128, 255, 64, 200], np.uint8)
    x, sr = load_audio(_wav(tmp_path, "u8.wav", d, 11025), normalize=False)
    assert sr == 11025
    _check(x, (d.astype(np.float64) - 128) / 128)


def test_int16(tmp_path):
    d = np.array([-32768, 0, 16384, 32767, -5], np.int16)
    x, _ = load_audio(_wav(tmp_path, "i16.wav", d), normalize=False)
    _check(x, d / 32768.0)


def test_int32(tmp_path):
    d = np.array([-(2**31), 0, 2**30, 2**31 - 1, 12345], np.int32)
    x, _ = load_audio(_wav(tmp_path, "i32.wav", d), normalize=False)
    _check(x, d / 2.0**31)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_float(tmp_path, dt):
    d = np.array([-0.25, 0.0, 0.5, 0.125, -1.0], dt)
    x, _ = load_audio(_wav(tmp_path, "f.wav", d), normalize=False)
    _check(x, d.astype(np.float64))


def test_stereo_to_mono_mean(tmp_path):
    d = np.array([[100, -300], [32767, 32767], [-32768, 0], [7, 8]], np.int16)
    x, _ = load_audio(_wav(tmp_path, "st.wav", d), normalize=False)
    _check(x, (d / 32768.0).mean(axis=1))


def test_normalize_peak(tmp_path):
    d = np.array([1000, -4000, 2000, 3999], np.int16)
    x, _ = load_audio(_wav(tmp_path, "n.wav", d))
    f = d / 32768.0
    _check(x, f / np.abs(f).max())
    assert np.abs(x).max() == 1.0


def test_normalize_before_truncate(tmp_path):
    d = np.array([0.1, 0.2, 0.5, -0.8, 0.4], np.float64)
    p = _wav(tmp_path, "t.wav", d)
    x, _ = load_audio(p, max_samples=3)  # peak (0.8) lies after the kept part
    _check(x, d[:3] / 0.8)
    x, _ = load_audio(p, max_samples=3, normalize=False)
    _check(x, d[:3])
    x, _ = load_audio(p, max_samples=100)
    _check(x, d / 0.8)


def _wav24_bytes(vals, rate=8000, channels=1):
    b = b"".join(int(v).to_bytes(3, "little", signed=True) for v in vals)
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 3 * channels, 3 * channels, 24)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(b)) + b
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_int24_hand_written(tmp_path):
    vals = [0, 1, -1, 2**23 - 1, -(2**23), 2**22, -12345]
    p = tmp_path / "i24.wav"
    p.write_bytes(_wav24_bytes(vals, rate=22050))
    x, sr = load_audio(p, normalize=False)
    assert sr == 22050
    _check(x, np.array(vals, np.float64) / 2.0**23)


def test_int24_stereo(tmp_path):
    vals = [2**22, -(2**22), 100, 300]  # interleaved L, R
    p = tmp_path / "i24s.wav"
    p.write_bytes(_wav24_bytes(vals, channels=2))
    x, _ = load_audio(p, normalize=False)
    _check(x, [0.0, 200 / 2.0**23])


# ---------------------------------------------------------------- errors


def test_missing_and_directory(tmp_path):
    with pytest.raises(DataError, match="no.wav.*no such file"):
        load_audio(tmp_path / "no.wav")
    with pytest.raises(DataError, match="directory"):
        load_audio(tmp_path)


def test_not_a_wav(tmp_path):
    p = tmp_path / "text.wav"
    p.write_text("hello world, not audio")
    with pytest.raises(DataError, match="text.wav.*not a readable WAV") as ei:
        load_audio(p)
    assert "\n" not in str(ei.value)


@pytest.mark.parametrize("shape", [(0,), (0, 2)])
def test_empty(tmp_path, shape):
    p = _wav(tmp_path, "e.wav", np.zeros(shape, np.int16))
    with pytest.raises(DataError, match="e.wav.*no samples"):
        load_audio(p)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite(tmp_path, bad):
    p = _wav(tmp_path, "nan.wav", np.array([0.1, bad, 0.2], np.float32))
    with pytest.raises(DataError, match="nan.wav.*non-finite"):
        load_audio(p, normalize=False)


def test_all_zero(tmp_path):
    p = _wav(tmp_path, "z.wav", np.zeros(10, np.int16))
    with pytest.raises(DataError, match="z.wav.*all zeros"):
        load_audio(p)
    x, _ = load_audio(p, normalize=False)
    _check(x, np.zeros(10))


@pytest.mark.parametrize("m", [0, -1, 2.5, True])
def test_bad_max_samples(tmp_path, m):
    p = _wav(tmp_path, "a.wav", np.ones(4, np.int16))
    with pytest.raises(DataError, match="max_samples"):
        load_audio(p, max_samples=m)


# ---------------------------------------------------------------- save_audio


def test_save_roundtrip(tmp_path):
    x = np.array([0.5, -0.25, 1.5, -2.0], np.float32)  # no clipping
    p = save_audio(tmp_path / "sub" / "o.wav", x, 16000)
    rate, d = wavfile.read(p)
    assert rate == 16000 and d.dtype == np.float32
    np.testing.assert_array_equal(d, x)
    y, sr = load_audio(p, normalize=False)
    assert sr == 16000
    np.testing.assert_array_equal(y, x)


def test_save_stereo(tmp_path):
    x = np.array([[0.5, -0.5], [0.25, 0.75]], np.float64)
    p = save_audio(tmp_path / "s.wav", x, 8000)
    rate, d = wavfile.read(p)
    assert d.shape == (2, 2)
    np.testing.assert_array_equal(d, x.astype(np.float32))


def test_save_errors_and_atomic(tmp_path):
    p = tmp_path / "x.wav"
    save_audio(p, np.zeros(3), 8000)
    with pytest.raises(DataError, match="non-finite"):
        save_audio(p, np.array([0.0, np.nan]), 8000)
    with pytest.raises(DataError, match="sample_rate"):
        save_audio(p, np.zeros(3), 0)
    with pytest.raises(DataError, match="shape"):
        save_audio(p, np.zeros(0), 8000)
    with pytest.raises(DataError, match="shape"):
        save_audio(p, np.zeros((2, 2, 2)), 8000)
    assert os.listdir(tmp_path) == ["x.wav"]
    np.testing.assert_array_equal(wavfile.read(p)[1], np.zeros(3, np.float32))


# ---------------------------------------------------------------- shared real clip (skipped when absent)

SHARED_AUDIO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "audio"


@pytest.mark.skipif(not (SHARED_AUDIO / "siren_square" / "relay.wav").is_file(), reason="shared audio data absent")
def test_real_stereo_clip_siren2_order():
    p = SHARED_AUDIO / "siren_square" / "relay.wav"
    x, sr = load_audio(p, max_samples=150000)
    assert sr == 24000 and x.shape == (150000,)
    rate, d = wavfile.read(p)
    assert d.ndim == 2 and d.dtype == np.int16
    ref = (d / 32768.0).mean(axis=1)
    ref = ref / np.abs(ref).max()
    np.testing.assert_allclose(x, ref[:150000], atol=1e-7)
