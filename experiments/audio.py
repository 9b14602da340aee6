"""exp-audio: SIREN vs SIREN² (both schemes) vs FINER++ and SIREN²'s baselines on audio clips.

The protocol is data: :mod:`spectral_inr.protocols.siren2` (``official``:
SIREN²'s ``learn_audios.py`` — the first 150,000 samples, peak-normalised,
``linspace(−1, 1)`` coordinates, 4 sine layers × 222, Adam 1e-4 ×0.99 every 20
steps, 1000 full-batch steps, waveform PSNR best over training; ``quick``: it
reduced to this CPU).  Rows:

* ``siren``: first ω0 = 3000;
* ``siren2``: the repository's scheme (noise ``S0/ω0`` on the input layer,
  ``S1/ω0`` on the next, from the clip's spectral centroid), first ω0 = 30;
* ``siren2-notebook``: the seed notebook's scheme (std ``S0/100^k`` on the
  hidden→hidden and output kernels, none on the input layer), first ω0 = 3000;
* ``finer++``: first-layer bias U(±5), first ω0 = 3000 capped below the
  grid's Nyquist limit (``AudioFit.finer_omega0``: 1,208 for 10,000 samples);
* ``finer++-repo``: the repository's FINER configuration, first ω0 = 30;
* SIREN²'s baselines (``learn_audios.py``'s commented-out lines and the imported ``SIREN_RFF``, at
  their class defaults): ``gauss`` (s 30), ``wire`` (ω0 = s0 = 10), ``relu-pe`` (7 octaves),
  ``siren-rff`` (σ 30, first ω0 3000).

Clips × seeds form one vmapped member axis per method and clip length.  The reported
PSNR is the full-signal waveform PSNR of each member's lowest-training-loss parameters
(where a method trains on minibatches, the best loss is a minibatch's and can be
above it: it is kept as a second column).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from experiments import common
from experiments.formatting import markdown_table, mean_std
from spectral_inr import evaluation, protocols, recipes
from spectral_inr.data import load_audio
from spectral_inr.metrics import psnr_from_mse
from spectral_inr.report import save_reconstruction
from spectral_inr.signals import Signal
from spectral_inr.train import sweep

METHODS = protocols.SIREN2_AUDIO["official"].methods


def load_clips(p, root):
    if root is None:   # the clips have no download source registered
        raise SystemExit("exp-audio: error: the clips need a data root: --data DIR or SPECTRAL_INR_DATA "
                         "(files DIR/audio/<clip>, e.g. " + p.clips[0] + ")")
    clips = []
    for name in p.clips:
        # peak-normalised over the whole clip first (SIREN² order), then the window
        samples, rate = load_audio(root / "audio" / name, max_samples=p.offset + p.samples)
        clips.append(Signal("audio", samples[p.offset:][:, None], name, rate))
    return clips


def run_method(method, p, clips, wav_dir=None):
    by_length: dict = {}  # clips shorter than p.samples (arch: 136,055) form their own sweep
    for clip in clips:
        by_length.setdefault(clip.shape[0], []).append(clip)
    record = {"members": [], "seconds": 0.0, "diverged": [], "best_psnr": [], "psnr_of_best_params": [],
              "snr": [], "zero_psnr": []}
    losses = []
    for n, group in by_length.items():
        fitter = recipes.siren2.fitter(method, p, n)
        members, targets, signals = [], [], []
        for clip in group:
            scales = recipes.siren2.member_scales(clip.values)
            for seed in range(p.seeds):
                members.append({"lr": p.lr, "seed": seed, **scales})
                targets.append(clip.targets())
                signals.append(clip)
        steps = p.steps * fitter.num_batches(n)
        result = sweep(fitter, group[0].coords(), np.stack(targets), members, steps, chunk=min(100, steps),
                       member_targets=True)
        scores = evaluation.evaluate(fitter, result, signals, params=result.state.best_params)
        preds = scores.pop("_predictions")
        record["members"] += [dict(m, clip=c.path) for m, c in zip(members, signals)]
        record["seconds"] += result.seconds
        record["diverged"] += [(len(record["best_psnr"]) + i, s) for i, s in result.diverged]
        record["best_psnr"] += scores["best_psnr"]
        record["psnr_of_best_params"] += scores["psnr"]
        record["snr"] += scores["snr"]
        # PSNR of predicting silence, 10·log10(1/mean t²): the floor any fit must beat
        record["zero_psnr"] += [float(psnr_from_mse(np.mean(c.values ** 2))) for c in signals]
        losses.append(result.history["loss"])
        if wav_dir is not None:
            for j in range(0, len(members), p.seeds):  # seed 0 of each clip
                name = signals[j].path.replace("/", "_").replace(".wav", "")
                save_reconstruction(wav_dir / f"{name}-{method}.wav", preds[j], "audio", signals[j].sample_rate)
    width = max(len(l[0]) for l in losses)
    curve = np.concatenate([np.pad(l, ((0, 0), (0, width - l.shape[1])), constant_values=np.nan) for l in losses])
    return record, curve


def run(p, data_root=None, out=None, partial=None, args=None):
    """``(payload, arrays)`` for protocol ``p``: per method, every clip × seed; the WAVs of seed 0 go to
    ``out/audio-<profile>/``; ``partial`` writes the results after every method (a long profile interrupted
    keeps the methods that finished); ``--resume`` keeps the methods the saved results already hold (the
    curves figure is then not redrawn)."""
    kept, before = common.kept_methods(args, "audio", p.name, dataclasses.asdict(p)) if args else ({}, 0.0)
    clips = load_clips(p, data_root)
    wav_dir = None
    if out is not None:
        wav_dir = out / f"audio-{p.name}"
        wav_dir.mkdir(parents=True, exist_ok=True)
    per_method, curves = {m: r for m, r in kept.items() if m in p.methods}, {}

    def state():
        payload = {"config": dataclasses.asdict(p), "clips": list(p.clips), "methods": dict(per_method),
                   "complete": len(per_method) == len(p.methods),
                   **({"seconds_before_resume": before} if kept else {})}
        return payload, (None if kept else {"curves": dict(curves)})

    for method in [m for m in p.methods if m not in per_method]:
        per_method[method], curves[method] = run_method(method, p, clips, wav_dir)
        r = per_method[method]
        print(f"{method}: PSNR {mean_std(r['psnr_of_best_params'])} dB ({r['seconds']:.0f} s)", flush=True)
        payload, arrays = state()
        if partial is not None and not payload["complete"]:
            partial(payload, arrays)
    return state()


# --- report (tables from the payload alone) -----------------------------------------------------------------
def markdown(payload: dict) -> str:
    """The headline PSNR is the full-signal waveform PSNR of each member's chosen (lowest-loss) parameters; the
    best training loss's PSNR — a minibatch's, where the protocol trains on minibatches — is a second column."""
    cfg, per_method = payload["config"], payload["methods"]
    methods = [m for m in cfg.get("methods", METHODS) if m in per_method]   # older files: no config.methods
    rows = [[m, mean_std(per_method[m]["psnr_of_best_params"]), mean_std(per_method[m]["best_psnr"]),
             mean_std(per_method[m]["snr"]),
             f"{per_method[m]['seconds']:.0f}"] for m in methods]
    per_clip = []
    for m in methods:
        r = per_method[m]
        for clip in cfg["clips"]:
            sel = [i for i, mem in enumerate(r["members"]) if mem["clip"] == clip]
            per_clip.append([m, clip, mean_std(np.asarray(r["psnr_of_best_params"])[sel]),
                             mean_std(np.asarray(r["best_psnr"])[sel]),
                             mean_std(np.asarray(r["snr"])[sel]), f"{r['zero_psnr'][sel[0]]:.1f}"])
    offset, samples = cfg["offset"], cfg["samples"]
    window = f"samples {offset:,}–{offset + samples:,}" if offset else f"the first {samples:,} samples"
    return (f"# exp-audio ({cfg['name']})\n\nProtocol `spectral_inr.protocols.siren2` `{cfg['name']}`"
            + (f" — reduced: {cfg['reduced']}" if cfg["reduced"] else "") + ".\n\n"
            f"{window[0].upper() + window[1:]} of each clip, {cfg['depth']}×{cfg['width']}, {cfg['steps']} epochs, "
            f"Adam {cfg['lr']} ×{cfg['decay']} every {cfg['decay_every']} steps, {cfg['seeds']} seeds. PSNR = "
            "waveform PSNR (peak 1) on the full window of the lowest-training-loss parameters; 'best training "
            "PSNR' = the PSNR of that lowest training loss (a minibatch's where the method trains on "
            "minibatches); SNR of the same parameters; 'silence PSNR' = the PSNR of predicting zeros, "
            "10·log10(1/mean t²). No published figure is set beside these: the paper's audio table could not "
            "be read here (docs/fidelity.md).\n\n"
            + markdown_table(["method", "PSNR (dB)", "best training PSNR", "SNR (dB)", "seconds"], rows)
            + "\n## Per clip\n\n"
            + markdown_table(["method", "clip", "PSNR", "best training PSNR", "SNR", "silence PSNR"], per_clip)
            + f"\nReconstructed WAVs (seed 0): `results/audio-{cfg['name']}/`.\n")


def figure(curves):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for method, loss in curves.items():
        psnr = psnr_from_mse(loss)
        ax.plot(np.nanmean(psnr, axis=0), label=method)
    ax.set(xlabel="step", ylabel="training PSNR (dB), mean over clips×seeds", title="exp-audio")
    ax.legend()
    return fig


def report(payload: dict, arrays=None):
    """Markdown from the payload; the training-curve figure from the run's ``arrays``."""
    return markdown(payload), ({"curves": figure(arrays["curves"])} if arrays is not None else {})


def main(argv=None):
    return common.main("audio", protocols.SIREN2_AUDIO, run, report, argv, description=__doc__.splitlines()[0],
                       files=True, extra=common.resume_flag)


if __name__ == "__main__":
    main()
