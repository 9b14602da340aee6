"""exp-poisson end to end at toy size (the bundled cameraman, no data folder): every row trains through
its derivative loss, is scored and reported, and the report from the JSON alone matches; the paper
protocol is SIREN's Poisson scripts."""
from __future__ import annotations

import dataclasses
import json

import numpy as np

from experiments import common
from experiments import poisson as exp
from spectral_inr import protocols
from spectral_inr.train import default_optimizer


def test_paper_protocol_is_sirens_poisson_scripts():
    p = protocols.POISSON["paper"]
    # train_poisson_{grad,lapl}_img.py: Camera at 256², SingleBVPNet 3 hidden + first layer of 256, Adam 1e-4, 10k steps
    assert (p.side, p.width, p.depth, p.lr, p.steps, p.cameraman, p.gray) == (256, 256, 4, 1e-4, 10_000, True, True)
    q = protocols.POISSON["quick"]
    assert q.side == 128 and len(q.kodak) == 2 and q.seeds == 2 and q.reduced
    assert set(q.methods) == {"siren", "tuner", "finer", "siren2", "tuner-free"}


def test_toy_run_reports_every_row_and_the_report_only_matches(tmp_path):
    p = dataclasses.replace(protocols.POISSON["quick"], kodak=(), side=24, width=8, depth=1, tuner_width=8, steps=4,
                            methods=("siren", "tuner", "tuner-free"), supervise=("gradient",))
    payload, arrays = exp.run(p)
    assert payload["complete"] and list(payload["results"]) == ["gradient"]
    for method, r in payload["results"]["gradient"].items():
        assert [m["seed"] for m in r["members"]] == [0, 1], method
        assert all(np.isfinite(r["psnr_offset"])) and np.asarray(r["band_snr"]).shape == (2, 3)
        assert np.asarray(r["error_radial"]).shape == (2, 13)
    assert payload["results"]["gradient"]["tuner"]["n_frequencies"] == 8
    image = next(iter(exp.load(p, None)))
    assert exp.method_fitter(p, "tuner-free", image, "gradient").optimizer_fn is default_optimizer
    assert exp.method_fitter(p, "tuner", image, "gradient").optimizer_fn is not default_optimizer
    md, figs = exp.report(payload, arrays)
    assert "| TUNER, no bounds |" in md and {"curves", "bands", "gradient-reconstructions",
                                             "gradient-tuner-cameraman"} <= set(figs)
    common.write_results("poisson", "toy", dict(payload), md, figs, out=tmp_path)
    saved = json.loads((tmp_path / "poisson-toy.json").read_text())
    md_again, figs_again = exp.report(saved)
    assert md_again == md and set(figs_again) == {"curves", "bands"}
