"""The command line: argument types, the parser (defaults shown in ``--help``) and
which flags a user actually typed (``--resume`` takes the rest from the checkpoint).

Nothing here imports JAX, so argument errors come back at once.
"""
from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

# the per-model defaults: one JAX-free protocol read by the parser and the recipes
from spectral_inr.data.images import MAX_SIDE  # JAX-free
from spectral_inr.protocols.cli import APPLIES_TO, BANDLIMIT_HELP, OMEGA0, SIGNAL_MODELS, SUPERVISIONS

EXIT_ERROR = 1

class UsageError(ValueError):
    """A bad command-line value."""


# --- argument types ----------------------------------------------------------
def _batch_size(text):
    """``--batch-size``: a positive integer or ``auto``."""
    return "auto" if text.strip().lower() == "auto" else _positive(int, "--batch-size")(text)


LOGGERS = ("none", "tensorboard", "wandb")


def _loggers(text):
    """``--log``: a comma list of :data:`LOGGERS` → a tuple without ``none``."""
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in LOGGERS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"--log takes {', '.join(LOGGERS)} (comma-separated), got {text!r}")
    return tuple(dict.fromkeys(n for n in names if n != "none"))


def _positive(cast, name):
    kind = "an integer" if cast is int else "a number"

    def parse(text):
        try:
            v = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {kind}, got {text!r}") from None
        if not np.isfinite(v) or v <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be positive, got {text!r}")
        return v
    parse.__name__ = name
    return parse


def _list_of(cast, name):
    one = _positive(cast, name)

    def parse(text):
        values = [one(t) for t in text.split(",") if t.strip()] or [one("")]
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:  # a repeated value would silently become an extra "seed"
            raise argparse.ArgumentTypeError(f"{name} lists {', '.join(f'{v:g}' for v in repeated)} more than once")
        return values
    parse.__name__ = name
    return parse


def _bandlimit(text):
    """``--bandlimit``: one positive int, or a comma list of them (one per grid axis) → a tuple."""
    one = _positive(int, "--bandlimit")
    parts = text.split(",")
    if len(parts) == 1:
        return one(text)
    if any(not p.strip() for p in parts):
        raise argparse.ArgumentTypeError(f"--bandlimit takes one int or a comma list of ints, got {text!r}")
    return tuple(one(p) for p in parts)


def _size(text):
    parts = text.replace("x", ",").split(",")
    try:
        h, w = (int(p) for p in parts) if len(parts) == 2 else (int(parts[0]),) * 2
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be H,W or N, got {text!r}") from None
    if not (2 <= h <= MAX_SIDE and 2 <= w <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"size sides must be in [2, {MAX_SIDE}], got {text!r}")
    return (h, w)


def _frames(text):
    """``--frames A:B:S``: a Python slice of the video's frames → ``(start, stop, step)`` (each may be None)."""
    parts = text.split(":")
    if not 1 <= len(parts) <= 3:
        raise argparse.ArgumentTypeError(f"--frames takes START:STOP[:STEP], got {text!r}")
    try:
        values = [int(t) if t.strip() else None for t in parts] + [None] * (3 - len(parts))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--frames takes integers START:STOP[:STEP], got {text!r}") from None
    if len(parts) == 1:   # "--frames 8": the first 8 frames
        values = [None, values[0], None]
    if values[2] is not None and values[2] <= 0:
        raise argparse.ArgumentTypeError(f"--frames step must be positive, got {text!r}")
    return tuple(values)


SIGNAL_KINDS = ("video", "volume")
SHAPE_TASKS = ("sdf", "occupancy")


def _fraction(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--test-fraction must be a number, got {text!r}") from None
    if not 0.0 <= v < 1.0:
        raise argparse.ArgumentTypeError(f"--test-fraction must be in [0, 1), got {text!r}")
    return v


# --- the parser --------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)
        # read "-1e-3" as a (bad) value, not an option, so the error says "must be positive"
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

    def error(self, message):  # one line, exit 1 — like every other error
        print(f"spectral-inr: error: {message}", file=sys.stderr)
        sys.exit(EXIT_ERROR)


class _Help(argparse.RawDescriptionHelpFormatter):
    """Appends ``(default: …)`` to every option that has a real default; never breaks a line inside a
    hyphenated name (``siren-rff``, ``relu-pe``)."""

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" not in text and action.option_strings and not any(
                action.default is v for v in (None, False, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


def _models_epilog() -> str:
    return "models:\n" + "\n".join(f"  {name:<9} {m.help()}" for name, m in SIGNAL_MODELS.items())


def _common(p: argparse.ArgumentParser, sweep: bool, d):
    num = _list_of if sweep else _positive
    lst = " (comma-separated list: one member per value)" if sweep else ""
    lrs = ", ".join(f"{name} {m.lr:g}" for name, m in SIGNAL_MODELS.items())
    siren, tuner = SIGNAL_MODELS["siren"], SIGNAL_MODELS["tuner"]
    no_omega0 = ", ".join(n for n in SIGNAL_MODELS if n not in APPLIES_TO["omega0"])
    other_omega0 = ", ".join(f"{n} {m.omega0:g}" for n, m in SIGNAL_MODELS.items()
                             if m.omega0 is not None and m.omega0 != OMEGA0)
    first = ", ".join(APPLIES_TO["first_omega0"])
    p.add_argument("signal", nargs="?", default=d(None),
                   help="image, WAV, video (MP4/GIF/…) or volume (.npy/.npz) file, or a folder with --kind; or a "
                        "shape: a mesh (.obj/.ply/.stl/.off) or an oriented point cloud (.xyz, .ply with normals) "
                        "(default: bundled cameraman)")
    p.add_argument("--model", default=d("siren"), help="one of " + ", ".join(SIGNAL_MODELS) + " (see below)")
    p.add_argument("--steps", type=_positive(int, "--steps"), default=d(500), help="optimizer steps")
    p.add_argument("--seeds", type=_positive(int, "--seeds"), default=d(1), help="seeds per setting (vmapped)")
    p.add_argument("--lr", type=num(float, "--lr"), default=d(None),
                   help=f"learning rate{lst} (default: per model: {lrs})")
    p.add_argument("--omega0", type=num(float, "--omega0"), default=d(None),
                   help=f"hidden ω0 (TUNER: ω_G){lst} (default: {OMEGA0:g}; {other_omega0}; not for {no_omega0})")
    scaled = ", ".join(f"{n} {SIGNAL_MODELS[n].scale:g}" for n in APPLIES_TO["scale"])
    p.add_argument("--scale", type=num(float, "--scale"), default=d(None),
                   help=f"Gauss's s, WIRE's s0{lst} (default: {scaled}; those models only)")
    p.add_argument("--first-omega0", type=_positive(float, "--first-omega0"), default=d(None),
                   help=f"first-layer ω0 (default: {siren.first_omega0:g}, SIREN on audio {siren.audio_first_omega0:g}; "
                        f"{first} only)")
    p.add_argument("--width", type=_positive(int, "--width"), default=d(None),
                   help=f"hidden width (default: {siren.width}; TUNER {tuner.width} or as many frequencies as fit)")
    p.add_argument("--depth", type=_positive(int, "--depth"), default=d(None),
                   help=f"hidden sine layers (default: {siren.depth}; TUNER {tuner.depth})")
    p.add_argument("--bandlimit", type=_bandlimit, default=d(None), help=BANDLIMIT_HELP)
    p.add_argument("--learned-bounds", action="store_true", default=d(False), help="TUNER with learned bounds")
    p.add_argument("--resize", type=_size, default=d(None), help="H,W (images; default: as loaded)")
    p.add_argument("--crop", type=_size, default=d(None), help="centre crop H,W before resizing (images)")
    p.add_argument("--max-samples", type=_positive(int, "--max-samples"), default=d(None),
                   help="first N samples (audio)")
    p.add_argument("--frames", type=_frames, default=d(None),
                   help="START:STOP[:STEP] frames of a video (Python slice; default: all)")
    p.add_argument("--kind", choices=SIGNAL_KINDS, default=d(None),
                   help="what a folder (or a .npy) holds: video frames or volume slices (default: by suffix; "
                        ".npy/.npz are volumes, a folder must say)")
    p.add_argument("--task", choices=SHAPE_TASKS, default=d(None),
                   help="shapes: fit a signed distance (SIREN's SDF loss on surface points with normals) or "
                        "occupancy logits (watertight meshes) (default: sdf)")
    p.add_argument("--resolution", type=_positive(int, "--resolution"), default=d(None),
                   help="shapes: marching-cubes grid N³ over [-1,1]³ for the reconstruction and its metrics; also "
                        "TUNER's bandlimit N // 6 per axis (default: 128)")
    p.add_argument("--samples", type=_positive(int, "--samples"), default=d(None),
                   help="shapes: training points sampled from the mesh (surface points with normals for sdf, "
                        "labelled points for occupancy; a point cloud is used as it is) (default: 100000)")
    p.add_argument("--batch-size", type=_batch_size, default=d(None),
                   help="samples per step (shapes: on-surface points per step, SIREN's 1400 for sdf, 2800 for occupancy), "
                        "or 'auto': the full batch when it needs under a quarter of the "
                        "available memory, else the largest power of two that does (default: full batch for "
                        "images and audio, auto for video and volumes, where minibatches are drawn uniformly "
                        "with replacement each step as in SIREN's video protocol; a full batch that would not "
                        "fit in memory is refused before it starts)")
    p.add_argument("--supervise", choices=SUPERVISIONS, default=d("value"),
                   help="train on the image's values, or only on its gradient (Sobel) or Laplacian (5-point): "
                        "SIREN's Poisson fits, images only; the image is then recovered up to a constant and "
                        "reported after the best constant offset (psnr_offset)")
    p.add_argument("--test-fraction", type=_fraction, default=d(0.0),
                   help="hold out this fraction of pixels/samples (random, seed 0) and report train/test metrics")
    p.add_argument("--chunk", type=_positive(int, "--chunk"), default=d(100),
                   help="steps per compiled scan (checkpoint granularity)")
    p.add_argument("--out", type=Path, default=d(None),
                   help=f"output directory (default: {'runs/sweep-<model>' if sweep else 'runs/<signal>-<model>'}, "
                        "or the next free …-2, -3, …)")
    p.add_argument("--resume", action="store_true", default=d(False),
                   help="continue the run in --out from its last checkpoint (its flags come from the checkpoint; "
                        "from any directory). A larger --steps extends a run, finished or not: the optimizer goes "
                        "on where it stopped and the learning rate is constant (no schedule), so it ends as a run "
                        "started with that --steps; fewer steps than already done is an error")
    p.add_argument("--overwrite", action="store_true", default=d(False),
                   help="replace the run already in --out instead of refusing")
    p.add_argument("--log", type=_loggers, default=d(()),
                   help="metric writers, comma-separated: tensorboard (event files in OUT/tb/), wandb (needs "
                        "pip install wandb); per-member loss/PSNR per chunk and the final metrics (default: none)")
    p.add_argument("--log-every", type=_positive(int, "--log-every"), default=d(None),
                   help="with --log: write the losses every N steps (default: each chunk's last step)")
    p.add_argument("--debug", action="store_true", default=d(False), help="show tracebacks")


def build_parser(defaults: bool = True) -> argparse.ArgumentParser:
    """The ``spectral-inr`` parser; ``defaults=False`` leaves untyped flags out of the result
    (see :func:`given_flags`)."""
    d = (lambda v: v) if defaults else (lambda v: argparse.SUPPRESS)
    parser = _Parser(prog="spectral-inr", description="Fit sinusoidal INRs to audio, images, video, volumes and shapes.",
                     epilog=_models_epilog())
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _common(sub.add_parser("fit", help="fit one model (K seeds vmapped)", epilog=_models_epilog(),
                           description="Fit one model to a signal; --seeds K fits K seeds as one program."),
            sweep=False, d=d)
    _common(sub.add_parser("sweep", help="fit a grid of hyper-parameters × seeds as one program",
                           epilog=_models_epilog(),
                           description="Fit every combination of the listed --lr and --omega0 values × --seeds as "
                                       "one vmapped program; sweep.md/sweep.json rank the settings."),
            sweep=True, d=d)
    demo = sub.add_parser("demo", help="SIREN vs TUNER on the bundled cameraman (re-runnable: replaces its outputs)")
    demo.add_argument("--steps", type=_positive(int, "--steps"), default=d(300), help="optimizer steps")
    demo.add_argument("--size", type=_size, default=d((128, 128)), help="H,W of the resized cameraman")
    demo.add_argument("--out", type=Path, default=d(Path("results/demo")), help="output directory")
    demo.add_argument("--debug", action="store_true", default=d(False), help="show tracebacks")
    return parser


def given_flags(argv: Optional[Sequence[str]]) -> set:
    """The destinations the user typed (not defaulted), e.g. ``{"steps", "out", "resume"}``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    ns = build_parser(defaults=False).parse_args([str(a) for a in argv])
    return set(vars(ns)) - {"command"}


def check_applicable(args) -> None:
    """Reject flags that do nothing for ``--model`` (they would run identical members)."""
    for dest, models in APPLIES_TO.items():
        value = getattr(args, dest, None)
        if value not in (None, False) and args.model not in models:
            flag = "--" + dest.replace("_", "-")
            raise UsageError(f"{flag} does not apply to --model {args.model} (only {', '.join(models)})")
