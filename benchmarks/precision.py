"""TF32 against float32 matmuls: step time and the PSNR a SIREN reaches on an image.

On NVIDIA GPUs since Ampere, XLA runs float32 matmuls as TF32 (10-bit mantissa inputs) unless
asked for full precision; ``jax.default_matmul_precision`` selects ``"tensorfloat32"`` or
``"highest"`` (float32).  A fit near 40 dB wants errors of 1 % of the range, so TF32's
~1e-3 relative rounding could show.  This fits the bundled cameraman (256², resized to
``--side``) with SIREN 3×256 for ``--steps`` steps under each precision and reports the median
step time and the final PSNR.  On CPU both settings run float32 (no TF32 unit): the
numbers then only show that the script runs.

    python -m benchmarks.precision --side 512 --steps 2000 --out results
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

import jax

from spectral_inr import metrics, models, train
from spectral_inr.signals import load_signal

from benchmarks.timing import log, timed

PRECISIONS = ("highest", "tensorfloat32")


def fit_under(precision: str, side: int, steps: int, lr: float) -> dict:
    signal = load_signal(resize=(side, side))
    x, y = signal.coords(), signal.targets()
    model = models.Siren(out_features=y.shape[1], width=256, depth=3)
    fitter = train.Fitter(model_fn=lambda hp: model)
    chunk = min(100, steps)
    with jax.default_matmul_precision(precision):
        train.fit(fitter, x, y, {"lr": lr}, chunk, chunk=chunk, progress=False)      # compile
        result = {}
        wall = timed(lambda: result.setdefault("r", train.fit(fitter, x, y, {"lr": lr}, steps, chunk=chunk,
                                                                   progress=False)))
    r = result["r"]
    pred = np.asarray(fitter.predict(r.member_state(0).params, {}, {}, x))
    psnr = float(metrics.psnr(np.clip(pred, 0, 1), y))
    log(f"precision {precision}: {wall / steps * 1e3:.2f} ms/step, PSNR {psnr:.2f} dB")
    return {"precision": precision, "step_ms": wall / steps * 1e3, "psnr_db": psnr,
            "final_loss": float(r.history["loss"][0, -1])}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m benchmarks.precision")
    p.add_argument("--side", type=int, default=512)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--out", default=None, help="write precision-<backend>.json here")
    a = p.parse_args(argv)
    rows = [fit_under(pr, a.side, a.steps, a.lr) for pr in PRECISIONS]
    report = {"backend": jax.default_backend(), "device": jax.devices()[0].device_kind, "side": a.side,
              "steps": a.steps, "lr": a.lr, "model": "Siren(width=256, depth=3)", "signal": "cameraman",
              "rows": rows, "tf32_psnr_loss_db": rows[0]["psnr_db"] - rows[1]["psnr_db"],
              "tf32_speedup": rows[0]["step_ms"] / rows[1]["step_ms"]}
    print(json.dumps(report, indent=1))
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, f"precision-{jax.default_backend()}.json"), "w") as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == "__main__":
    main()
