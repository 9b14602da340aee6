"""``spectral-inr``: fit, sweep and demo from the command line.

    spectral-inr fit [SIGNAL] --model siren --steps 500 --seeds 4 --out runs/x
    spectral-inr fit --resume --out runs/x          # flags come from the checkpoint
    spectral-inr sweep SIGNAL --model siren --lr 1e-4,5e-4 --omega0 20,30 --seeds 4
    spectral-inr demo

Bad input exits with status 1 and one line ``spectral-inr: error: …`` (a traceback
only with ``--debug``).  A failed run removes the output directory it created unless
a checkpoint finished there; Ctrl-C keeps the checkpoints, prints how to resume and
exits 130.  ``parser`` holds the flags, ``rundir`` the output-directory rules,
``commands`` the commands.
"""
from __future__ import annotations

import logging
import sys
import threading
import warnings
from pathlib import Path
from typing import Optional, Sequence

from spectral_inr.cli.commands import COMMANDS, sweep_settings, sweep_table
from spectral_inr.cli.parser import EXIT_ERROR, UsageError, build_parser, given_flags
from spectral_inr.cli.rundir import interrupted_message

EXIT_INTERRUPTED = 130   # 128 + SIGINT, as shells report it


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(None if argv is None else [str(a) for a in argv])
    given = given_flags(argv)
    if not args.debug:  # one line per error: keep orbax/absl background logging and warnings off stderr
        logging.getLogger("absl").setLevel(logging.CRITICAL + 1)
        # orbax's async writers: an unretrieved task exception ("future: <Task finished …>") is logged by asyncio
        logging.getLogger("asyncio").setLevel(logging.CRITICAL + 1)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        warnings.showwarning = lambda message, *rest, **kw: print(f"spectral-inr: warning: {message}",
                                                                  file=sys.stderr)
        # a failed checkpoint write can also fail in orbax's writer threads; the main thread reports it
        threading.excepthook = lambda hook_args: None
        # … and their event loops, finalised at exit after a failed write, report "Event loop is closed"
        # through the unraisable-exception hook ("Exception ignored in: …"): the error line stays the last
        sys.unraisablehook = lambda unraisable: None
    if args.command != "demo" and args.signal is not None and not Path(args.signal).exists():
        # cheap early check, before importing JAX
        print(f"spectral-inr: error: {args.signal}: no such file", file=sys.stderr)
        return EXIT_ERROR
    from spectral_inr.data import DataError
    from spectral_inr.train import CheckpointError
    try:
        return COMMANDS[args.command](args, given)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"spectral-inr: {interrupted_message(args, getattr(args, 'steps', None))}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (DataError, UsageError, ValueError, CheckpointError, OSError, MemoryError) as e:
        if args.debug:
            raise
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"spectral-inr: error: {msg}", file=sys.stderr)
        return EXIT_ERROR


__all__ = ["main", "build_parser", "sweep_settings", "sweep_table", "EXIT_ERROR", "EXIT_INTERRUPTED"]
