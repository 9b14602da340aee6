"""TUNER in 3-D: the integer lattice in ℤ³ with per-axis bandlimits, the bound classes, the spectrum
check on a 3-D net, and the size-adaptive defaults for video and volumes (recipes and ``--bandlimit``)."""

import hashlib
import itertools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spectral_inr import recipes
from spectral_inr import spectral as sp
from spectral_inr.cli import rundir
from spectral_inr.cli.parser import build_parser
from spectral_inr.models import (
    IntegerFrequencyEncoding,
    Tuner,
    TunerSampled,
    tuner_bound_groups,
)
from spectral_inr.models import tuner_frequencies as tfreq
from spectral_inr.signals import Signal

KEY = jax.random.PRNGKey(0)


# ---------------------------------------------------------------------------
# an independent reading of the docstring's pools (brute force over the box |k_i| ≤ B_i)
# ---------------------------------------------------------------------------

def _lows(bands):
    return tuple(max(1, b // 3) for b in bands)


def _canonical(k):
    nz = [v for v in k if v]
    return bool(nz) and nz[0] > 0


def _in_box(k, lows):
    return all(abs(v) <= lo for v, lo in zip(k, lows))


def _box(bands):
    return itertools.product(*[range(-b, b + 1) for b in bands])


def _identity(d):
    return [tuple(int(i == j) for j in range(d)) for i in range(d)]


def brute_low_pool(bands, lows):
    return {k for k in _box(bands) if _canonical(k) and _in_box(k, lows)} - set(_identity(len(bands)))


def brute_grid(b, lo, m):
    """Axis values ``{0, ±g_1, …, ±g_m'}``, ``g_j = round(l + j(B − l)/m')``, ``m' = min(m, B − l)``."""
    m = min(m, b - lo)
    g = {round(lo + j * (b - lo) / m) for j in range(1, m + 1)}
    return {0} | g | {-v for v in g}


def brute_high_pool(bands, lows, m):
    grids = [brute_grid(b, lo, m) for b, lo in zip(bands, lows)]
    return {k for k in _box(bands) if _canonical(k) and not _in_box(k, lows)
            and all(v in g for v, g in zip(k, grids))}


LATTICE_CASES = [   # (bandlimit as passed, per-axis bands, n)
    ((3, 6, 6), (3, 6, 6), 40),
    ((3, 6, 6), (3, 6, 6), 239),        # = max: every pool point is used
    ((2, 8, 5), (2, 8, 5), 90),
    ((8, 40, 40), (8, 40, 40), 416),    # a 48×240×240 video's default
    (6, (6, 6, 6), 120),                # one int on every axis
]


@pytest.mark.parametrize("bandlimit,bands,n", LATTICE_CASES)
def test_lattice_exactly(bandlimit, bands, n):
    lows = _lows(bands)
    k = tfreq.sampled_frequencies(n, bandlimit, dim=3)
    rows = [tuple(r) for r in k]
    assert len(rows) == n and all(len(r) == 3 and all(isinstance(v, int) for v in r) for r in rows)
    assert rows[:3] == _identity(3)                                    # identity columns first
    assert len(set(rows)) == n                                         # no duplicates
    assert all(_canonical(r) for r in rows)                            # first non-zero entry positive
    assert not set(rows) & {tuple(-v for v in r) for r in rows}        # never both k and −k
    assert np.all(np.abs(np.asarray(k)) <= np.asarray(bands))          # |k_i| ≤ B_i on every axis
    low_pool = brute_low_pool(bands, lows)
    n_low = min(round(0.7 * (n - 3)), len(low_pool))
    low, high = rows[3:3 + n_low], rows[3 + n_low:]
    assert set(low) <= low_pool                                        # the low share: inside the box
    # the high share: outside the box, on the coarse grid of the smallest m holding enough points
    m = next(m for m in range(1, max(b - lo for b, lo in zip(bands, lows)) + 1)
             if len(brute_high_pool(bands, lows, m)) >= len(high))
    assert set(high) <= brute_high_pool(bands, lows, m)
    assert not any(_in_box(r, lows) for r in high)
    # is_low / row_bounds agree with the split
    np.testing.assert_array_equal(tfreq.is_low(k[3:], lows), [True] * n_low + [False] * len(high))
    np.testing.assert_array_equal(tfreq.row_bounds(k[3:], lows, 1.0, 0.6), np.float32([1.0] * n_low + [0.6] * len(high)))


def test_brute_force_pools_tiny_case():
    """(3, 6, 6): low limits (1, 2, 2); at n = max every point of both pools is drawn, so the sample *is*
    the pools: the low box's 37 canonical points minus the 3 identity columns, and the finest high grid's
    (5·9·9 − 1)/2 = 202 points (per axis 0 or ±(l_i, B_i]).  Points mixing a low non-zero entry with a
    high one, e.g. (1, 3, 2), are in neither pool (as in 2-D)."""
    bands, lows = (3, 6, 6), (1, 2, 2)
    low_pool, high_pool = brute_low_pool(bands, lows), brute_high_pool(bands, lows, 4)
    assert len(low_pool) == (3 * 5 * 5 - 1) // 2 - 3 == 34
    assert len(high_pool) == (5 * 9 * 9 - 1) // 2 == 202
    assert not {(1, 3, 2), (0, 3, 2)} & (high_pool | low_pool) and (0, 3, 4) in high_pool and (0, 1, 2) in low_pool
    most = tfreq.max_sampled_frequencies(bands)
    assert most == 3 + 34 + 202 == 239
    k = tfreq.sampled_frequencies(most, bands)
    assert set(k[3:3 + 34]) == low_pool and set(k[3 + 34:]) == high_pool
    assert set(k) == set(_identity(3)) | low_pool | high_pool
    # coarser grids: the pools the sampler uses for smaller n are the docstring's ∏ {0, ±g_ij}
    for n in (20, 40, 60, 100, 150):
        rows = tfreq.sampled_frequencies(n, bands, seed=n)
        n_low = min(round(0.7 * (n - 3)), 34)
        high = set(rows[3 + n_low:])
        m = next(m for m in range(1, 5) if len(brute_high_pool(bands, lows, m)) >= len(high))
        assert high <= brute_high_pool(bands, lows, m), n
    # m = 2 on the y/x axes (l = 2, B = 6): g = round(2 + 2) = 4, 6; the t axis (B − l = 2) too: 2, 3
    assert brute_grid(6, 2, 2) == {0, 4, 6, -4, -6} and brute_grid(3, 1, 2) == {0, 2, 3, -2, -3}
    assert brute_grid(3, 1, 4) == {0, 2, 3, -2, -3}                   # m capped at B − l per axis


@pytest.mark.parametrize("bands", [(3, 6, 6), (2, 8, 5), (2, 2, 2), (8, 40, 40), (4, 3, 7)])
def test_max_sampled_frequencies_is_tight(bands):
    most = tfreq.max_sampled_frequencies(bands)
    assert len(tfreq.sampled_frequencies(most, bands)) == most
    with pytest.raises(ValueError, match=f"at most {most} fit") as err:
        tfreq.sampled_frequencies(most + 1, bands)
    shown = str(bands[0]) if len(set(bands)) == 1 else str(bands)      # one number when every axis agrees
    assert "\n" not in str(err.value) and f"below bandlimit {shown} " in str(err.value)
    # the count agrees with the enumerated pools
    lows = _lows(bands)
    if math.prod(2 * b + 1 for b in bands) < 10 ** 5:
        assert most <= 3 + len(brute_low_pool(bands, lows)) + len(brute_high_pool(bands, lows, max(bands)))


def test_int_bandlimit_is_the_same_on_every_axis_and_unchanged():
    # pinned on the commit before per-axis bandlimits (sha256 of the tuple's repr, first 16 hex digits)
    def h(k):
        return hashlib.sha256(repr(tuple(tuple(r) for r in k)).encode()).hexdigest()[:16]

    assert h(tfreq.sampled_frequencies(416, 85)) == "b93a08838de38a55"
    assert h(tfreq.sampled_frequencies(64, 8, 3)) == "dedbebbe7a277424"
    assert h(tfreq.sampled_frequencies(100, 5, dim=3)) == "2f865e9ad8aabc8e"
    assert h(tfreq.sampled_frequencies(6, 9, dim=1)) == "53989f1e7ab9297f"
    assert h(tfreq.sampled_frequencies(300, 9, dim=3, seed=3)) == "61fd2ccf218bb99c"
    assert [tfreq.max_sampled_frequencies(b, dim=3) for b in (2, 3, 5, 8)] == [26, 75, 377, 1160]
    # an int is the tuple with that value on every axis; the low limit likewise
    assert tfreq.sampled_frequencies(100, 5, dim=3) == tfreq.sampled_frequencies(100, (5, 5, 5))
    assert tfreq.sampled_frequencies(100, 9, 2, dim=3) == tfreq.sampled_frequencies(100, (9, 9, 9), (2, 2, 2))
    assert tfreq.max_sampled_frequencies(5, dim=3) == tfreq.max_sampled_frequencies((5, 5, 5))
    np.testing.assert_array_equal(tfreq.is_low(tfreq.sampled_frequencies(64, 8, 3), 3),
                                  tfreq.is_low(tfreq.sampled_frequencies(64, 8, 3), (3, 3)))


def test_per_axis_arguments_and_errors():
    assert tfreq.default_low_limit((8, 40, 40)) == (2, 13, 13) and tfreq.default_low_limit(2) == 1
    # dim follows a per-axis value; lists work (normalised to tuples before the cache)
    assert np.asarray(tfreq.sampled_frequencies(50, [2, 8, 8])).shape == (50, 3)
    assert tfreq.sampled_frequencies(50, [2, 8, 8]) is tfreq.sampled_frequencies(50, (2, 8, 8), dim=3)   # cached
    assert tfreq.sampled_frequencies(50, 8, (1, 2, 2)) == tfreq.sampled_frequencies(50, (8, 8, 8), (1, 2, 2))
    with pytest.raises(ValueError, match="need one per axis"):
        tfreq.sampled_frequencies(50, (2, 8, 8), dim=2)
    with pytest.raises(ValueError, match="low_limit has 2 values"):
        tfreq.sampled_frequencies(50, (2, 8, 8), (1, 2))
    with pytest.raises(ValueError, match="0 < low_limit < bandlimit"):
        tfreq.sampled_frequencies(50, (1, 8, 8))                   # l_t = 1 = B_t
    assert tfreq.max_sampled_frequencies((1, 8, 8)) == 0
    with pytest.raises(ValueError, match="need one per axis"):
        tfreq.is_low([(1, 2, 3)], (1, 2))


# ---------------------------------------------------------------------------
# presets and bound groups
# ---------------------------------------------------------------------------

def test_tuner_sampled_per_axis():
    model = TunerSampled(1, bandlimit=(2, 8, 8), width=64)
    enc = model.layers[0]
    assert isinstance(enc, IntegerFrequencyEncoding) and enc.low_limit == (1, 2, 2)
    hash(enc)                                                        # flax attributes must be hashable
    k = np.asarray(enc.frequencies)
    assert k.shape == (64, 3) and np.all(np.abs(k) <= (2, 8, 8))
    groups = tuner_bound_groups(model)["layers_1"]["kernel"][:, 0]
    np.testing.assert_array_equal(groups, np.where(np.all(np.abs(k) <= (1, 2, 2), axis=1), 0, 1))
    # the first hidden matrix's rows follow the box: N(0, (0.3·c_j/ω_G)²)
    w = np.asarray(jax.jit(model.init)(KEY, jnp.zeros((1, 3)))["params"]["layers_1"]["kernel"])
    assert w.shape == (64, 64) and np.all(np.isfinite(w))
    # width capped at what fits; an explicit n_frequencies that cannot fit names the maximum
    small = TunerSampled(1, bandlimit=(2, 2, 2), width=416)
    assert len(small.layers[0].frequencies) == tfreq.max_sampled_frequencies((2, 2, 2)) == 26
    with pytest.raises(ValueError, match="at most 26 fit"):
        TunerSampled(1, bandlimit=(2, 2, 2), n_frequencies=27)


def test_tuner_takes_a_per_axis_low_limit():
    freqs = ((1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 2, 0), (2, 0, 0), (0, 3, 1))
    model = Tuner(1, freqs, [1, 2, 2], width=4)
    assert model.layers[0].low_limit == (1, 2, 2)                      # a list becomes a hashable tuple
    np.testing.assert_array_equal(tuner_bound_groups(model)["layers_1"]["kernel"][:, 0], [0, 0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="one per axis"):
        Tuner(1, freqs, (1, 2), width=4)


# ---------------------------------------------------------------------------
# Theorem 2 on a 3-D net
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spectrum_check_in_3d(seed):
    """A one-hidden-layer TUNER on ℤ³ (bandlimit (2, 4, 4), 8 frequencies, period 3) at init, 16³ grid.

    Measured (seeds 0, 1, 2): K = 3 relative error 0.0052, 0.0052, 0.0016 (K = 1: 0.036, 0.066, 0.038);
    energy in predicted bins ≥ 0.997 against a chance level (bins hit) of 0.082.  Thresholds: K = 3 error
    < 0.01 (about 2× the worst seed), energy > 0.99, and the error shrinking at least 4× from K = 1 to 3.
    """
    model = TunerSampled(1, bandlimit=(2, 4, 4), width=8, depth=1, period=3.0)
    variables = jax.jit(model.init)(jax.random.PRNGKey(seed), jnp.zeros((1, 3)))
    errors = {}
    for K in (1, 3):
        r = sp.tuner_spectrum_check(model, variables, n=16, max_order=K)
        assert r["bound_holds"] and r["max_bound_ratio"] <= 1.0
        assert r["measured"].shape == (16, 16, 16)
        errors[K] = r["relative_error"]
    assert errors[3] < 0.01 and errors[1] > 4 * errors[3]
    assert r["energy_fraction"] > 0.99 and r["energy_fraction"] > 10 * r["bins_fraction"]
    # Parseval: the truncated series evaluated on the 3-D grid has the same relative error
    x = jnp.asarray(sp.periodic_grid(16, 3.0, 3).reshape(-1, 3))
    f = jax.jit(model.apply)(variables, x)
    f_hat = sp.evaluate_expansion(r["expansion"], x)
    np.testing.assert_allclose(float(jnp.linalg.norm(f_hat - f) / jnp.linalg.norm(f)), errors[3], rtol=0.05)
    # generated frequencies are integer combinations: |n_i| ≤ K·B_i per axis
    assert np.all(np.abs(r["expansion"].frequency).max(0) <= 3 * np.asarray((2, 4, 4)))


# ---------------------------------------------------------------------------
# size-adaptive defaults (recipes) and --bandlimit
# ---------------------------------------------------------------------------

def _video(t, h, w, c=3):
    return Signal("video", np.zeros((t, h, w, c), np.float32), "mem")


def _no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def test_default_bandlimit_per_axis():
    # video: B_i = n_i // 6, at least 2 (an 8-frame clip: 8 // 6 = 1 → 2, which is ≤ its Nyquist 4)
    assert _no_warnings(recipes.signal.tuner_bandlimit, _video(8, 24, 36)) == (2, 4, 6)
    assert _no_warnings(recipes.signal.tuner_bandlimit, _video(48, 240, 240)) == (8, 40, 40)
    vol = Signal("volume", np.zeros((64, 48, 30, 1), np.float32), "mem")
    assert _no_warnings(recipes.signal.tuner_bandlimit, vol) == (10, 8, 5)
    # images keep one int, the smallest side // 6
    img = Signal("image", np.zeros((60, 90, 3), np.float32), "mem")
    assert _no_warnings(recipes.signal.tuner_bandlimit, img) == 10
    with pytest.raises(ValueError, match="signal too small for TUNER"):
        recipes.signal.tuner_bandlimit(Signal("image", np.zeros((8, 90, 3), np.float32), "mem"))


def test_short_axis_gets_two_and_warns_below_four_samples():
    with pytest.warns(UserWarning, match="bandlimit 2 on axis t is above the signal's Nyquist limit") as rec:
        assert recipes.signal.tuner_bandlimit(_video(3, 24, 24)) == (2, 4, 4)
    assert len(rec) == 1
    assert _no_warnings(recipes.signal.tuner_bandlimit, _video(4, 24, 24)) == (2, 4, 4)


def test_explicit_bandlimit_per_axis_and_nyquist_warnings():
    v = _video(8, 24, 36)
    with pytest.warns(UserWarning) as rec:
        assert recipes.signal.tuner_bandlimit(v, (8, 40, 40)) == (8, 40, 40)
    msgs = [str(w.message) for w in rec]
    assert len(msgs) == 3 and all("Nyquist" in m for m in msgs)
    assert ["axis t" in msgs[0], "axis y" in msgs[1], "axis x" in msgs[2]] == [True] * 3
    assert _no_warnings(recipes.signal.tuner_bandlimit, v, [3, 10, 12]) == (3, 10, 12)
    assert _no_warnings(recipes.signal.tuner_bandlimit, v, [4]) == 4      # one value: the int
    with pytest.warns(UserWarning, match="axis t"):
        assert recipes.signal.tuner_bandlimit(v, 6) == 6                  # one int: checked per axis
    for bad, needle in [((8, 40), "one per grid axis \\(video grid axes: t,y,x\\), got 2: 8,40"),
                        ((8, 0, 4), "must be positive"), ((1, 4, 4), "at least 2 on every axis"),
                        (-3, "must be positive")]:
        with pytest.raises(ValueError, match=needle) as err:
            recipes.signal.tuner_bandlimit(v, bad)
        assert "\n" not in str(err.value)


def test_model_fn_builds_a_3d_tuner():
    v = _video(8, 24, 36)
    model = _no_warnings(recipes.model_fn, "tuner", v)({})
    enc = model.layers[0]
    most = tfreq.max_sampled_frequencies((2, 4, 6))
    assert len(enc.frequencies) == min(416, most) == 116 and enc.low_limit == (1, 1, 2)
    x = v.coords()[:5]
    out = jax.jit(model.apply)(jax.jit(model.init)(KEY, x), x)
    assert out.shape == (5, 3) and np.all(np.isfinite(np.asarray(out)))
    assert len(recipes.model_fn("tuner", v, width=32)({}).layers[0].frequencies) == 32
    with pytest.raises(ValueError, match=f"at most {most} fit"):
        recipes.model_fn("tuner", v, width=most + 1)({})
    with pytest.warns(UserWarning):
        wide = recipes.model_fn("tuner", v, bandlimit=(8, 40, 40))({})
    assert len(wide.layers[0].frequencies) == 416
    recipes.optimizer_fn("tuner", recipes.model_fn("tuner", v))            # the bound groups build


def test_bandlimit_flag_parses_one_int_or_a_list(capsys):
    parse = build_parser().parse_args
    assert parse(["fit", "--model", "tuner", "--bandlimit", "8"]).bandlimit == 8
    assert parse(["fit", "--model", "tuner", "--bandlimit", "8,40,40"]).bandlimit == (8, 40, 40)
    for bad, needle in [("8,0,40", "must be positive"), ("8,,40", "comma list"), ("8,x", "an integer"),
                        ("-2", "must be positive")]:
        with pytest.raises(SystemExit) as err:
            parse(["fit", "--model", "tuner", "--bandlimit", bad])
        assert err.value.code == 1
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "--bandlimit" in lines[0] and needle in lines[0], lines


def test_resume_restores_a_per_axis_bandlimit_as_a_tuple():
    assert rundir._restore("bandlimit", [8, 40, 40]) == (8, 40, 40)
    assert rundir._restore("bandlimit", 8) == 8 and rundir._restore("bandlimit", None) is None


def test_cli_per_axis_bandlimit_runs_and_resumes(tmp_path, capsys):
    """End to end on an image (video files are not loaded by the CLI yet): the tuple goes through the
    checkpoint's JSON config and comes back on --resume; a different typed value is refused."""
    from PIL import Image

    from spectral_inr import cli

    Image.fromarray(np.full((24, 30), 128, np.uint8)).save(tmp_path / "img.png")
    out = tmp_path / "run"
    base = ["fit", str(tmp_path / "img.png"), "--model", "tuner", "--steps", "10", "--chunk", "10", "--width", "16"]
    assert cli.main([*base, "--bandlimit", "3,4", "--out", str(out)]) == 0
    capsys.readouterr()
    assert cli.main(["fit", "--resume", "--out", str(out), "--bandlimit", "3,4"]) == 0
    capsys.readouterr()
    assert cli.main(["fit", "--resume", "--out", str(out), "--bandlimit", "3,5"]) == 1
    err = capsys.readouterr().err
    assert "--bandlimit 3,5 here, 3,4 there" in err
    assert cli.main([*base, "--bandlimit", "3,4,5", "--out", str(tmp_path / "bad")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "one per grid axis (image grid axes: y,x), got 3: 3,4,5" in err[0]
