"""``spectral-inr fit shape.obj``: a signed distance (default) or occupancy field from a mesh or an
oriented point cloud, evaluated by marching cubes against the input.

The input, its training points and the evaluation are :mod:`spectral_inr.shapes.fit` (distances in
``metrics.json`` are in its normalised [−1, 1]³ frame; ``normalisation`` gives centre and scale back
to the file's units, in which ``reconstruction.ply`` is written).  ``--task sdf``: SIREN's SDF loss,
``--batch-size`` on-surface points per step (default SIREN's 1400; as many off-surface points are
drawn each step); ``--task occupancy``: BCE on logits, 2800 labelled points per step.
``--resolution``: the marching-cubes grid (and TUNER's bandlimit ``N // 6`` per axis).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

DEFAULT_BATCH = {"sdf": 1400, "occupancy": 2800}
SHAPE_ONLY = ("task", "resolution", "samples")
SIGNAL_ONLY = ("resize", "crop", "max_samples", "frames", "kind")


def check_flags(args, shape: bool) -> None:
    """Flags of the other kind of input are errors (they would be ignored)."""
    from spectral_inr.cli.parser import UsageError

    for dest in (SIGNAL_ONLY if shape else SHAPE_ONLY):
        if getattr(args, dest, None) not in (None, False):
            flag = "--" + dest.replace("_", "-")
            what = "images, audio and video" if shape else "meshes and point clouds (.obj/.ply/.stl/.off/.xyz)"
            raise UsageError(f"{flag} applies to {what} only")
    if shape and getattr(args, "supervise", None) not in (None, "value"):
        raise UsageError("--supervise applies to images only; a shape is fitted through its own loss (--task)")
    if shape and getattr(args, "test_fraction", 0):
        raise UsageError("--test-fraction applies to sampled signals only; a shape is evaluated against its surface")


def run(args, out: Path, members: list, train) -> dict:
    """Load the shape, build the fitter, ``train`` (:func:`spectral_inr.cli.commands._sweep_and_write`)
    and write the outputs."""
    from spectral_inr import recipes, report
    from spectral_inr.evaluation import summarize
    from spectral_inr.shapes import evaluation, figures

    from spectral_inr.shapes.fit import EVAL_SAMPLES, MARGIN, ShapeInput, evaluate_member, field_of

    task = args.task or "sdf"
    shape = ShapeInput(args.signal, task)
    batch = args.batch_size if isinstance(args.batch_size, int) else DEFAULT_BATCH[task]
    resolution = args.resolution or 128
    fitter = recipes.shape.fitter(args.model, task, batch_size=batch, resolution=resolution, width=args.width,
                                  depth=args.depth, first_omega0=args.first_omega0, bandlimit=args.bandlimit,
                                  learned_bounds=args.learned_bounds)
    inputs, targets = shape.training_data(args.samples or 100_000)

    def evaluate(result, params):
        per_member, surfaces = [], []
        for i, member in enumerate(result.members):
            scores, surface = evaluate_member(field_of(fitter, _member(params, i), member), shape, resolution)
            per_member.append(scores)
            surfaces.append(surface)
        scores = {name: [s[name] for s in per_member] for name in per_member[0]}
        return scores, surfaces

    def write(result, params, scores, surfaces, metrics):
        metrics.update({"kind": "shape", "task": task, "resolution": resolution, "eval_samples": EVAL_SAMPLES,
                        "normalisation": {"centre": np.asarray(shape.transform.centre).tolist(),
                                          "scale": float(shape.transform.scale), "margin": MARGIN},
                        "batch_size": batch, "training_points": int(inputs.shape[0])})
        for name, values in scores.items():
            metrics[name] = summarize(values)
        report.save_figure(report.plot_curves(result.history["loss"], result.members,
                                              f"{args.model} on {Path(shape.path).name} ({task})"), out / "curves.png")
        finite = [i for i, v in enumerate(scores["chamfer"]) if np.isfinite(v)]
        if finite:
            best = min(finite, key=lambda i: scores["chamfer"][i])
            vertices, faces = surfaces[best]
            evaluation.write_ply(out / "reconstruction.ply", shape.transform.invert(vertices), faces)
            field = field_of(fitter, _member(params, best), result.members[best])
            figures.plot_sdf_slices(field, out / "slices.png", mesh=(vertices, faces),
                                    title=f"{args.model}, member {best}: {result.members[best]} ({task})")
        return metrics

    return train(fitter, inputs, targets, members, evaluate, write)


def _member(params, i):
    import jax

    return jax.tree_util.tree_map(lambda a: a[i], params)
