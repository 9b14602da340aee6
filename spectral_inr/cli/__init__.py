"""``spectral-inr``: fit, sweep and demo from the command line.

    spectral-inr fit [SIGNAL] --model siren --steps 500 --seeds 4 --out runs/x
    spectral-inr fit --resume --out runs/x          # flags come from the checkpoint
    spectral-inr sweep SIGNAL --model siren --lr 1e-4,5e-4 --omega0 20,30 --seeds 4
    spectral-inr demo

Bad input exits with status 1 and one line ``spectral-inr: error: …`` (a traceback
only with ``--debug``).  A failed run removes the output directory it created unless
a checkpoint finished there; Ctrl-C keeps the checkpoints, prints how to resume and
exits 130.  :func:`main` restores every process-wide setting it changes when it
returns; :func:`console_main` (the program) leaves them on until exit.  ``parser``
holds the flags, ``rundir`` the output-directory rules, ``commands`` the commands.
"""
from __future__ import annotations

import contextlib
import logging
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn, Optional

from spectral_inr.cli.commands import COMMANDS, sweep_settings, sweep_table
from spectral_inr.cli.parser import EXIT_ERROR, UsageError, build_parser, given_flags
from spectral_inr.cli.rundir import interrupted_message

EXIT_INTERRUPTED = 130   # 128 + SIGINT, as shells report it


QUIET_LOGGERS = ("absl", "asyncio")


@contextlib.contextmanager
def _quiet(restore: bool = True) -> Iterator[None]:
    """One line per error: orbax/absl background logging, RuntimeWarnings and the exceptions of
    orbax's writer threads and event loops kept off stderr, warnings as ``spectral-inr: warning: …``.

    Every process-wide setting it changes (the two loggers' levels, the warning filters and
    ``warnings.showwarning``, ``threading.excepthook``, ``sys.unraisablehook``) is put back on
    exit, normal or not, unless ``restore`` is false (the program itself: orbax's threads and event
    loops are finalised *after* :func:`main` returns, at interpreter exit)."""
    loggers = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    thread_hook, unraisable_hook = threading.excepthook, sys.unraisablehook
    filters = warnings.catch_warnings()   # saves and restores the filters and ``showwarning``
    filters.__enter__()
    try:
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        # orbax's async writers: an unretrieved task exception ("future: <Task finished …>") is logged by asyncio
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        warnings.showwarning = lambda message, *rest, **kw: print(f"spectral-inr: warning: {message}",
                                                                  file=sys.stderr)
        # a failed checkpoint write can also fail in orbax's writer threads; the main thread reports it
        threading.excepthook = lambda hook_args: None
        # … and their event loops, finalised at exit after a failed write, report "Event loop is closed"
        # through the unraisable-exception hook ("Exception ignored in: …"): the error line stays the last
        sys.unraisablehook = lambda unraisable: None
        yield
    finally:
        if restore:
            sys.unraisablehook, threading.excepthook = unraisable_hook, thread_hook
            filters.__exit__(None, None, None)
            for name, level in loggers.items():
                logging.getLogger(name).setLevel(level)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command; the exit status.  Safe to call in-process (tests, notebooks): the
    process-wide settings it quietens stderr with are restored when it returns or raises."""
    return _main(argv, restore=True)


def console_main() -> NoReturn:
    """The ``spectral-inr`` program (and ``python -m spectral_inr``): :func:`main`, with the quiet
    settings left on until the process exits (see :func:`_quiet`)."""
    sys.exit(_main(None, restore=False))


def _main(argv: Optional[Sequence[str]], restore: bool) -> int:
    args = build_parser().parse_args(None if argv is None else [str(a) for a in argv])
    given = given_flags(argv)
    with contextlib.nullcontext() if args.debug else _quiet(restore):
        return _run(args, given)


def _run(args, given) -> int:
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


__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "build_parser", "console_main", "main", "sweep_settings", "sweep_table"]
