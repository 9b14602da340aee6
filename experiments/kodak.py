"""exp-kodak: TUNER vs SIREN vs SIREN² vs FINER vs Fourier features on Kodak.

Paper protocol (TUNER poster / official code): 512×512 centre crops, RGB in
[0, 1], a random 95 % / 5 % train/test pixel split, 416 first-layer neurons and
one hidden layer of 416, Adam lr 5e-4 constant, 5000 epochs of 65,536-pixel
batches (one fixed random partition), MSE.  Every method gets the same budget:
two sine layers of 416 (TUNER: 416 frozen integer frequencies + 416 hidden).

Images × seeds are one vmapped member axis per method (``member_targets``), so
each method compiles once.  One pixel split (seed 0) is shared by all images.
"""
from __future__ import annotations

import numpy as np

from experiments import common
from spectral_inr import evaluation, recipes
from spectral_inr.data import load_kodak, train_test_split
from spectral_inr.models import siren2_noise_scales
from spectral_inr.signals import Signal
from spectral_inr.train import sweep

# Published (TUNER, test / train): signal PSNR, gradient PSNR.
PAPER = {"siren": {"psnr_test": 32.9, "gradient_psnr_test": 27.1, "psnr_train": 34.0, "gradient_psnr_train": 27.7},
         "tuner": {"psnr_test": 33.4, "gradient_psnr_test": 28.4, "psnr_train": 34.3, "gradient_psnr_train": 28.9},
         "bacon": {"psnr_test": 25.4, "gradient_psnr_test": 22.3}}

PROFILES = {
    # quick: this 2-core CPU. Reduced: 4 images, the 512 centre crop downsampled to 128×128,
    # width 128 (TUNER: 128 frequencies, bandlimit 128//6 = 21), full batch, 300 steps, 2 seeds.
    # Width scales with resolution: the 416-416 net has ~175k parameters, sized for 512² images
    # (249k training pixels); at 128² (15.6k pixels) it interpolates the training pixels and
    # fails on the held-out ones (measured at 64²: train 126 dB, test 6 dB).
    "quick": dict(images=[1, 5, 13, 23], crop=512, resize=128, width=128, steps=300, batch=None, seeds=2, chunk=100),
    # paper: the published protocol (meant for a GPU): 24 images, 512×512, width 416,
    # 5000 epochs × ceil(0.95·512²/65536) = 4 batches = 20,000 steps, 3 seeds.
    "paper": dict(images=list(range(1, 25)), crop=512, resize=None, width=416, steps=20000, batch=65536, seeds=3,
                  chunk=500),
}
METHODS = {  # name: (model, extra model kwargs)
    "siren": ("siren", {}),
    "tuner": ("tuner", {}),
    "tuner-learned": ("tuner", {"learned_bounds": True}),
    "siren2": ("siren2", {}),
    "finer": ("finer", {}),
    "ffn": ("ffn", {}),
}
LR = 5e-4
METRICS = ("psnr_train", "psnr_test", "gradient_psnr_train", "gradient_psnr_test", "ssim")


def load_images(cfg, root):
    out = []
    for i in cfg["images"]:
        resize = (cfg["resize"],) * 2 if cfg["resize"] else None
        img = load_kodak(i, data_dir=root / "kodak", crop=(cfg["crop"],) * 2, resize=resize)
        out.append(Signal("image", img.astype(np.float32), f"kodim{i:02d}"))
    return out


def run_method(method, cfg, images, split):
    model, extra = METHODS[method]
    width = cfg["width"]
    tuner = model == "tuner"
    kwargs = dict(width=width, depth=1 if tuner else 2, **extra)
    if model == "ffn":
        kwargs = dict(width=width, depth=1)
    fitter = recipes.fitter(model, images[0], batch_size=cfg["batch"], **kwargs)
    members, targets, signals = [], [], []
    train_idx, _ = split
    for img_index, img in zip(cfg["images"], images):
        extra_hp = {}
        if model == "siren2":
            s0, s1 = siren2_noise_scales(img.values, "image")
            extra_hp = {"s0": s0, "s1": s1}
        for seed in range(cfg["seeds"]):
            members.append({"lr": LR, "omega0": 30.0, "seed": seed, "image": img_index, **extra_hp})
            targets.append(img.targets()[train_idx])
            signals.append(img)
    coords = images[0].coords()[train_idx]
    result = sweep(fitter, coords, np.stack(targets), members, cfg["steps"], chunk=cfg["chunk"], member_targets=True)
    scores = evaluation.evaluate(fitter, result, signals, split=split)
    preds = scores.pop("_predictions")
    return result, scores, preds


def main(argv=None):
    args = common.parse_args(__doc__.splitlines()[0], argv)
    cfg = PROFILES[args.profile]
    images = load_images(cfg, common.data_root(args.data))
    h, w = images[0].shape
    split = train_test_split(h * w, test_fraction=0.05, seed=0)
    per_method, previews = {}, {}
    with common.Timer() as total:
        for method in METHODS:
            with common.Timer() as t:
                result, scores, preds = run_method(method, cfg, images, split)
            per_method[method] = {"members": result.members, "seconds": t.seconds,
                                  "diverged": result.diverged,
                                  **{k: v for k, v in scores.items() if k in METRICS + ("best_psnr",)}}
            previews[method] = preds[0]
            print(f"{method}: " + ", ".join(f"{k} {common.mean_std(scores[k])}" for k in METRICS) + f" ({t.seconds:.0f} s)")
    payload = {"config": cfg, "methods": per_method, "paper": PAPER, "seconds": total.seconds}
    common.write_results("kodak", args.profile, payload, markdown(cfg, per_method, args.profile),
                         {"reconstructions": figure(images[0], previews)}, out=args.out)


def markdown(cfg, per_method, profile):
    rows = []
    for method, r in per_method.items():
        paper = PAPER.get(method, {})
        rows.append([method] + [common.mean_std(r[k]) for k in METRICS]
                    + [f"{paper['psnr_test']} / {paper['gradient_psnr_test']}" if paper else "—", f"{r['seconds']:.0f}"])
    rows.append(["bacon (paper only)"] + ["—"] * len(METRICS) + ["25.4 / 22.3", "—"])
    per_image = []
    for method, r in per_method.items():
        imgs = [m["image"] for m in r["members"]]
        for i in sorted(set(imgs)):
            sel = [j for j, v in enumerate(imgs) if v == i]
            per_image.append([method, f"kodim{i:02d}"] + [common.mean_std(np.asarray(r[k])[sel]) for k in METRICS])
    res = f"{cfg['resize']}×{cfg['resize']} (from {cfg['crop']} crops)" if cfg["resize"] else f"{cfg['crop']}×{cfg['crop']}"
    text = (f"# exp-kodak ({profile})\n\n{len(cfg['images'])} Kodak images at {res}, 95/5 train/test pixels, "
            f"width {cfg['width']}, {cfg['steps']} steps, batch {cfg['batch'] or 'full'}, Adam lr {LR}, "
            f"{cfg['seeds']} seeds (mean ± std over images × seeds).\n\n"
            + common.markdown_table(["method", "PSNR train", "PSNR test", "grad PSNR train", "grad PSNR test", "SSIM",
                                     "paper test PSNR / grad PSNR", "seconds"], rows)
            + "\n## Per image\n\n"
            + common.markdown_table(["method", "image"] + list(METRICS), per_image))
    return text


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
    main()
