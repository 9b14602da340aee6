"""exp-sdf: SIREN vs TUNER (3-D lattice) vs FINER fitting the Stanford Bunny's signed distance.

Protocols: :mod:`spectral_inr.protocols.shapes` (``paper``: SIREN's ``train_sdf.py`` for a GPU;
``quick``: minutes on this CPU).  Each method is one vmapped sweep over seeds with SIREN's SDF
loss on surface points with normals sampled from the mesh; each member's zero level set is
extracted by marching cubes and compared with the mesh (:mod:`spectral_inr.shapes.fit`).
TUNER keeps its own one bounded hidden layer, at the width that matches SIREN's parameter count.
"""
from __future__ import annotations

import dataclasses
import os

import jax
import numpy as np

from experiments import common
from experiments.formatting import markdown_table, mean_std, protocol_heading
from spectral_inr import recipes
from spectral_inr.protocols import shapes as protocols
from spectral_inr.protocols.cli import OMEGA0, SIGNAL_MODELS
from spectral_inr.train import sweep

SCALARS = ("chamfer", "normal_consistency", "iou")


def method_fitter(p, method: str):
    """SIREN and FINER at the protocol's width × depth; TUNER at ``tuner_depth`` and the width whose
    parameter count is closest to SIREN's."""
    kw = dict(batch_size=p.batch_size, resolution=p.resolution)
    if method == "tuner":
        target = recipes.shape.parameter_count(recipes.shape.model_fn("siren", width=p.width, depth=p.depth))
        width = recipes.shape.matched_width("tuner", target, depth=p.tuner_depth, resolution=p.resolution)
        return recipes.shape.fitter(method, p.task, width=width, depth=p.tuner_depth, **kw)
    return recipes.shape.fitter(method, p.task, width=p.width, depth=p.depth, **kw)


def rows(p) -> dict:
    """``{row name: (method, lr)}``: every method at its own learning rate (SIREN's 1e-4 for SIREN
    and FINER, TUNER's 5e-4), then the protocol's controls as ``"<method> (lr <lr>)"``."""
    out = {m: (m, SIGNAL_MODELS["tuner"].lr if m == "tuner" else p.lr) for m in p.methods}
    out.update({f"{m} (lr {lr:g})": (m, lr) for m, lr in p.controls})
    return out


def run_method(p, method: str, shape, data, lr: float):
    """One row: ``method`` at ``lr`` trained on ``data = (surface points, normals)``, each member meshed and scored."""
    from spectral_inr.shapes.fit import evaluate_member, field_of

    fitter = method_fitter(p, method)
    inputs, targets = data
    members = [{"lr": lr, "omega0": OMEGA0, "seed": s} for s in range(p.seeds)]
    result = sweep(fitter, inputs, targets, members, p.steps, chunk=min(p.chunk, p.steps))
    scores, surfaces = {}, []
    for i, member in enumerate(result.members):
        params = jax.tree_util.tree_map(lambda a, i=i: a[i], result.state.params)
        s, surface = evaluate_member(field_of(fitter, params, member), shape, p.resolution)
        surfaces.append(surface)
        for k, v in s.items():
            scores.setdefault(k, []).append(float(v))
    record = {"members": result.members, "diverged": result.diverged, "seconds": result.seconds, "lr": lr,
              "loss_every_10": np.asarray(result.history["loss"])[:, ::10].tolist(),
              "parameters": int(sum(np.prod(x.shape[1:]) for x in jax.tree_util.tree_leaves(result.state.params)))}
    record.update(scores)
    if method == "tuner":
        record["n_frequencies"] = len(fitter.model_fn({}).layers[0].frequencies)
    best = int(np.nanargmin(scores["chamfer"])) if np.isfinite(scores["chamfer"]).any() else 0
    return record, surfaces[best]


def run(p, data_root=None, partial=None, out=None):
    """``(payload, arrays)``: every method of ``p`` on its mesh; ``partial`` writes what finished."""
    from spectral_inr.shapes.fit import ShapeInput

    path = os.path.join(data_root or "", p.mesh)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: the mesh is not there (pass --data DIR holding {p.mesh})")
    shape = ShapeInput(path, p.task)
    data = shape.training_data(p.surface_samples)   # the same points for every row
    per_method, surfaces = {}, {}
    todo = rows(p)
    for name, (method, lr) in todo.items():
        per_method[name], surfaces[name] = run_method(p, method, shape, data, lr)
        r = per_method[name]
        print(f"{name}: " + ", ".join(f"{k} {mean_std(r[k], digits=4)}" for k in SCALARS if k in r)
              + f" ({r['seconds']:.0f} s)", flush=True)
        payload = {"config": dataclasses.asdict(p), "mesh": p.mesh,
                   "normalisation": {"centre": np.asarray(shape.transform.centre).tolist(),
                                     "scale": float(shape.transform.scale)},
                   "methods": dict(per_method), "method_order": list(per_method),
                   "complete": len(per_method) == len(todo)}
        arrays = {"surfaces": dict(surfaces)}
        if partial is not None and not payload["complete"]:
            partial(payload, arrays)
    return payload, arrays


def markdown(payload: dict) -> str:
    c = payload["config"]
    methods = {m: payload["methods"][m] for m in payload["method_order"]}
    rows = []
    for m, r in methods.items():
        name = f"tuner ({r['n_frequencies']} frequencies)" if m == "tuner" and "n_frequencies" in r else m
        rows.append([name, mean_std(r["chamfer"], digits=5), mean_std(r["normal_consistency"], digits=4)]
                    + ([mean_std(r["iou"], digits=4)] if "iou" in r else [])
                    + [f"{r['parameters']:,}", f"{r['lr']:g}", f"{r['seconds']:.0f}"])
    cols = ["method", "Chamfer (normalised frame)", "normal consistency"] + (
        ["IoU"] if any("iou" in r for r in methods.values()) else []) + ["parameters", "lr", "seconds"]
    from spectral_inr.shapes.fit import EVAL_SAMPLES

    return (protocol_heading("exp-sdf", "shapes", c) + f": `{payload['mesh']}`, "
            f"task {c['task']}, {c['steps']} steps of {c['batch_size']} surface points (+ as many uniform "
            f"off-surface points) from {c['surface_samples']:,} sampled with normals, {c['seeds']} seed(s). SIREN and "
            f"FINER: {c['depth']} sine layers × {c['width']}; TUNER: {c['tuner_depth']} bounded hidden layer at the "
            f"width matching SIREN's parameter count, bandlimit {c['resolution']} // 6 per axis. Marching cubes at "
            f"{c['resolution']}³; Chamfer distance (mean of the two one-sided mean nearest-neighbour distances) and "
            f"normal consistency against {EVAL_SAMPLES:,} points on each surface, in the [−1, 1]³ frame "
            f"(scale {payload['normalisation']['scale']:.4g} file units per unit). Mean ± std over seeds.\n\n"
            + markdown_table(cols, rows))


def figures(payload: dict, arrays=None) -> dict:
    """Training curves from the payload; renders of each method's surface from ``arrays``."""
    import matplotlib.pyplot as plt

    methods = {m: payload["methods"][m] for m in payload["method_order"]}
    figs = {}
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for m, r in methods.items():
        loss = np.asarray(r["loss_every_10"], np.float64)
        ax.semilogy(np.arange(loss.shape[1]) * 10, np.nanmean(loss, axis=0), label=m)
    ax.set(xlabel="step", ylabel="SDF loss", title="training")
    ax.legend(fontsize=7)
    figs["curves"] = fig
    if arrays is not None:
        surfaces = arrays["surfaces"]
        fig = plt.figure(figsize=(4 * len(surfaces), 4))
        for k, (m, (vertices, faces)) in enumerate(surfaces.items()):
            ax = fig.add_subplot(1, len(surfaces), k + 1, projection="3d")
            if len(faces):
                step = max(1, len(faces) // 20000)
                ax.plot_trisurf(vertices[:, 0], vertices[:, 2], vertices[:, 1], triangles=faces[::step], linewidth=0,
                                antialiased=False, color="0.7")
            ax.set(title=m, xlim=(-1, 1), ylim=(-1, 1), zlim=(-1, 1))
            ax.set_axis_off()
            ax.view_init(elev=15, azim=-60)
        figs["surfaces"] = fig
    return figs


def report(payload: dict, arrays=None):
    return markdown(payload), figures(payload, arrays)


def main(argv=None):
    return common.main("sdf", protocols.SHAPES_SDF, run, report, argv, description=__doc__.splitlines()[0],
                       files=True)


if __name__ == "__main__":
    main()
