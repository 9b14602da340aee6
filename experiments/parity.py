"""Parity with the authors' code: our fit on the exact signal, split and frequencies they used.

``python -m experiments.parity tuner REF_DIR`` where ``REF_DIR`` holds one folder
per reference run (``tuner_seed*/`` and ``siren_seed*/``), each with the
artefacts saved from a run of DianaPat/TUNER outside this repository
(``docs/fidelity.md`` gives the commands): ``target.npy`` (the ``(H, W, 3)``
array their loader trained on), ``test_idx.npy`` (flat row-major test pixels),
``freqs.npy`` (the first layer's integer frequencies, their ``(x, y)`` order)
and ``metrics.json`` (their numbers).  For every reference run we fit our
protocol (``TUNER_KODAK["official"]`` at the reference's width, full batch,
``--epochs``) on the same target and split, with their frequencies swapped to
our ``(y, x)``, and score it with the official metric convention: PSNR on the
train side and the test side of the split, gradient PSNR on the full image.
Writes ``results/parity-tuner.{json,md}``.

``python -m experiments.parity siren2 REF_DIR``: ``REF_DIR`` holds the target
window their ``set_audio_target`` produced (``target_*.npy``) and one
``{SIREN,SIREN_square}_seed*.json`` per run of SIREN-square's ``train``; we fit
as many seeds of our ``siren`` and ``siren2`` rows (``exp-audio``'s quick
protocol, same width, depth and steps as theirs) as one vmapped sweep and
compare best PSNR over training.  Writes ``results/parity-siren2.{json,md}``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from experiments import common
from experiments.formatting import markdown_table, mean_std
from spectral_inr import evaluation, models, protocols, recipes
from spectral_inr.metrics import psnr_from_mse
from spectral_inr.signals import Signal
from spectral_inr.train import sweep


def _psnr_raw(raw, flat, idx) -> float:
    """PSNR of the unclipped output on the pixels ``idx`` (their ``log_metrics``/``log_psnr_test``)."""
    return float(psnr_from_mse(np.mean((raw[idx] - flat[idx]) ** 2), floor=0))


THEIRS = {"psnr_train": "psnr_train_handler_base", "psnr_test": "psnr_test_handler_base",
          "gradient_psnr": "psnr_grad_handler_base"}


def our_fit(method, ref: Path, epochs: int, seed: int):
    target = np.load(ref / "target.npy").astype(np.float32)
    test_idx = np.sort(np.load(ref / "test_idx.npy"))
    h, w, _ = target.shape
    train_idx = np.setdiff1d(np.arange(h * w), test_idx)
    freqs = [tuple(int(v) for v in k[::-1]) for k in np.load(ref / "freqs.npy")]   # (x, y) → (y, x)
    p = dataclasses.replace(protocols.TUNER_KODAK["official"], width=len(freqs), batch_size=None, epochs=epochs)
    if method == "tuner":
        assert tuple(freqs) == models.tuner_frequencies.reference_frequencies(n=len(freqs)), "list differs"
        fitter = recipes.tuner_protocol_fitter(p, "tuner")
    else:
        base = recipes.tuner_protocol_fitter(p, "tuner-siren")
        model = models.TunerSiren(3, freqs, period=p.period, width=p.width, depth=p.depth, omega0=p.omega_g)
        fitter = dataclasses.replace(base, model_fn=lambda hp: model)
    signal = Signal("image", target, ref.name)
    result = sweep(fitter, signal.coords()[train_idx], signal.targets()[train_idx], [{"seed": seed}],
                   p.steps(len(train_idx)), chunk=100, progress=False)
    s = evaluation.evaluate(fitter, result, signal, split=(train_idx, test_idx), tuner_metric=True)
    # the official PSNR is of the raw (unclipped) output; ours clips to [0, 1]
    raw = evaluation.predict_members(fitter, result, signal)[0].reshape(-1, 3)
    flat = signal.targets()
    return {"psnr_train": _psnr_raw(raw, flat, train_idx), "psnr_test": _psnr_raw(raw, flat, test_idx),
            "psnr_train_clipped": s["psnr_train"][0], "psnr_test_clipped": s["psnr_test"][0],
            "gradient_psnr": s["gradient_psnr_tuner"][0], "gradient_psnr_ours_test": s["gradient_psnr_test"][0]}


def siren2_parity(ref: Path, out: Path, seeds=None):

    target = np.load(sorted(ref.glob("target_*.npy"))[0]).astype(np.float32).reshape(-1, 1)
    rows, payload = [], {}
    with common.Timer() as total:
        for method, theirs_name in (("siren", "SIREN"), ("siren2", "SIREN_square")):
            files = [f for f in sorted(ref.glob(f"{theirs_name}_seed*.json")) if f.stem.split("seed")[1].isdigit()]
            theirs = [json.loads(f.read_text()) for f in files]
            t0 = theirs[0]
            p = dataclasses.replace(protocols.SIREN2_AUDIO["quick"], width=t0["HL_dim"], depth=t0["n_HLs"],
                                    steps=t0["epochs"], samples=target.shape[0], seeds=seeds or len(theirs))
            fitter = recipes.siren2.fitter(method, p, len(target))
            s0, s1 = models.siren2_noise_scales(target, "audio")
            members = [{"lr": p.lr, "seed": i, "s0": s0, "s1": s1} for i in range(p.seeds)]
            coords = np.linspace(-1, 1, target.shape[0], dtype=np.float32)[:, None]
            result = sweep(fitter, coords, target, members, p.steps, chunk=100, progress=False)
            ours = [float(psnr_from_mse(b, floor=0)) for b in result.state.best_loss]
            b = [t["best_psnr_max_of_psnr_history"] for t in theirs]
            payload[method] = {"ours_best_psnr": ours, "theirs_best_psnr": b, "s0_s1": [s0, s1],
                               "theirs_s0_s1": [t0.get("S0"), t0.get("S1")]}
            rows.append([method, len(ours), mean_std(ours), len(b), mean_std(b),
                         f"{np.mean(ours) - np.mean(b):+.2f}"])
            print(rows[-1], flush=True)
    payload["seconds"] = total.seconds
    md = ("# Parity with hemanthgrylls/SIREN-square (audio)\n\nSame target window; best PSNR over training "
          "(from the loss before each update, as their `train` reads it). Mean ± std over seeds (independent "
          "initial weights on each side).\n\n"
          + markdown_table(["method", "our runs", "ours", "their runs", "theirs", "ours − theirs (dB)"], rows))
    common.write_results("parity", "siren2", payload, md, out=out)


def score_their_weights(method, ref: Path):
    """Our metric code on *their* trained weights (``weights.npz``, exported from their ``model.pth``).

    Separates metric differences from training differences: if these equal their reported numbers,
    any gap in the parity table comes from the fits, not from how they are scored.
    """
    import jax
    import jax.numpy as jnp

    from spectral_inr import metrics

    w = np.load(ref / "weights.npz")
    target = np.load(ref / "target.npy").astype(np.float32)
    test_idx = np.sort(np.load(ref / "test_idx.npy"))
    h, wd, _ = target.shape
    train_idx = np.setdiff1d(np.arange(h * wd), test_idx)
    freqs = [tuple(int(v) for v in k[::-1]) for k in np.load(ref / "freqs.npy")]
    np.testing.assert_allclose(w["freq_w"][:, ::-1] * 4.0 / (2 * np.pi), np.asarray(freqs), atol=1e-4)
    p = protocols.TUNER_KODAK["official"]
    if method == "tuner":
        model = models.Tuner(3, freqs, low_limit=p.low_limit, period=p.period, width=len(freqs), depth=1)
    else:
        model = models.TunerSiren(3, freqs, period=p.period, width=len(freqs), depth=1)
    params = {"layers_0": {"phase": w["phase"]}, "layers_1": {"kernel": w["w1"].T, "bias": w["b1"]},
              "layers_2": {"kernel": w["w2"].T, "bias": w["b2"]}}
    params = jax.tree_util.tree_map(jnp.asarray, params)
    signal = Signal("image", target, ref.name)
    apply = lambda x: model.apply({"params": params}, x)  # noqa: E731
    raw = np.asarray(jax.jit(apply)(jnp.asarray(signal.coords())))
    flat = signal.targets()
    grad = jax.jit(lambda c: metrics.gradient_psnr_of_model(apply, c, target, convention="tuner", chunk_size=4096))
    return {"psnr_train": _psnr_raw(raw, flat, train_idx), "psnr_test": _psnr_raw(raw, flat, test_idx),
            "gradient_psnr": float(grad(jnp.asarray(signal.grid())))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("which", choices=["tuner", "siren2"])
    ap.add_argument("ref", type=Path, help="folder with the reference runs (tuner_seed*/, siren_seed*/)")
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--seeds", type=int, default=None, help="siren2: our seeds (default: as many as theirs)")
    ap.add_argument("--out", type=Path, default=common.RESULTS)
    args = ap.parse_args(argv)
    if args.which == "siren2":
        return siren2_parity(args.ref, args.out, args.seeds)
    rows, payload, metric_rows = [], {}, []
    with common.Timer() as total:
        for method, prefix in (("tuner", "tuner_seed"), ("tuner-siren", "siren_seed")):
            refs = sorted(args.ref.glob(prefix + "*"))
            refs = [r for r in refs if r.is_dir()]
            if not refs:
                raise SystemExit(f"no {prefix}* runs in {args.ref}")
            theirs = [json.loads((r / "metrics.json").read_text()) for r in refs]
            scored = [score_their_weights(method, r) for r in refs if (r / "weights.npz").exists()]
            ours = [our_fit(method, r, args.epochs, seed=i) for i, r in enumerate(refs)]
            payload[method] = {"references": [r.name for r in refs], "ours": ours,
                               "theirs": [{k: t[v] for k, v in THEIRS.items()} for t in theirs],
                               "our_metrics_on_their_weights": scored}
            if scored:
                for k in THEIRS:
                    diff = [sc[k] - t[THEIRS[k]] for sc, t in zip(scored, theirs)]
                    metric_rows.append([method, k, ", ".join(f"{d:+.3f}" for d in diff)])
            for k in THEIRS:
                a = [o[k] for o in ours]
                b = [t[THEIRS[k]] for t in theirs]
                rows.append([method, k, mean_std(a), mean_std(b), f"{np.mean(a) - np.mean(b):+.2f}"])
            print(method, rows[-3:], flush=True)
    payload["epochs"], payload["seconds"] = args.epochs, total.seconds
    md = (f"# Parity with DianaPat/TUNER ({args.epochs} full-batch epochs)\n\nSame target array, test pixels and "
          "first-layer frequencies as each reference run; ours: `TUNER_KODAK['official']` at the reference width. "
          "Metrics in the official convention (PSNR of the unclipped output on each side of the split, gradient "
          "PSNR on the full image; our clipped PSNR is in the JSON). "
          "Mean ± std over runs (seeds differ between the two sides: the initial weights are not shared).\n\n"
          + markdown_table(["method", "metric", "ours", "theirs", "ours − theirs (dB)"], rows))
    if metric_rows:
        md += ("\n## Our metric code on their trained weights\n\nTheir `model.pth` exported to numpy and scored "
               "by `spectral_inr.metrics` (official convention) — minus the number their `handler_base` "
               "reported, per run:\n\n"
               + markdown_table(["method", "metric", "ours − theirs per run (dB)"], metric_rows))
    common.write_results("parity", "tuner", payload, md, out=args.out)


if __name__ == "__main__":
    main()
