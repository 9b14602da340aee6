"""``spectral-inr``: fit, sweep and demo from the command line.

    spectral-inr fit [SIGNAL] --model siren --steps 500 --seeds 4 --out runs/x
    spectral-inr sweep SIGNAL --model siren --lr 1e-4,5e-4 --omega0 20,30 --seeds 4
    spectral-inr demo

Bad input exits with status 1 and one line ``spectral-inr: error: …`` (a
traceback only with ``--debug``); a failed run removes the output directory
it created, so nothing is left half-written.
"""
from __future__ import annotations

import argparse
import logging
import re
import warnings
import shutil
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

EXIT_ERROR = 1


class UsageError(ValueError):
    """A bad command-line value."""


# --- argument types ----------------------------------------------------------
def _positive(cast, name):
    def parse(text):
        try:
            v = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not np.isfinite(v) or v <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be positive, got {text!r}")
        return v
    parse.__name__ = name
    return parse


def _list_of(cast, name):
    one = _positive(cast, name)

    def parse(text):
        return [one(t) for t in text.split(",") if t.strip()] or one("")
    parse.__name__ = name
    return parse


MAX_SIDE = 32768


def _size(text):
    parts = text.replace("x", ",").split(",")
    try:
        h, w = (int(p) for p in parts) if len(parts) == 2 else (int(parts[0]),) * 2
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be H,W or N, got {text!r}") from None
    if not (2 <= h <= MAX_SIDE and 2 <= w <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"size sides must be in [2, {MAX_SIDE}], got {text!r}")
    return (h, w)


def _fraction(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--test-fraction must be a number, got {text!r}") from None
    if not 0.0 <= v < 1.0:
        raise argparse.ArgumentTypeError(f"--test-fraction must be in [0, 1), got {text!r}")
    return v


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # read "-1e-3" as a (bad) value, not an option, so the error says "must be positive"
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

    def error(self, message):  # one line, exit 1 — like every other error
        print(f"spectral-inr: error: {message}", file=sys.stderr)
        sys.exit(EXIT_ERROR)


def _common(p: argparse.ArgumentParser, sweep: bool):
    num = _list_of if sweep else _positive
    p.add_argument("signal", nargs="?", default=None, help="image or WAV file (default: bundled cameraman)")
    p.add_argument("--model", default="siren", help="siren, tuner, siren2, finer, ffn")
    p.add_argument("--steps", type=_positive(int, "--steps"), default=500)
    p.add_argument("--seeds", type=_positive(int, "--seeds"), default=1)
    p.add_argument("--lr", type=num(float, "--lr"), default=None, help="learning rate (default: per model)")
    p.add_argument("--omega0", type=num(float, "--omega0"), default=None, help="hidden ω0 (TUNER: ω_G)")
    p.add_argument("--first-omega0", type=_positive(float, "--first-omega0"), default=None)
    p.add_argument("--width", type=_positive(int, "--width"), default=None)
    p.add_argument("--depth", type=_positive(int, "--depth"), default=None)
    p.add_argument("--bandlimit", type=_positive(int, "--bandlimit"), default=None, help="TUNER bandlimit")
    p.add_argument("--learned-bounds", action="store_true", help="TUNER with learned bounds")
    p.add_argument("--resize", type=_size, default=None, help="H,W (images)")
    p.add_argument("--crop", type=_size, default=None, help="centre crop H,W before resizing (images)")
    p.add_argument("--max-samples", type=_positive(int, "--max-samples"), default=None, help="first N samples (audio)")
    p.add_argument("--batch-size", type=_positive(int, "--batch-size"), default=None, help="default: full batch")
    p.add_argument("--test-fraction", type=_fraction, default=0.0,
                   help="hold out this fraction of pixels/samples (random, seed 0) and report train/test metrics")
    p.add_argument("--chunk", type=_positive(int, "--chunk"), default=100, help="steps per compiled scan")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in OUT")
    p.add_argument("--debug", action="store_true", help="show tracebacks")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="spectral-inr", description="Fit sinusoidal INRs to images and audio.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _common(sub.add_parser("fit", help="fit one model (K seeds vmapped)"), sweep=False)
    _common(sub.add_parser("sweep", help="fit a grid of hyper-parameters × seeds as one program"), sweep=True)
    demo = sub.add_parser("demo", help="SIREN vs TUNER on the bundled cameraman")
    demo.add_argument("--steps", type=_positive(int, "--steps"), default=300)
    demo.add_argument("--size", type=_size, default=(128, 128))
    demo.add_argument("--out", type=Path, default=Path("results/demo"))
    demo.add_argument("--debug", action="store_true")
    return parser


# --- commands ----------------------------------------------------------------
def _run(args, members_axes: dict, label: str) -> dict:
    """Load, build, sweep, evaluate and write; returns the metrics dict."""
    from spectral_inr import evaluation, recipes, report
    from spectral_inr.data import train_test_split
    from spectral_inr.signals import load_signal
    from spectral_inr.train import grid, sweep

    signal = load_signal(args.signal, resize=args.resize, crop=args.crop, max_samples=args.max_samples)
    if args.learned_bounds and args.model != "tuner":
        raise UsageError("--learned-bounds applies to --model tuner")
    fitter = recipes.fitter(args.model, signal, batch_size=args.batch_size, width=args.width, depth=args.depth,
                            first_omega0=args.first_omega0, bandlimit=args.bandlimit,
                            learned_bounds=args.learned_bounds)
    members = grid(seeds=args.seeds, **members_axes)
    out = args.out or Path("runs") / f"{Path(signal.path).stem}-{args.model}"
    created = not out.exists()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    if args.resume and not (out / "checkpoints").is_dir():
        raise UsageError(f"--resume: no checkpoints in {out}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        every = args.chunk * max(1, (args.steps // 10) // args.chunk)
        config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("debug", "out", "resume")}
        split = None
        coords, targets = signal.coords(), signal.targets()
        if args.test_fraction > 0:
            split = train_test_split(coords.shape[0], args.test_fraction, seed=0)
            coords, targets = coords[split[0]], targets[split[0]]
        result = sweep(fitter, coords, targets, members, args.steps, chunk=args.chunk,
                       checkpoint_dir=out / "checkpoints", checkpoint_every=every, resume=args.resume, config=config)
        scores = evaluation.evaluate(fitter, result, signal, split=split)
        preds = scores.pop("_predictions")
        metrics = _metrics_json(args, signal, result, scores, label)
        labels = [", ".join(f"{k}={v}" for k, v in m.items()) for m in result.members]
        report.save_figure(report.plot_curves(result.history["loss"], labels, f"{args.model} on {Path(signal.path).name}"),
                           out / "curves.png")
        key = "psnr" if "psnr" in scores else "psnr_train"
        best = int(np.nanargmax(scores[key])) if np.isfinite(scores[key]).any() else 0
        report.save_figure(report.plot_spectrum(signal.values, preds[best], signal.kind), out / "spectrum.png")
        suffix = ".wav" if signal.kind == "audio" else ".png"
        report.save_reconstruction(out / f"reconstruction{suffix}", preds[best], signal.kind, signal.sample_rate)
        report.write_json(out / "metrics.json", metrics)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    return metrics


def _metrics_json(args, signal, result, scores, label) -> dict:
    import jax
    from spectral_inr.evaluation import summarize

    m = {"command": label, "model": args.model, "signal": signal.path, "kind": signal.kind,
         "shape": list(signal.shape), "steps": result.steps, "seconds": round(result.seconds, 3),
         "members": result.members, "diverged": [{"member": i, "step": s} for i, s in result.diverged],
         "device": jax.devices()[0].device_kind, "jax": jax.__version__}
    for name, values in scores.items():
        if values:
            m[name] = summarize(values)
    return m


def cmd_fit(args) -> int:
    from spectral_inr.recipes import DEFAULT_LR, DEFAULT_OMEGA0
    axes = {"lr": [args.lr or DEFAULT_LR.get(args.model, 1e-4)], "omega0": [args.omega0 or DEFAULT_OMEGA0]}
    m = _run(args, axes, "fit")
    parts = [f"{name} {m[name]['mean']:.2f} ± {m[name]['std']:.2f}" for name in
             ("psnr", "psnr_train", "psnr_test", "gradient_psnr", "gradient_psnr_train", "gradient_psnr_test",
              "snr", "ssim") if name in m]
    print(f"{m['model']}: " + ", ".join(parts) + f" ({m['seconds']:.1f} s)")
    for d in m["diverged"]:
        print(f"member {d['member']} diverged at step {d['step']}")
    return 0


def cmd_sweep(args) -> int:
    from spectral_inr import report
    from spectral_inr.recipes import DEFAULT_LR, DEFAULT_OMEGA0
    axes = {"lr": args.lr or [DEFAULT_LR.get(args.model, 1e-4)], "omega0": args.omega0 or [DEFAULT_OMEGA0]}
    out = args.out = args.out or Path("runs") / f"sweep-{args.model}"
    m = _run(args, axes, "sweep")
    table = sweep_table(m)
    (out / "sweep.md").write_text(table)
    report.write_json(out / "sweep.json", m)
    print(table, end="")
    for d in m["diverged"]:
        print(f"member {d['member']} ({m['members'][d['member']]}) diverged at step {d['step']}")
    return 0


def sweep_table(m: dict) -> str:
    """Markdown: one row per hyper-parameter setting (seeds pooled), best PSNR first;
    diverged members are excluded from the mean and counted in their own column."""
    diverged = {d["member"]: d["step"] for d in m["diverged"]}
    groups: dict = {}
    for i, member in enumerate(m["members"]):
        key = tuple((k, v) for k, v in sorted(member.items()) if k != "seed")
        groups.setdefault(key, []).append((m[_psnr_key(m)]["per_seed"][i], diverged.get(i)))
    def score(rows):
        finite = [v for v, d in rows if d is None and np.isfinite(v)]
        return float(np.mean(finite)) if finite else -np.inf
    ordered = sorted(groups.items(), key=lambda kv: -score(kv[1]))
    names = [k for k, _ in ordered[0][0]]
    lines = ["| " + " | ".join(names) + " | PSNR mean ± std (dB) | seeds | diverged |",
             "|" + "---|" * (len(names) + 3)]
    for key, rows in ordered:
        finite = np.asarray([v for v, d in rows if d is None and np.isfinite(v)])
        psnr = f"{finite.mean():.2f} ± {finite.std():.2f}" if finite.size else "—"
        steps = [d for _, d in rows if d is not None]
        div = f"{len(steps)} (diverged at step {', '.join(map(str, steps))})" if steps else "0"
        lines.append("| " + " | ".join(f"{x:g}" for _, x in key) + f" | {psnr} | {len(rows)} | {div} |")
    return "\n".join(lines) + "\n"


def _psnr_key(m: dict) -> str:
    return "psnr" if "psnr" in m else "psnr_train"


DEMO_WIDTH = 128  # two sine layers of 128 for both models: ~pixel count in parameters at 128×128


def cmd_demo(args) -> int:
    from spectral_inr.recipes import DEFAULT_LR
    rows = []
    for model in ("siren", "tuner"):
        ns = build_parser().parse_args(
            ["fit", "--model", model, "--steps", str(args.steps), "--resize", f"{args.size[0]},{args.size[1]}",
             "--width", str(DEMO_WIDTH), "--depth", "1" if model == "tuner" else "2", "--test-fraction", "0.05",
             "--out", str(args.out / model)])
        rows.append((model, _run(ns, {"lr": [DEFAULT_LR[model]], "omega0": [30.0]}, "demo")))
    print(f"cameraman {args.size[0]}×{args.size[1]}, 95/5 train/test pixels, {args.steps} steps, width {DEMO_WIDTH}")
    print("| model | PSNR train | PSNR test | grad PSNR train | grad PSNR test | SSIM | seconds |")
    print("|---|---|---|---|---|---|---|")
    for model, m in rows:
        vals = [m[k]["mean"] for k in ("psnr_train", "psnr_test", "gradient_psnr_train", "gradient_psnr_test", "ssim")]
        print(f"| {model} | " + " | ".join(f"{v:.2f}" if i < 4 else f"{v:.4f}" for i, v in enumerate(vals))
              + f" | {m['seconds']:.1f} |")
    print(f"reconstructions in {args.out}/<model>/reconstruction.png")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.debug:  # one line per error: keep orbax/absl background logging and warnings off stderr
        logging.getLogger("absl").setLevel(logging.CRITICAL + 1)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        warnings.showwarning = lambda message, *rest, **kw: print(f"spectral-inr: warning: {message}",
                                                                  file=sys.stderr)
    if args.command != "demo" and args.signal is not None and not Path(args.signal).exists():
        # cheap early check, before importing JAX
        print(f"spectral-inr: error: {args.signal}: no such file", file=sys.stderr)
        return EXIT_ERROR
    from spectral_inr.data import DataError
    from spectral_inr.train import CheckpointError
    try:
        return {"fit": cmd_fit, "sweep": cmd_sweep, "demo": cmd_demo}[args.command](args)
    except (DataError, UsageError, ValueError, CheckpointError, OSError, MemoryError) as e:
        if args.debug:
            raise
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"spectral-inr: error: {msg}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
