"""``fit``, ``sweep`` and ``demo``: load, build, check, train, evaluate, write."""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

from spectral_inr.cli import rundir
from spectral_inr.cli.parser import UsageError, build_parser, check_applicable
from spectral_inr.protocols.cli import OMEGA0, SIGNAL_MODELS


def _per_sample_bytes(fitter, members, coords) -> int:
    """Estimated step bytes per sample for all members (:func:`spectral_inr.train.memory.step_bytes`, a
    value step; a step through the gradient holds ``d + 1`` times its activations, the Laplacian ``2d + 1``)."""
    from spectral_inr.train import field_losses, memory

    hp = {k: float(v) for k, v in members[0].items() if k != "seed"}
    d = coords.shape[1]
    factor = {field_losses.gradient_mse: d + 1, field_losses.laplacian_mse: 2 * d + 1}.get(fitter.field_loss, 1)
    return factor * memory.step_bytes(fitter.model_fn(hp), 1, d, len(members))


def _check_memory(fitter, members, coords, batch_size) -> None:
    """Refuse a full batch that cannot fit in memory (one line naming --batch-size and where the limit
    came from: the device, e.g. ``cuda:0``, the cgroup or the host); warn when it is large."""
    from spectral_inr.train import memory

    if batch_size is not None and batch_size < coords.shape[0]:
        return
    avail = memory.available_bytes()
    if avail is None:
        return
    per_sample = _per_sample_bytes(fitter, members, coords)
    need = per_sample * coords.shape[0]
    if need > memory.PEAK_FRACTION * avail:
        b = memory.largest_batch(per_sample, memory.WARN_FRACTION * avail, coords.shape[0])
        raise MemoryError(f"a full batch of {coords.shape[0]:,} samples × {len(members)} member(s) needs ~{need / 2**30:.1f} "
                          f"GiB, {avail / 2**30:.1f} GiB are available {memory.available().describe()}: "
                          f"pass --batch-size (e.g. --batch-size {b})")
    if need > memory.WARN_FRACTION * avail:
        warnings.warn(f"a full batch of {coords.shape[0]:,} samples needs ~{need / 2**30:.1f} GiB of the "
                      f"{avail / 2**30:.1f} GiB available {memory.available().describe()}; --batch-size makes it "
                      "smaller", UserWarning)


def _auto_batch_size(fitter, members, coords):
    """``--batch-size auto``: ``None`` (full batch) when it needs under ``WARN_FRACTION`` of the available
    memory, else the largest power of two that does (from the shapes, :mod:`spectral_inr.train.memory`)."""
    from spectral_inr.train import memory

    avail = memory.available_bytes()
    per_sample = _per_sample_bytes(fitter, members, coords)
    if avail is None or per_sample * coords.shape[0] <= memory.WARN_FRACTION * avail:
        return None
    return memory.largest_batch(per_sample, memory.WARN_FRACTION * avail, coords.shape[0])


def _evaluation_params(result):
    """Final parameters, except a diverged member's: its best (finite) ones."""
    import jax

    div = np.asarray(result.state.diverged)

    def pick(final, best):
        mask = div.reshape(div.shape + (1,) * (np.ndim(final) - 1))
        return np.where(mask, best, final)

    return jax.tree_util.tree_map(pick, result.state.params, result.state.best_params)


def _progress(args, out: Path):
    """The sweep's bar and the ``--log`` writers (TensorBoard in ``out/tb``, W&B files in ``out/wandb``)."""
    from spectral_inr.train import Progress, TensorBoardWriter, WandbWriter

    writers = []
    try:
        for name in getattr(args, "log", ()):
            writers.append(TensorBoardWriter(out / "tb") if name == "tensorboard" else
                           WandbWriter(project="spectral_inr", name=out.name, dir=str(out)))
    except ImportError as e:
        for w in writers:
            w.close()
        raise UsageError(str(e)) from None
    return Progress(writers=writers, log_every=getattr(args, "log_every", None))


def run(args, given: set, members_axes: dict, label: str, default_out: Path) -> dict:
    """Load, build, sweep, evaluate and write; returns the metrics dict.  A mesh or point cloud
    (:mod:`spectral_inr.cli.shapes`) is fitted as a shape, anything else as a sampled signal."""
    from spectral_inr import recipes
    from spectral_inr.cli import shapes
    from spectral_inr.shapes.fit import is_shape
    from spectral_inr.train import grid

    out, created, replace = rundir.prepare(args, given, default_out)
    shape = is_shape(args.signal)
    (recipes.shape.check_model if shape else recipes.signal.check_model)(args.model)
    axes = members_axes(args)   # after --resume has restored the run's flags
    check_applicable(args)
    shapes.check_flags(args, shape)
    members = grid(seeds=args.seeds, **axes)
    train = lambda *a: _sweep_and_write(args, out, created, replace, label, *a)
    if shape:
        return shapes.run(args, out, members, train)
    return _run_signal(args, out, members, train)


def _run_signal(args, out: Path, members: list, train) -> dict:
    from spectral_inr import evaluation, poisson, recipes, report
    from spectral_inr.data import train_test_split
    from spectral_inr.signals import load_signal

    signal = load_signal(args.signal, resize=args.resize, crop=args.crop, max_samples=args.max_samples,
                         frames=getattr(args, "frames", None), kind=getattr(args, "kind", None))
    many = signal.kind in ("video", "volume")   # 10⁵–10⁸ samples: minibatches drawn uniformly each step
    supervise = getattr(args, "supervise", "value")
    poisson.check_supervision(signal, supervise)
    if supervise != "value" and args.test_fraction > 0:
        raise UsageError(f"--test-fraction applies to --supervise value: a {supervise} fit is scored on the whole image")

    def make_fitter(batch_size):
        return recipes.fitter(args.model, signal, batch_size=batch_size, width=args.width, depth=args.depth,
                              first_omega0=args.first_omega0, bandlimit=args.bandlimit,
                              learned_bounds=args.learned_bounds, shuffle="uniform" if many else "fixed",
                              field_loss=poisson.field_loss(supervise))

    coords, targets = signal.coords(), poisson.targets(signal, supervise)
    split = None
    if args.test_fraction > 0:
        split = train_test_split(coords.shape[0], args.test_fraction, seed=0)
        coords, targets = coords[split[0]], targets[split[0]]
    batch_size = args.batch_size
    if batch_size is None and many:
        batch_size = "auto"
    if batch_size == "auto":
        batch_size = _auto_batch_size(make_fitter(None), members, coords)
        print(f"--batch-size auto: {'full batch' if batch_size is None else batch_size} "
              f"({coords.shape[0]:,} samples)", file=sys.stderr)
    fitter = make_fitter(batch_size)
    _check_memory(fitter, members, coords, batch_size)

    def evaluate(result, params):
        if supervise == "value":
            scores = evaluation.evaluate(fitter, result, signal, split=split, params=params)
        else:   # the recovered image is the prediction + its best constant offset
            scores = poisson.metrics.evaluate(fitter, result, signal, params=params)
        return scores, scores.pop("_predictions", None)   # images and audio; video/volumes go slab by slab

    def write(result, params, scores, preds, metrics):
        metrics.update(_signal_metrics(signal, scores), supervise=supervise)
        report.save_figure(report.plot_curves(result.history["loss"], result.members,
                                              f"{args.model} on {Path(signal.path).name}"), out / "curves.png")
        key = _psnr_key(scores)
        finite = [i for i in range(len(result.members)) if np.isfinite(scores[key][i])
                  and (preds is None or np.isfinite(preds[i]).all())]
        if finite:
            best = max(finite, key=lambda i: scores[key][i])
            pred = preds[best] if preds is not None else evaluation.reconstruct(fitter, result, signal, best, params)
            report.save_figure(report.plot_spectrum(signal.values, pred, signal.kind, signal.sample_rate),
                               out / "spectrum.png")
            if signal.kind != "audio":
                report.save_figure(report.plot_comparison(signal.values, pred, f"{args.model}, member {best}: "
                                                          f"{result.members[best]}", kind=signal.kind),
                                   out / "comparison.png")
            if supervise != "value":
                report.save_figure(poisson.figures.plot_reconstruction(
                    signal.values, preds[best], scores["_jacobian"][best], scores["_laplacian"][best],
                    f"{args.model} from the {supervise}, member {best}: {result.members[best]}",
                    edges=scores["_edges"]), out / "poisson.png")
            suffix = {"audio": ".wav", "image": ".png", "video": ".mp4", "volume": ".npy"}[signal.kind]
            report.save_reconstruction(out / f"reconstruction{suffix}", pred, signal.kind, signal.sample_rate,
                                       frame_rate=signal.frame_rate)
        else:
            warnings.warn("no member has a finite prediction: no reconstruction written", UserWarning)
        return metrics

    return train(fitter, coords, targets, members, evaluate, write)


def _sweep_and_write(args, out: Path, created: bool, replace: bool, label: str, fitter, inputs, targets,
                     members: list, evaluate, write) -> dict:
    """Train every member (checkpoints, progress bar, ``--log`` writers), then
    ``evaluate(result, params) -> (scores, extra)`` and ``write(result, params, scores, extra, metrics)
    -> metrics`` (the outputs), then ``metrics.json``.  A failure removes the output directory only
    if this run created it and no checkpoint finished there."""
    from spectral_inr import report
    from spectral_inr.train import sweep

    if replace:   # every input checked: only now remove the run being replaced
        rundir.clear(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        every = args.chunk * max(1, (args.steps // 10) // args.chunk)
        with _progress(args, out) as progress:
            result = sweep(fitter, inputs, targets, members, args.steps, chunk=args.chunk,
                           checkpoint_dir=out / "checkpoints", checkpoint_every=every, resume=args.resume,
                           config=rundir.config_of(args), progress=progress)
            params = _evaluation_params(result)
            scores, extra = evaluate(result, params)
            progress.finish(result.steps, scores)
        metrics = write(result, params, scores, extra, _run_metrics(args, result, label))
        report.write_json(out / "metrics.json", metrics)
    except BaseException:
        rundir.cleanup_after_failure(out, created)
        raise
    return metrics


def _run_metrics(args, result, label) -> dict:
    """What every ``metrics.json`` holds: the command, the members, the time, divergences, the environment."""
    from spectral_inr.environment import environment

    env = environment()
    return {"command": label, "model": args.model, "signal": args.signal, "steps": result.steps,
            "seconds": round(result.seconds, 3), "members": result.members,
            "diverged": [{"member": i, "step": s} for i, s in result.diverged],
            "device": env["device_kind"], "jax": env["jax"], "environment": env}


def _signal_metrics(signal, scores) -> dict:
    from spectral_inr.evaluation import summarize

    m = {"signal": signal.path, "kind": signal.kind, "shape": list(signal.shape)}
    if signal.kind == "video" and signal.frame_rate:
        m["frame_rate"] = signal.frame_rate
    for name, values in scores.items():
        if name.startswith("_"):
            continue
        if name.startswith("band_"):   # one list per member: the radial bands of a Poisson fit
            m[name] = {"edges": scores["_edges"], "per_seed": values, "mean": np.mean(values, 0).tolist()}
        elif values:
            m[name] = summarize(values)
    for name, curves in scores.get("_curves", {}).items():   # per frame / per slice, one list per member
        m[name] = np.asarray(curves, np.float64).round(4).tolist()
    return m


def _default_lr(model):
    return SIGNAL_MODELS[model].lr


def _axes(args, lists: bool) -> dict:
    """The swept hyper-parameters of ``args`` (one value each unless ``lists``), per-model defaults filled in:
    ``lr``, ``omega0`` (models without one record the shared ω0, unused), and ``scale`` where the model has one."""
    m = SIGNAL_MODELS[args.model]
    one = (lambda v: v) if lists else (lambda v: None if v is None else [v])   # noqa: E731
    axes = {"lr": one(args.lr) or [m.lr], "omega0": one(args.omega0) or [m.omega0 or OMEGA0]}
    if m.scale is not None:
        axes["scale"] = one(args.scale) or [m.scale]
    return axes


def _report_diverged(m: dict) -> None:
    for d in m["diverged"]:
        print(f"member {d['member']} ({m['members'][d['member']]}) diverged at step {d['step']}; "
              "its metrics and outputs use its best parameters before that")


def cmd_fit(args, given: set) -> int:
    axes = lambda a: _axes(a, lists=False)  # noqa: E731
    stem = Path(args.signal).stem if args.signal else "cameraman"
    m = run(args, given, axes, "fit", Path("runs") / f"{stem}-{args.model}")
    parts = [f"{name} {m[name]['mean']:.2f} ± {m[name]['std']:.2f}" for name in
             ("psnr", "psnr_offset", "psnr_train", "psnr_test", "gradient_psnr", "gradient_psnr_train", "gradient_psnr_test",
              "snr", "ssim") if name in m]
    print(f"{m['model']}: " + ", ".join(parts) + f" ({m['seconds']:.1f} s)")
    _report_diverged(m)
    print(f"outputs in {args.out}/")
    return 0


def cmd_sweep(args, given: set) -> int:
    from spectral_inr import report

    axes = lambda a: _axes(a, lists=True)  # noqa: E731
    m = run(args, given, axes, "sweep", Path("runs") / f"sweep-{args.model}")
    settings = sweep_settings(m)
    (args.out / "sweep.md").write_text(sweep_table(settings))
    report.write_json(args.out / "sweep.json", {"model": m["model"], "signal": m["signal"], "steps": m["steps"],
                                                "metric": _psnr_key(m), "settings": settings})
    print(sweep_table(settings), end="")
    _report_diverged(m)
    print(f"outputs in {args.out}/")
    return 0


def sweep_settings(m: dict) -> list[dict]:
    """One entry per hyper-parameter setting (seeds pooled), best mean PSNR first; diverged members
    are left out of the mean and listed with their step."""
    diverged = {d["member"]: d["step"] for d in m["diverged"]}
    key = _psnr_key(m)
    groups: dict = {}
    for i, member in enumerate(m["members"]):
        setting = tuple((k, v) for k, v in sorted(member.items()) if k != "seed")
        groups.setdefault(setting, []).append(i)
    out = []
    for setting, idx in groups.items():
        finite = [m[key]["per_seed"][i] for i in idx if i not in diverged and np.isfinite(m[key]["per_seed"][i])]
        entry = {"hyper": dict(setting), "seeds": [m["members"][i].get("seed") for i in idx],
                 key: {"mean": float(np.mean(finite)) if finite else None,
                       "std": float(np.std(finite)) if finite else None,
                       "per_seed": [m[key]["per_seed"][i] for i in idx]},
                 "diverged": [{"seed": m["members"][i].get("seed"), "step": diverged[i]} for i in idx if i in diverged]}
        for other in ("ssim", "gradient_psnr", "gradient_psnr_test", "psnr_test", "snr"):
            if other in m and other != key:
                vals = [m[other]["per_seed"][i] for i in idx if i not in diverged]
                entry[other] = float(np.mean(vals)) if vals else None
        out.append(entry)
    out.sort(key=lambda e: -np.inf if e[key]["mean"] is None else -e[key]["mean"])
    return out


def sweep_table(settings: list[dict]) -> str:
    """Markdown of :func:`sweep_settings`: one row per setting, best first."""
    key = next(k for k in settings[0] if k.startswith("psnr"))
    names = list(settings[0]["hyper"])
    psnr = "PSNR after the offset" if key == "psnr_offset" else "PSNR"   # a --supervise gradient/laplacian sweep
    lines = ["| " + " | ".join(names) + f" | {psnr} mean ± std (dB) | seeds | diverged |",
             "|" + "---|" * (len(names) + 3)]
    for e in settings:
        s = e[key]
        psnr = f"{s['mean']:.2f} ± {s['std']:.2f}" if s["mean"] is not None else "—"
        steps = [d["step"] for d in e["diverged"]]
        div = f"{len(steps)} (diverged at step {', '.join(map(str, steps))})" if steps else "0"
        lines.append("| " + " | ".join(f"{e['hyper'][n]:g}" for n in names) + f" | {psnr} | {len(e['seeds'])} | {div} |")
    return "\n".join(lines) + "\n"


def _psnr_key(m: dict) -> str:
    """The PSNR that ranks members: of the values, after the offset (derivative fits), or on the train pixels."""
    return next((k for k in ("psnr", "psnr_offset") if k in m), "psnr_train")


DEMO_WIDTH = 128  # two sine layers of 128 for both models: ~pixel count in parameters at 128×128


def demo_width(model: str, size) -> int:
    """128, or for TUNER on a small ``--size`` as many frequencies as fit below its bandlimit."""
    if model != "tuner":
        return DEMO_WIDTH
    from spectral_inr.models import tuner_frequencies
    most = tuner_frequencies.max_sampled_frequencies(tuner_frequencies.default_bandlimit(min(size)))
    return min(DEMO_WIDTH, most) or DEMO_WIDTH


def cmd_demo(args, given: set) -> int:
    rows = []
    for model in ("siren", "tuner"):
        argv = ["fit", "--model", model, "--steps", str(args.steps), "--resize", f"{args.size[0]},{args.size[1]}",
                "--width", str(demo_width(model, args.size)), "--depth", "1" if model == "tuner" else "2",
                "--test-fraction", "0.05",
                "--out", str(args.out / model), "--overwrite"]   # a demo re-run replaces its own outputs
        ns = build_parser().parse_args(argv)
        axes = lambda a, model=model: {"lr": [_default_lr(model)], "omega0": [OMEGA0]}
        rows.append((model, run(ns, {"model", "steps", "resize", "width", "depth", "test_fraction", "out",
                                     "overwrite"}, axes, "demo", args.out / model)))
    print(f"cameraman {args.size[0]}×{args.size[1]}, 95/5 train/test pixels, {args.steps} steps, width {DEMO_WIDTH}")
    print("| model | PSNR train | PSNR test | grad PSNR train | grad PSNR test | SSIM | seconds |")
    print("|---|---|---|---|---|---|---|")
    for model, m in rows:
        vals = [m[k]["mean"] for k in ("psnr_train", "psnr_test", "gradient_psnr_train", "gradient_psnr_test", "ssim")]
        print(f"| {model} | " + " | ".join(f"{v:.2f}" if i < 4 else f"{v:.4f}" for i, v in enumerate(vals))
              + f" | {m['seconds']:.1f} |")
    print(f"outputs in {args.out}/<model>/ (reconstruction.png, metrics.json, curves.png, spectrum.png)")
    return 0


COMMANDS = {"fit": cmd_fit, "sweep": cmd_sweep, "demo": cmd_demo}
