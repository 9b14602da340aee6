"""exp-kodak: TUNER and its paper's SIREN baseline on Kodak, with extra baselines.

The protocol is data: :mod:`spectral_inr.protocols.tuner` (``official``: what
DianaPat/TUNER runs; ``paper``: the per-column bounds the paper describes;
``quick``: ``official`` reduced to this CPU).  As in the paper's table:

* test columns: a fit on 95 % of the pixels (one random split, seed 0, shared
  by all images), signal PSNR on the 5 % held out, gradient PSNR of that fit
  on the full image (the official convention, ``metrics.gradient_psnr(...,
  convention="tuner")``);
* train columns: a separate fit on all pixels, its PSNR and gradient PSNR.

Our own gradient PSNR (max-normalised, reflect-101 Sobel, no quantisation; on
the test pixels for the split fit) is reported beside it (``…_ours``).

Rows: ``tuner`` (fixed bounds), ``tuner-learned``, ``tuner-siren`` (the paper's
"SIREN" row: ``train_siren.py``), ``bacon`` (the table's third row; TUNER's repository has no BACON
configuration, so BACON's own image run: AMSGrad 5e-3, 4 layers of ``bacon_width``), and — labelled
*extra*, at the same budget
(two sine layers of the protocol width, Adam 5e-4), not their own papers'
protocols — vanilla ``siren`` (ω0 = 30, trainable first layer), ``siren2``
(noise scales from each image), ``finer`` and ``ffn``.

Images × seeds are one vmapped member axis per method (``member_targets``).
"""
from __future__ import annotations

import dataclasses
import json
import time

import numpy as np

from experiments import common
from experiments.formatting import markdown_table, mean_std, protocol_heading
from spectral_inr import evaluation, protocols, recipes
from spectral_inr.data import load_kodak, train_test_split
from spectral_inr.metrics import psnr_from_mse
from spectral_inr.models import siren2_noise_scales
from spectral_inr.protocols.tuner import PAPER_TABLE
from spectral_inr.signals import Signal
from spectral_inr.train import sweep

METHODS = ("tuner", "tuner-learned", "tuner-siren", "bacon", "siren", "siren2", "finer", "ffn")
EXTRA = {"siren", "siren2", "finer", "ffn"}
EXTRA_LR = 5e-4   # extras: the budget of the earlier table (TUNER's lr), not their papers' protocols
METRICS = ("psnr_train", "psnr_test", "gradient_psnr_train", "gradient_psnr_test",
           "gradient_psnr_train_ours", "gradient_psnr_test_ours", "ssim")
CHUNK = 100


def load_images(p, root):
    resize = (p.resize,) * 2 if p.resize else None
    return [Signal("image", load_kodak(i, data_dir=root, crop=(p.crop,) * 2, resize=resize)
                   .astype(np.float32), f"kodim{i:02d}") for i in p.images]


def method_fitter(p, method, image):
    if method in recipes.TUNER_PROTOCOL_METHODS:
        return recipes.tuner_protocol_fitter(p, method, out_features=image.channels)
    if method == "bacon":   # BACON's own image configuration (protocols.tuner: bacon_width, bacon_lr)
        return recipes.fitter("bacon", image, width=p.bacon_width, batch_size=p.batch_size, shuffle=p.shuffle)
    depth = 1 if method == "ffn" else 2
    scale = dict(sigma=p.extra_ffn_sigma) if method == "ffn" else dict(first_omega0=p.extra_first_omega0)
    return recipes.fitter(method, image, width=p.width, depth=depth, batch_size=p.batch_size, shuffle=p.shuffle,
                          **scale)


def fit_all(p, method, fitter, images, idx):
    """One sweep over images × seeds on the pixels ``idx`` (all pixels when None)."""
    members, targets = [], []
    for img_index, img in zip(p.images, images):
        hp = {"omega0": 30.0}
        if method in EXTRA:
            hp["lr"] = EXTRA_LR
        if method == "bacon":
            hp["lr"] = p.bacon_lr
        if method == "siren2":
            hp["s0"], hp["s1"] = siren2_noise_scales(img.values, "image")
        for seed in range(p.seeds):
            members.append({**hp, "seed": seed, "image": img_index})
            t = img.targets()
            targets.append(t if idx is None else t[idx])
    coords = images[0].coords() if idx is None else images[0].coords()[idx]
    steps = p.steps(len(coords))
    result = sweep(fitter, coords, np.stack(targets), members, steps, chunk=min(CHUNK, steps), member_targets=True)
    signals = [img for img in images for _ in range(p.seeds)]
    return result, signals


def run_method(p, method, images, split):
    fitter = method_fitter(p, method, images[0])
    record = {}
    # test columns: the split fit
    result, signals = fit_all(p, method, fitter, images, split[0])
    scores = evaluation.evaluate(fitter, result, signals, split=split, tuner_metric=True)
    preview = scores.pop("_predictions")[0]
    record.update(members=result.members, diverged=result.diverged, seconds=result.seconds,
                  psnr_test=scores["psnr_test"], gradient_psnr_test=scores["gradient_psnr_tuner"],
                  gradient_psnr_test_ours=scores["gradient_psnr_test"], ssim=scores["ssim"],
                  psnr_train_of_split_fit=scores["psnr_train"],
                  loss_every_10=np.asarray(result.history["loss"])[:, ::10].tolist())
    if p.train_metrics == "split":   # reduced runs: the split fit's train side, no train gradient PSNR
        record.update(psnr_train=scores["psnr_train"], gradient_psnr_train=[], gradient_psnr_train_ours=[])
    # train columns: a separate fit on all pixels
    if p.train_metrics == "full-fit":
        full, signals = fit_all(p, method, fitter, images, None)
        s = evaluation.evaluate(fitter, full, signals, tuner_metric=True)
        record.update(psnr_train=s["psnr"], gradient_psnr_train=s["gradient_psnr_tuner"],
                      gradient_psnr_train_ours=s["gradient_psnr"], diverged_full_fit=full.diverged)
        record["seconds"] += full.seconds
    return record, preview


def learned_penalty_ablation(p, images, split, out):
    """``tuner-learned`` with the paper's ``λ·Σ c`` and the official code's ``λ·mean c``."""
    per = {}
    for reduction in ("sum", "mean"):
        q = dataclasses.replace(p, learned_penalty=reduction)
        per[f"tuner-learned ({reduction})"], _ = run_method(q, "tuner-learned", images, split)
    rows = [[name] + [mean_std(r[k]) for k in METRICS[:4]] for name, r in per.items()]
    md = (f"# exp-kodak ({p.name}): learned-bounds penalty\n\nλ = {p.learned_lambda:g}; otherwise the "
          f"`{p.name}` protocol of `results/kodak-{p.name}.md`.\n\n"
          + markdown_table(["penalty", "PSNR train", "PSNR test", "grad PSNR train", "grad PSNR test"], rows))
    seconds = sum(r["seconds"] for r in per.values())
    common.write_results("kodak", f"{p.name}-learned-penalty", {"methods": per, "seconds": seconds}, md, out=out)


def _flags(parser):
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated subset of {','.join(METHODS)}")
    parser.add_argument("--ablation-learned-penalty", action="store_true",
                        help="only tuner-learned, with the sum and the mean penalty")
    common.resume_flag(parser)
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the profile's epochs (a timing probe or a shortened run; recorded in the "
                             "results as a reduction, written as kodak-<profile>-<N>ep)")


def run(p, data_root=None, methods=METHODS, partial=None, kept=None):
    """``(payload, arrays)``: every method in ``methods`` on the protocol's images (``arrays``: the first image
    and each method's reconstruction of it, for the figure); ``partial`` writes the results after every method
    (an interrupted long profile keeps the methods that finished); ``kept``: records of methods already run
    under this protocol (``--resume``), kept as they are."""
    images = load_images(p, data_root)
    h, w = images[0].shape
    split = train_test_split(h * w, test_fraction=p.test_fraction, seed=0)
    per_method, previews = dict(kept or {}), {}
    todo = [m for m in methods if m not in per_method]
    order = list(per_method) + todo

    def state():
        payload = {"config": dataclasses.asdict(p), "methods": dict(per_method), "method_order": list(per_method),
                   "paper": PAPER_TABLE, "complete": len(per_method) == len(order)}
        # resumed: the reconstructions figure would lack the kept methods, so the saved one stays
        return payload, (None if kept else {"target": images[0], "previews": dict(previews)})

    for method in todo:
        per_method[method], previews[method] = run_method(p, method, images, split)
        r = per_method[method]
        print(f"{method}: " + ", ".join(f"{k} {mean_std(r[k])}" for k in METRICS)
              + f" ({r['seconds']:.0f} s)", flush=True)
        payload, arrays = state()
        if partial is not None and not payload["complete"]:
            partial(payload, arrays)
    payload, arrays = state()
    return payload, arrays


def report(payload: dict, arrays=None):
    """Markdown and the training curves from the payload alone; the reconstructions figure from ``arrays``."""
    figs = {"reconstructions": figure(arrays["target"], arrays["previews"])} if arrays is not None else {}
    with_curves = {m: r for m, r in _ordered(payload).items() if "loss_every_10" in r}   # older files: none
    return markdown(payload), {**figs, **({"curves": curves(with_curves)} if with_curves else {})}


def main(argv=None):
    args = common.parse_args(__doc__.splitlines()[0], argv, profiles=tuple(protocols.TUNER_KODAK), extra=_flags)
    methods = [m for m in args.methods.split(",") if m]
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise SystemExit(f"exp-kodak: unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")
    p = protocols.TUNER_KODAK[args.profile]
    name = args.profile
    if args.epochs is not None:
        if args.epochs < 1:
            raise SystemExit("exp-kodak: --epochs must be positive")
        note = f"{args.epochs} epochs instead of {p.epochs}"
        p = dataclasses.replace(p, epochs=args.epochs, reduced=f"{p.reduced}; {note}" if p.reduced else note)
        name = f"{args.profile}-{args.epochs}ep"
    if args.report_only:
        payload = json.loads((args.out / f"kodak-{name}.json").read_text())
        md, figs = report(payload)
        print(f"wrote {common.write_markdown('kodak', name, payload, md, figs, out=args.out)} from the saved JSON")
        return payload

    def go():
        root = common.data_root(args.data)
        if args.ablation_learned_penalty:
            images = load_images(p, root)
            h, w = images[0].shape
            split = train_test_split(h * w, test_fraction=p.test_fraction, seed=0)
            return learned_penalty_ablation(p, images, split, args.out)
        kept, before = common.kept_methods(args, "kodak", name, dataclasses.asdict(p), ignore=())
        with common.Timer() as total:
            def write(payload, arrays, seconds):
                payload = {**payload, "seconds": before + seconds}
                md, figs = report(payload, arrays)
                common.write_results("kodak", name, payload, md, figs, out=args.out)

            payload, arrays = run(p, root, methods, kept=kept,
                                  partial=lambda pl, ar: write(pl, ar, time.perf_counter() - total.start))
        write(payload, arrays, total.seconds)
        return payload

    return go()


def _ordered(payload: dict) -> dict:
    """The methods in the order they ran (the JSON's keys are sorted)."""
    per_method = payload["methods"]
    order = payload.get("method_order") or [m for m in METHODS if m in per_method]
    return {m: per_method[m] for m in order}


def markdown(payload: dict) -> str:
    """Tables from the payload (``config`` = the protocol, ``methods`` = :func:`run_method`'s records)."""
    c, per_method = payload["config"], _ordered(payload)
    rows = []
    for method, r in per_method.items():
        paper = PAPER_TABLE.get(method)
        label = (f"{method} (extra)" if method in EXTRA else
                 f"{method} (its own image config)" if method == "bacon" else method)
        ref = (" / ".join(str(paper.get(k, "—")) for k in ("psnr_train", "psnr_test", "gradient_psnr_train",
                                                            "gradient_psnr_test")) if paper else "—")
        rows.append([label] + [mean_std(r[k]) for k in METRICS] + [ref, f"{r['seconds']:.0f}"])
    if "bacon" not in per_method:
        bacon = PAPER_TABLE["bacon"]
        rows.append(["bacon (paper only)"] + ["—"] * len(METRICS)
                    + [f"— / {bacon['psnr_test']} / — / {bacon['gradient_psnr_test']}", "—"])
    per_image = []
    for method, r in per_method.items():
        imgs = [m["image"] for m in r["members"]]
        for i in sorted(set(imgs)):
            sel = [j for j, v in enumerate(imgs) if v == i]
            per_image.append([method, f"kodim{i:02d}"] + [mean_std(np.asarray(r[k])[sel]) if len(r[k]) else "n/a"
                                                          for k in METRICS[:4]])
    side = c["resize"] or c["crop"]
    res = f"{side}×{side}" + (f" (from {c['crop']}² crops)" if c["resize"] else "")
    bounds = lambda b: tuple(b) if isinstance(b, list) else b  # noqa: E731  (JSON lists read as the tuples run)
    text = (protocol_heading("exp-kodak", "tuner", c) + ".\n\n"
            f"{len(c['images'])} Kodak images at {res}, width {c['width']}, batch {c['batch_size'] or 'full'}, "
            f"{c['epochs']} epochs, {c['seeds']} seeds; TUNER: period {c['period']}, low limit {c['low_limit']}, init "
            f"bounds {bounds(c['init_bounds'])}, clamp bounds {bounds(c['clamp_bounds'])}, Adam {c['lr']}; "
            f"tuner-siren: bandlimit {c['baseline_bandlimit']}, Adam {c['baseline_lr']}. Test = "
            f"{c['test_fraction']:.0%} held-out pixels of a fit on the rest; train = "
            + ("a separate fit on all pixels" if c["train_metrics"] == "full-fit" else "the train side of that fit")
            + ". Gradient PSNR: the official TUNER convention "
            "(full image); `_ours`: our convention (test pixels only for the split fit). Mean ± std over "
            "images × seeds. Paper column: train / test PSNR, train / test gradient PSNR (TUNER's Kodak table, "
            "24 images at 512², 5000 epochs — comparable only to the `official` profile).\n\n"
            + markdown_table(["method", "PSNR train", "PSNR test", "grad PSNR train", "grad PSNR test",
                                     "grad train (ours)", "grad test (ours)", "SSIM", "paper", "seconds"], rows)
            + "\n## Per image\n\n"
            + markdown_table(["method", "image"] + list(METRICS[:4]), per_image))
    return text


def curves(per_method):
    """Training PSNR of the split fit (−10·log10 of the batch loss), mean over members."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for method, r in per_method.items():
        loss = np.asarray(r["loss_every_10"], np.float64)
        ax.plot(np.arange(loss.shape[1]) * 10, np.nanmean(psnr_from_mse(loss), axis=0),
                label=method)
    ax.set(xlabel="step", ylabel="training PSNR (dB)", title="exp-kodak: split fit")
    ax.legend(fontsize=7)
    return fig


def figure(target, previews):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(previews) + 1, figsize=(2.2 * (len(previews) + 1), 2.4))
    axes[0].imshow(np.clip(target.values, 0, 1))
    axes[0].set_title("target", fontsize=8)
    for ax, (name, img) in zip(axes[1:], previews.items()):
        ax.imshow(np.clip(img, 0, 1))
        ax.set_title(name, fontsize=8)
    for ax in axes:
        ax.axis("off")
    return fig


if __name__ == "__main__":
    common.guarded("kodak", main)
