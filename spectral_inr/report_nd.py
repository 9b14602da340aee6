"""Figures and files of a video or volume fit: the clip as MP4/GIF, the volume as ``.npy``, mid-plane
and frame comparisons, and amplitude spectra along each grid axis.

Files are written atomically (temporary file + ``os.replace``), as in :mod:`spectral_inr.report`,
which dispatches video and volumes here (``plot_spectrum``, ``plot_comparison``,
``save_reconstruction``).
"""
from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from spectral_inr.data import DataError
from spectral_inr.data._atomic import atomic_path
from spectral_inr.metrics import psnr_from_mse

#: frames per second of a video written without a frame rate (the signal's file gave none)
DEFAULT_FPS = 25.0

#: the panels of :func:`plot_axis_spectra`: one per grid axis
AXIS_LABELS = {"video": ("temporal (cycles per frame)", "vertical (cycles per pixel)",
                         "horizontal (cycles per pixel)"),
               "volume": ("z (cycles per voxel)", "y (cycles per voxel)", "x (cycles per voxel)")}


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _frames(frames_or_slabs) -> Iterator[np.ndarray]:
    """Single frames ``(H, W)`` or ``(H, W, C)`` from a clip array ``(T, H, W[, C])``, or from an iterable of
    frames, of slabs ``(s, H, W, C)``, or of :func:`~spectral_inr.evaluation_nd.predict_slabs`'s
    ``(start, slab)`` pairs."""
    if isinstance(frames_or_slabs, np.ndarray) or hasattr(frames_or_slabs, "__array__"):
        yield from np.asarray(frames_or_slabs)
        return
    for item in frames_or_slabs:
        if isinstance(item, tuple):
            item = item[1]
        a = np.asarray(item)
        if a.ndim == 4:
            yield from a
        elif a.ndim in (2, 3):
            yield a
        else:
            raise DataError(f"a video frame is (H, W) or (H, W, C) and a slab (s, H, W, C), got shape {a.shape}")


def _to_uint8(frame: np.ndarray, path) -> np.ndarray:
    """``round(255·clip(x, 0, 1))`` (uint8 passes unchanged), one channel as ``(H, W)``."""
    if frame.ndim == 3 and frame.shape[-1] == 1:
        frame = frame[..., 0]
    if not (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[-1] == 3)):
        raise DataError(f"{path}: cannot write a video frame of shape {frame.shape} (need (H, W) or (H, W, 1|3))")
    if frame.dtype == np.uint8:
        return frame
    f = frame.astype(np.float64)
    if not np.all(np.isfinite(f)):
        raise DataError(f"{path}: cannot write a video frame with non-finite values")
    return np.round(np.clip(f, 0.0, 1.0) * 255.0).astype(np.uint8)


def save_video(path, frames_or_slabs: np.ndarray | Iterable, fps: float | None = None,
               quality: float = 8.0) -> Path:
    """Write a clip of values in [0, 1] (or uint8) as H.264 MP4, or as a looping GIF when ``path`` ends in
    ``.gif``, atomically; returns the path.

    ``frames_or_slabs``: a ``(T, H, W[, C])`` array, or any iterable of frames ``(H, W[, C])``, slabs
    ``(s, H, W, C)`` or ``(start, slab)`` pairs (:func:`~spectral_inr.evaluation_nd.predict_slabs`), consumed
    one at a time.  Values are clipped and quantised to ``round(255 x)``; C is 1 (gray) or 3.  ``fps``
    defaults to :data:`DEFAULT_FPS`.

    MP4: libx264 in yuv420p (what every player decodes) at ``quality`` (imageio-ffmpeg's 1–10 scale; 8 is
    CRF 10), streamed to ffmpeg frame by frame.  yuv420p needs even sides: an odd height or width is padded
    by repeating the last row or column, so such a file is one pixel larger on that side.  GIF: Pillow,
    palette per frame (exact for gray clips and frames of ≤ 256 colours); its frames are held in memory
    until the file is written.
    """
    path = Path(path)
    fps = float(fps or DEFAULT_FPS)
    frames = (_to_uint8(f, path) for f in _frames(frames_or_slabs))
    first = next(frames, None)
    if first is None:
        raise DataError(f"{path}: a video needs at least one frame")
    frames = itertools.chain([first], frames)
    if path.suffix.lower() == ".gif":
        import imageio.v3 as iio

        with atomic_path(path, suffix=".gif") as tmp, iio.imopen(tmp, "w", plugin="pillow", extension=".gif") as f:
            for frame in frames:
                _check_size(frame, first, path)
                f.write(frame, duration=1000.0 / fps, loop=0)
        return path
    import imageio_ffmpeg

    h, w = first.shape[:2]
    pad = ((0, h % 2), (0, w % 2)) + ((0, 0),) * (first.ndim - 2)
    with atomic_path(path, suffix=".mp4") as tmp:
        writer = imageio_ffmpeg.write_frames(str(tmp), (w + w % 2, h + h % 2), fps=fps, codec="libx264",
                                             quality=quality, macro_block_size=1,
                                             pix_fmt_in="gray" if first.ndim == 2 else "rgb24",
                                             pix_fmt_out="yuv420p", output_params=["-f", "mp4"])
        with warnings.catch_warnings():   # JAX warns of any fork; this one is subprocess's fork + exec of ffmpeg
            warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
            writer.send(None)   # start ffmpeg
        try:
            for frame in frames:
                _check_size(frame, first, path)
                writer.send(np.ascontiguousarray(np.pad(frame, pad, mode="edge")))
        finally:
            writer.close()
    return path


def _check_size(frame: np.ndarray, first: np.ndarray, path) -> None:
    if frame.shape != first.shape:
        raise DataError(f"{path}: every video frame must have the first one's shape {first.shape}, got {frame.shape}")


def save_volume(path, values: np.ndarray) -> Path:
    """Write ``values`` (e.g. a ``(D, H, W, C)`` reconstruction) as a float32 ``.npy`` file, atomically."""
    path = Path(path)
    with atomic_path(path, suffix=".npy") as tmp, open(tmp, "wb") as f:
        np.save(f, np.asarray(values, np.float32))
    return path


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def _show(ax, image: np.ndarray, title: str, **kwargs):
    """An ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` image in [0, 1] (gray colormap for one channel)."""
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    kwargs = {"cmap": "gray", "vmin": 0, "vmax": 1, **kwargs} if image.ndim == 2 else kwargs
    im = ax.imshow(image, **kwargs)
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    return im


def _error(target: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """``|prediction − target|`` averaged over channels."""
    return np.abs(prediction.astype(np.float64) - target).mean(-1)


def _grid_figure(target_planes, prediction_planes, names, title: str, err_max: float):
    """Rows target / prediction / |error|, one column per plane."""
    cols = len(names)
    fig, axes = plt.subplots(3, cols, figsize=(3.2 * cols, 8.4), squeeze=False)
    for j, (t, p, name) in enumerate(zip(target_planes, prediction_planes, names)):
        _show(axes[0, j], t, f"target, {name}")
        _show(axes[1, j], p, f"prediction, {name}")
        im = _show(axes[2, j], _error(t, p), f"|error|, {name}", cmap="magma", vmin=0, vmax=err_max)
    fig.colorbar(im, ax=list(axes[2]), fraction=0.046)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_video_comparison(target: np.ndarray, prediction: np.ndarray, frames: Sequence[int] | None = None,
                          title: str = ""):
    """Video ``(T, H, W, C)``: target, prediction (clipped to [0, 1]) and |error| (mean over channels) of a few
    frames (default: first, middle, last), one column each; the clip's PSNR in the title."""
    pred = np.clip(prediction, 0.0, 1.0)
    n = target.shape[0]
    frames = sorted(set(frames if frames is not None else (0, n // 2, n - 1)))
    err_max = max(float(_error(target[i], pred[i]).max()) for i in frames) or 1.0
    psnr = float(psnr_from_mse(np.mean((pred.astype(np.float64) - target) ** 2)))
    head = f"{title}: " if title else ""
    return _grid_figure([target[i] for i in frames], [pred[i] for i in frames], [f"frame {i}" for i in frames],
                        f"{head}clip PSNR {psnr:.2f} dB", err_max)


def mid_planes(values: np.ndarray) -> list:
    """The three orthogonal mid-planes of a ``(D, H, W, C)`` volume: axial ``[D/2]`` (H × W), coronal
    ``[:, H/2]`` (D × W), sagittal ``[:, :, W/2]`` (D × H)."""
    d, h, w = values.shape[:3]
    return [values[d // 2], values[:, h // 2], values[:, :, w // 2]]


def plot_volume_slices(target: np.ndarray, prediction: np.ndarray, title: str = ""):
    """Volume ``(D, H, W, C)``: target, prediction (clipped to [0, 1]) and |error| on the axial, coronal and
    sagittal mid-planes; the volume's PSNR in the title."""
    pred = np.clip(prediction, 0.0, 1.0)
    t_planes, p_planes = mid_planes(target), mid_planes(pred)
    err_max = max(float(_error(t, p).max()) for t, p in zip(t_planes, p_planes)) or 1.0
    psnr = float(psnr_from_mse(np.mean((pred.astype(np.float64) - target) ** 2)))
    d, h, w = target.shape[:3]
    names = (f"axial z={d // 2}", f"coronal y={h // 2}", f"sagittal x={w // 2}")
    head = f"{title}: " if title else ""
    return _grid_figure(t_planes, p_planes, names, f"{head}volume PSNR {psnr:.2f} dB", err_max)


def axis_spectra(values: np.ndarray, kind: str, chunk_values: int = 1 << 22) -> list:
    """``[(label, frequency, amplitude)]``, one per grid axis of a video or volume ``(n0, n1, n2, C)``.

    Along axis ``a`` of length ``n``: the one-sided amplitude spectrum ``w_k·|rFFT_a(x)_k| / n`` (``w_k = 2``
    except at DC and Nyquist, so ``A·sin`` on bin ``k`` reads ``A``), averaged over the other grid axes and
    the channels; ``frequency`` in cycles per sample (``k / n``; Nyquist is 0.5), the DC bin left out.  The
    FFT runs on chunks of at most ``chunk_values`` values (float64 temporaries stay bounded).
    """
    values = np.asarray(values)
    if values.ndim != 4:
        raise ValueError(f"axis_spectra takes (n0, n1, n2, C) values, got shape {values.shape}")
    out = []
    for a, label in enumerate(AXIS_LABELS[kind]):
        n = values.shape[a]
        b = 1 if a == 0 else 0                      # chunk along another grid axis
        step = max(1, chunk_values // max(values.size // values.shape[b], 1))
        total = np.zeros(n // 2 + 1)
        for i in range(0, values.shape[b], step):
            part = values[(slice(None),) * b + (slice(i, i + step),)]
            amp = np.abs(np.fft.rfft(part.astype(np.float64), axis=a))
            total += np.moveaxis(amp, a, 0).reshape(n // 2 + 1, -1).sum(1)
        weights = np.full(n // 2 + 1, 2.0)
        weights[0] = 1.0
        if n % 2 == 0:
            weights[-1] = 1.0
        amplitude = total * weights / n / (values.size // n)
        out.append((label, np.fft.rfftfreq(n)[1:], amplitude[1:]))
    return out


def plot_axis_spectra(target: np.ndarray, reconstruction: np.ndarray, kind: str):
    """Target vs reconstruction amplitude spectra along each grid axis (:func:`axis_spectra`), one panel per
    axis, against the fraction of that axis's Nyquist frequency (no DC)."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for values, name in ((target, "target"), (reconstruction, "reconstruction")):
        for ax, (label, f, m) in zip(axes, axis_spectra(values, kind)):
            ax.semilogy(f / 0.5, np.maximum(m, 1e-12), label=name, lw=1)
            ax.set(title=label, xlabel="fraction of Nyquist", xlim=(0, 1))
    axes[0].set_ylabel("amplitude")
    axes[0].legend(fontsize=8)
    fig.suptitle("spectrum along each axis: target vs reconstruction (no DC)", fontsize=10)
    return fig
