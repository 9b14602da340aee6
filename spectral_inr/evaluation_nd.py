"""Evaluate a sweep on a video or a volume in bounded memory: predictions slab by slab.

A clip of K members is never predicted at once.  :func:`predict_slabs` cuts the
grid into slabs of whole frames (video) or axis-0 slices (volume), each holding
at most ``max_values`` predicted floats for all members, and
:func:`evaluate_nd` (reached through :func:`spectral_inr.evaluation.evaluate`)
folds every slab into per-frame statistics before predicting the next one:

* video ``(T, H, W, C)``: ``psnr`` over the whole clip (pooled MSE, predictions
  clipped to [0, 1]); ``ssim``, the mean of the per-frame SSIMs (omitted, as
  for images, when a frame side is under 11 px); ``gradient_psnr``, the mean
  over frames of each frame's gradient PSNR (the network's gradient w.r.t.
  (y, x) of its gray output at that frame's time vs the Sobel magnitude of the
  target frame, :func:`metrics.gradient_psnr`'s "ours" convention);
  ``best_psnr`` as for images; per-frame curves under ``"_curves"``:
  ``psnr_per_frame``, ``ssim_per_frame``, ``gradient_psnr_per_frame`` (K × T).
* volume ``(D, H, W, C)``: ``psnr`` over the volume (pooled), ``ssim`` (the
  mean 2-D SSIM of the axial, axis-0 slices, if they are ≥ 11 px a side) and
  ``best_psnr``; curves ``psnr_per_slice``, ``ssim_per_slice`` (K × D).
* with a train/test split (flat sample indices, as for images): ``psnr_train``
  / ``psnr_test`` (pooled over each subset) replace ``psnr``, and for video
  ``gradient_psnr_train`` / ``_test`` (per-frame masked gradient PSNR, averaged
  over the frames holding samples of that subset) replace ``gradient_psnr``;
  SSIM and the curves use whole frames.

No ``"_predictions"`` are returned; :func:`reconstruct` rebuilds one member's
clip for figures and files.

Memory.  One slab at a time: its predictions for all members (float32, at most
``4·max_values`` bytes, 64 MiB at the default 2**24; about twice that while
``Fitter.predict``'s chunked output is reassembled), its coordinates (12 bytes a
grid point) and target frames, the predict's activations (per member at most
:data:`PREDICT_CHUNK` = 65,536 points × width × 4 bytes each), the gradient
pass's chunks (4,096 points per member), one frame of all members in float64 and
the K × T metric arrays.  Measured with ``python -m benchmarks.evaluation_memory
--shape 96,128,128 --settings 16,20,22,24,26`` (CPU, jax 0.10.2; a SIREN 3 × 64,
K = 4 members on a random 96 × 128 × 128 × 3 clip: 18.9 M predicted floats,
72 MiB at once), the peak resident-memory rise of an evaluation (compiled
programs already held):

==========  ===============  ====================
max_values  frames per slab  peak rise (MiB)
==========  ===============  ====================
2**16       1                62
2**20       5                104
2**22       20               185
2**24       48               238
2**26       96 (whole clip)  225
==========  ===============  ====================

At this size the predict's activations (64 MiB an array at 65,536 points × 4
members × width 64) dominate, so the whole clip costs about what a default slab
does; what slabs bound is the growth with the clip: a 300 × 512 × 512 × 3 clip
of 4 members is 3.5 GiB of predictions at once, 64 MiB a slab.
"""
from __future__ import annotations

import functools
import weakref
from collections.abc import Iterator, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from spectral_inr import metrics
from spectral_inr.signals import Signal
from spectral_inr.train import Fitter, SweepResult

#: the most predicted float32 values (all members together) one slab holds: 64 MiB
DEFAULT_MAX_VALUES = 1 << 24

#: the most points per member one predict call of a slab runs at once (``Fitter.predict``'s default chunk)
PREDICT_CHUNK = 65536

_COMPILED: weakref.WeakKeyDictionary[Fitter, dict] = weakref.WeakKeyDictionary()


def slab_length(signal: Signal, members: int, max_values: int = DEFAULT_MAX_VALUES) -> int:
    """Frames (axis-0 slices) per slab: at least one, at most as many as keep ``members`` predictions under
    ``max_values`` floats, and balanced (the fewest slabs of that size, shortened to share the frames evenly) so
    that padding the last slab costs less than a frame per slab."""
    per_frame = members * int(np.prod(signal.shape[1:], dtype=np.int64)) * signal.channels
    n = signal.shape[0]
    most = max(1, min(n, max_values // max(per_frame, 1)))
    return int(-(-n // -(-n // most)))


def _hp(result: SweepResult) -> dict:
    from spectral_inr.evaluation import _hp as stacked_hp

    return stacked_hp(result)


def _predict_fn(fitter: Fitter):
    """``(params, model_state, hp, *axes) -> (K, *slab shape, C)``: the jitted, member-vmapped predict of a slab
    whose grid is built on the device from its per-axis coordinates (one compile per slab shape)."""
    cache = _COMPILED.setdefault(fitter, {})
    if "predict" not in cache:
        def run(params, model_state, hp, *axes):
            coords = jnp.stack(jnp.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
            n = coords.shape[0]   # chunks of ≤ PREDICT_CHUNK points, as even as can be (little padding)
            chunk = -(-n // -(-n // PREDICT_CHUNK))
            out = jax.vmap(lambda p, ms, h: fitter.predict(p, ms, h, coords, chunk))(params, model_state, hp)
            return out.reshape(out.shape[:1] + tuple(a.shape[0] for a in axes) + out.shape[-1:])

        cache["predict"] = jax.jit(run)
    return cache["predict"]


def _axes(signal: Signal) -> list:
    """Per-axis coordinates, float32, exactly as :func:`coordinate_grid` computes them (float64 linspace, cast)."""
    return [np.linspace(-1.0, 1.0, n).astype(np.float32) for n in signal.shape]


def _frame_index(start: int, s: int, n: int) -> np.ndarray:
    """Frames ``start … start + s − 1``, the ones past the end repeating the last (a padded slab)."""
    return np.minimum(np.arange(start, start + s), n - 1)


def _members(result: SweepResult, params, member: int | None):
    """``(params, model_state, hp)`` of all members, or of ``member`` alone (a member axis of 1), on the device."""
    params = result.state.params if params is None else params
    trees = (params, result.state.model_state, _hp(result))
    if member is not None:
        if not 0 <= member < len(result.members):
            raise IndexError(f"member {member} out of range for a sweep of {len(result.members)}")
        trees = jax.tree_util.tree_map(lambda a: np.asarray(a)[member:member + 1], trees)
    return jax.device_put(trees)


def _device_slabs(fitter: Fitter, trees, signal: Signal, max_values: int) -> Iterator[tuple[int, int, jax.Array]]:
    """``(start, frames, preds)``: ``preds`` on the device, ``(K, s, …, C)`` for every slab of ``s`` frames of the
    members in ``trees`` (:func:`_members`); the last slab is padded to ``s`` (repeating the last frame), ``frames``
    says how many are real."""
    s = slab_length(signal, np.shape(jax.tree_util.tree_leaves(trees)[0])[0], max_values)
    n = signal.shape[0]
    axes = _axes(signal)
    predict = _predict_fn(fitter)
    for start in range(0, n, s):
        yield start, min(s, n - start), predict(*trees, axes[0][_frame_index(start, s, n)], *axes[1:])


def predict_slabs(fitter: Fitter, result: SweepResult, signal: Signal, params=None, member: int | None = None,
                  max_values: int = DEFAULT_MAX_VALUES) -> Iterator[tuple[int, np.ndarray]]:
    """The members' predictions (unclipped) slab by slab along axis 0: ``(start, preds)``.

    ``preds`` is ``(K, s, H, W, C)`` for frames ``start … start + s − 1``, or ``(s, H, W, C)``
    when one ``member`` is chosen; ``s`` is :func:`slab_length` (``max_values`` predicted
    floats for all members, at least one frame) except in the last, shorter slab, which is
    computed padded so that one program serves every slab.  ``params`` (stacked, as in
    ``result.state.params``) replaces the final parameters.  Works for any signal kind
    (an image's slabs are rows, audio's are samples).
    """
    for start, frames, preds in _device_slabs(fitter, _members(result, params, member), signal, max_values):
        host = np.asarray(preds)[:, :frames]
        yield start, (host[0] if member is not None else host)


def reconstruct(fitter: Fitter, result: SweepResult, signal: Signal, member: int, params=None,
                max_values: int = DEFAULT_MAX_VALUES) -> np.ndarray:
    """Member ``member``'s output on the whole grid, clipped to [0, 1], float32, shaped like ``signal.values``."""
    out = np.empty(signal.values.shape, np.float32)
    for start, preds in predict_slabs(fitter, result, signal, params, member, max_values):
        out[start:start + preds.shape[0]] = np.clip(preds, 0.0, 1.0)
    return out


@functools.partial(jax.jit, static_argnames="per_member")
def _ssim_frames(preds, targets, per_member: bool):
    """``(K, s)``: SSIM of every member's clipped frame against its target frame, one frame at a time
    (the SSIM's filtered intermediates are a few times its input: a frame of all members, not a slab)."""
    def frame(i):
        target = targets[:, i] if per_member else targets[i]
        members = jax.vmap(metrics.ssim, in_axes=(0, 0 if per_member else None))
        return members(jnp.clip(preds[:, i], 0.0, 1.0), target)

    return jax.lax.map(frame, jnp.arange(preds.shape[1])).T


def _gradient_fn(fitter: Fitter, luma, masked: bool, per_member: bool):
    """Jitted ``(params, model_state, hp, t, y, x, targets, masks) -> {suffix: (K, s)}``: every member's gradient
    PSNR of each frame of a video slab, the network differentiated w.r.t. (y, x) at the frame's time ``t``."""
    cache = _COMPILED.setdefault(fitter, {})
    key = ("gradient", luma, masked, per_member)
    if key not in cache:
        tuner = isinstance(luma, tuple)

        def one_member(p, ms, hp, t, y, x, targets, masks):
            model = fitter.model_fn(hp)
            yx = jnp.stack(jnp.meshgrid(y, x, indexing="ij"), axis=-1)

            def frame(args):
                ti, target, mask = args

                def apply(pts):
                    time = jnp.broadcast_to(ti.astype(pts.dtype), pts.shape[:1] + (1,))
                    return model.apply({"params": p, **ms}, jnp.concatenate([time, pts], axis=-1))

                g = metrics.network_gradient(apply, yx, chunk_size=4096, luma=luma)
                ours = g[0] if tuner else g
                if masked:
                    vals = {"_train": metrics.gradient_psnr(ours, target, mask=mask[0]),
                            "_test": metrics.gradient_psnr(ours, target, mask=mask[1])}
                else:
                    vals = {"": metrics.gradient_psnr(ours, target)}
                if tuner:
                    vals["_tuner"] = metrics.gradient_psnr(g[1], target, convention="tuner")
                return vals

            return jax.lax.map(frame, (t, targets, masks))

        cache[key] = jax.jit(jax.vmap(one_member, in_axes=(0, 0, 0, None, None, None, 0 if per_member else None,
                                                            None)))
    return cache[key]


class _SplitMasks:
    """Per-slab boolean masks ``(s, H, W)`` of the train and test samples, from flat indices into the signal."""

    def __init__(self, split, frame_size: int):
        self.sorted = [np.sort(np.asarray(idx, np.int64).ravel()) for idx in split]
        self.frame_size = frame_size

    def slab(self, start: int, s: int, frame_shape) -> np.ndarray:
        """``(2, s, *frame_shape)``: train and test masks of frames ``start … start + s − 1``."""
        lo, hi = start * self.frame_size, (start + s) * self.frame_size
        out = np.zeros((2, s * self.frame_size), bool)
        for row, idx in zip(out, self.sorted):
            row[idx[np.searchsorted(idx, lo):np.searchsorted(idx, hi)] - lo] = True
        return out.reshape((2, s) + tuple(frame_shape))


def evaluate_nd(fitter: Fitter, result: SweepResult, signals: Sequence[Signal], split=None, params=None,
                tuner_metric: bool = False, max_values: int = DEFAULT_MAX_VALUES, per_member: bool = False) -> dict:
    """``{metric: [value per member]}`` and ``"_curves"`` for a video or volume (see the module docstring).

    ``signals``: one signal per member (all on one grid); ``per_member`` says they differ (else the first
    is every member's target).  ``tuner_metric`` adds ``gradient_psnr_tuner`` for video (the mean over frames
    of TUNER's official convention, :func:`metrics.gradient_psnr` ``convention="tuner"``).
    """
    signal = signals[0]
    if signal.kind not in ("video", "volume"):
        raise ValueError(f"evaluate_nd takes a video or a volume, got a {signal.kind} signal")
    k = len(result.members)
    n, frame_shape, c = signal.shape[0], signal.shape[1:], signal.channels
    frame_size = int(np.prod(frame_shape))
    video = signal.kind == "video"
    with_ssim = min(frame_shape) >= 11
    with_gradient = video and min(frame_shape) >= 2
    masks = None if split is None else _SplitMasks(split, frame_size)
    values = [s.values for s in signals] if per_member else [signal.values]

    sse = np.zeros((k, n))                     # per frame: Σ (clip(pred) − target)² over pixels and channels
    subset_sse = np.zeros((2, k))              # train, test
    subset_count = np.zeros(2)
    subset_frames = np.ones((2, n), bool)     # frames holding samples of the subset
    ssim = np.full((k, n), np.nan)
    grads: dict = {}
    trees = _members(result, params, None)
    axes = _axes(signal)
    luma = ("bt601", "bt709") if tuner_metric else "bt601"
    for start, frames, preds in _device_slabs(fitter, trees, signal, max_values):
        s = preds.shape[1]
        index = _frame_index(start, s, n)
        target = np.stack([v[index] for v in values]) if per_member else values[0][index]
        host = np.asarray(preds)
        slab_masks = None if masks is None else masks.slab(start, s, frame_shape)
        if slab_masks is not None:
            slab_masks[:, frames:] = False
            subset_count += slab_masks.reshape(2, -1).sum(1)
            subset_frames[:, start:start + frames] = slab_masks[:, :frames].reshape(2, frames, -1).any(-1)
        for j in range(frames):
            t = (target[:, j] if per_member else target[j]).astype(np.float64)
            err = np.square(np.clip(host[:, j].astype(np.float64), 0.0, 1.0) - t).sum(-1).reshape(k, -1)
            sse[:, start + j] = err.sum(1)
            if slab_masks is not None:
                for i in range(2):
                    subset_sse[i] += err[:, slab_masks[i, j].ravel()].sum(1)
        target_dev = jax.device_put(target)
        if with_ssim:
            ssim[:, start:start + frames] = np.asarray(_ssim_frames(preds, target_dev, per_member))[:, :frames]
        if with_gradient:
            fn = _gradient_fn(fitter, luma, masks is not None, per_member)
            got = fn(*trees, axes[0][index], axes[1], axes[2], target_dev,
                     None if slab_masks is None else np.moveaxis(slab_masks, 0, 1))   # (s, 2, H, W)
            for suffix, v in got.items():
                grads.setdefault(suffix, np.full((k, n), np.nan))[:, start:start + frames] = np.asarray(v)[:, :frames]
        del preds, host

    out: dict = {"best_psnr": [float(metrics.psnr_from_mse(b)) for b in result.state.best_loss]}
    per_frame = metrics.psnr_from_mse(sse / (frame_size * c), floor=0)
    if split is None:
        out["psnr"] = [float(v) for v in metrics.psnr_from_mse(sse.sum(1) / (n * frame_size * c), floor=0)]
    else:
        for i, suffix in enumerate(("_train", "_test")):
            mse = subset_sse[i] / max(subset_count[i] * c, 1) if subset_count[i] else np.full(k, np.nan)
            out[f"psnr{suffix}"] = [float(v) for v in metrics.psnr_from_mse(mse, floor=0)]
    for suffix, per in grads.items():   # a subset's mean: over the frames holding some of its samples
        use = subset_frames[("_train", "_test").index(suffix)] if suffix in ("_train", "_test") else slice(None)
        out["gradient_psnr" + suffix] = [float(v) for v in per[:, use].mean(1)]
    out["ssim"] = [float(v) for v in ssim.mean(1)] if with_ssim else []
    axis = "frame" if video else "slice"
    curves = {f"psnr_per_{axis}": per_frame}
    if with_ssim:
        curves[f"ssim_per_{axis}"] = ssim
    if "" in grads:
        curves["gradient_psnr_per_frame"] = grads[""]
    out["_curves"] = curves
    return out
