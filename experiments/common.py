"""Shared plumbing for experiments: profile choice, data location, results files, the runner.

An experiment module is three things over a protocol (``spectral_inr/protocols``):
``run(protocol, data_root) -> payload`` (the computation; the payload is JSON-able,
or ``(payload, arrays)`` where figures need arrays the JSON does not keep),
``report(payload, arrays=None) -> (markdown, {name: figure})`` (tables from the
payload alone, figures from what is given), and :func:`main`, which ties them
to the command line.  Every experiment writes ``results/<exp>-<profile>.json``
and ``.md`` (with the device, jax version and wall time) and its figures as
``results/<exp>-<profile>-<figure>.png``; ``--report-only`` rebuilds the ``.md``
(and the figures the JSON holds) from the saved JSON without re-running.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

from spectral_inr.environment import environment

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
PROFILES = ("quick", "paper")


def parse_args(description: str, argv: Optional[Sequence[str]] = None,
               profiles: Sequence[str] = PROFILES, extra=None) -> argparse.Namespace:
    """``--profile``, ``--data``, ``--out``; ``extra(parser)`` adds an experiment's own flags."""
    p = argparse.ArgumentParser(description=description)
    if extra is not None:
        extra(p)
    p.add_argument("--profile", choices=tuple(profiles), default=os.environ.get("PROFILE", "quick"))
    p.add_argument("--data", type=Path, default=None, help="data root (default: $SPECTRAL_INR_DATA)")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--report-only", action="store_true",
                   help="rebuild the .md (and the figures the JSON holds) from the saved results JSON; no run")
    return p.parse_args(argv)


def data_root(arg: Optional[Path]) -> Optional[Path]:
    """The folder holding ``kodak/``, ``mnist/``, ``audio/``: ``--data``, then ``$SPECTRAL_INR_DATA``;
    ``None`` if neither is set — the library's loaders then download (sha256-checked, pooch cache)."""
    root = arg or (Path(os.environ["SPECTRAL_INR_DATA"]) if os.environ.get("SPECTRAL_INR_DATA") else None)
    if root is not None and not root.is_dir():
        raise SystemExit(f"error: data root {root} is not a directory (--data DIR or SPECTRAL_INR_DATA)")
    return root


def guarded(name: str, main) -> None:
    """Run ``main()``; a data error (missing or corrupt file, failed download) is one line and exit 1."""
    from spectral_inr.data import DataError

    try:
        main()
    except DataError as e:
        raise SystemExit(f"exp-{name}: error: {str(e).splitlines()[0]}") from None


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def write_results(name: str, profile: str, payload: dict, markdown: str, figures: Optional[dict] = None,
                  out: Path = RESULTS) -> Path:
    """Write the JSON, the Markdown (with an environment footer) and the figures."""
    from spectral_inr import report

    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{profile}"
    env = environment()
    payload = {"experiment": name, "profile": profile, "environment": env, **payload}
    report.write_json(out / f"{stem}.json", payload)
    return write_markdown(name, profile, payload, markdown, figures, out)


def write_markdown(name: str, profile: str, payload: dict, markdown: str, figures: Optional[dict] = None,
                   out: Path = RESULTS) -> Path:
    """Write the Markdown with a footer from ``payload["environment"]`` (the run's), and the figures."""
    from spectral_inr import report

    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{profile}"
    env = payload.get("environment") or environment()
    footer = (f"\n_Device: {env['device']} ×{env['device_count']}, jax {env['jax']}, "
              f"Python {env['python']}, {env['cpus']} CPUs" + (f" ({env['cpu_model']})" if env.get("cpu_model") else "")
              + ". "
              f"Wall time: {payload.get('seconds', float('nan')):.0f} s._\n")
    (out / f"{stem}.md").write_text(markdown + footer)
    for fig_name, fig in (figures or {}).items():
        report.save_figure(fig, out / f"{stem}-{fig_name}.png")
    return out / f"{stem}.md"


def resume_flag(parser) -> None:
    """``--resume`` for an experiment whose methods run one after another (see :func:`kept_methods`)."""
    parser.add_argument("--resume", action="store_true",
                        help="keep the methods the results JSON of this profile already holds (same protocol) and "
                             "run only the others; figures drawn from run arrays keep their earlier version")


def kept_methods(args, name: str, profile: str, config: dict, ignore: Sequence[str] = ("methods",)):
    """``--resume``: ``(records, seconds)`` of the methods in ``<out>/<name>-<profile>.json``, in run order —
    ``({}, 0.0)`` without ``--resume`` or a file.  Refused (exit with one line) when the file ran under
    another protocol; a field the file lacks is newer than it (no kept method read it), and ``ignore``'d
    fields (the method list) may differ."""
    saved = args.out / f"{name}-{profile}.json"
    if not getattr(args, "resume", False) or not saved.exists():
        return {}, 0.0
    old = json.loads(saved.read_text())
    now = json.loads(json.dumps(config))
    if any(now.get(k, v) != v for k, v in old["config"].items() if k not in ignore):
        raise SystemExit(f"exp-{name}: --resume: {saved} was run under another protocol; move it away or drop "
                         "--resume")
    order = old.get("method_order") or list(old["methods"])
    return {m: old["methods"][m] for m in order if m in old["methods"]}, old.get("seconds", 0.0)


def main(name: str, protocols: Mapping[str, object], run: Callable, report: Callable,
         argv: Optional[Sequence[str]] = None, description: str = "", extra=None, files: bool = False) -> dict:
    """``--profile P``: ``run(protocols[P], data_root)``, then ``report(payload, arrays)``, then the results files.

    ``payload["seconds"]`` is set to ``run``'s wall time unless ``run`` set it.  With ``--report-only`` the
    payload is read from ``<out>/<name>-<P>.json`` and only the Markdown and the figures ``report`` can draw
    from it are rewritten.  ``extra(parser)`` adds flags; ``run`` then receives ``args`` as a keyword.
    ``files=True``: ``run`` also receives ``out`` (the results folder, for files beside the results such as
    WAVs) and ``partial(payload, arrays)``, which writes the results so far (a long run interrupted keeps
    what finished).  Returns the payload."""
    args = parse_args(description or f"exp-{name}", argv, profiles=tuple(protocols), extra=extra)
    if args.report_only:
        payload = json.loads((args.out / f"{name}-{args.profile}.json").read_text())
        markdown, figures = report(payload)
        path = write_markdown(name, args.profile, payload, markdown, figures, out=args.out)
        print(f"wrote {path} from the saved JSON")
        return payload

    def write(payload, arrays, seconds):
        payload.setdefault("seconds", seconds + payload.get("seconds_before_resume", 0.0))
        payload.setdefault("experiment", name)
        payload.setdefault("profile", args.profile)
        markdown, figures = report(payload, arrays)
        return markdown, write_results(name, args.profile, payload, markdown, figures, out=args.out)

    def go():
        kw = {"args": args} if extra is not None else {}
        with Timer() as total:
            if files:
                kw.update(out=args.out, partial=lambda payload, arrays=None: write(
                    dict(payload), arrays, time.perf_counter() - total.start))
            result = run(protocols[args.profile], data_root(args.data), **kw)
        payload, arrays = result if isinstance(result, tuple) else (result, None)
        markdown, path = write(payload, arrays, total.seconds)
        print(markdown)
        print(f"wrote {path} ({payload['seconds']:.0f} s)")
        return payload

    out = {}
    guarded(name, lambda: out.update(payload=go()))
    return out.get("payload")
