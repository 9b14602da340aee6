"""Reproductions: thin configs over the library, one module per experiment.

Run as ``make exp-<name> PROFILE=…`` or ``python -m experiments.<name> --profile …``;
a profile is a protocol dataclass in :mod:`spectral_inr.protocols`.  Each module is
``run(protocol, data_root) -> payload`` (the computation, JSON-able) and
``report(payload) -> (markdown, figures)`` (tables only: what the numbers mean is
written by hand in ``docs/findings.md``), tied together by :func:`experiments.common.main`;
``--report-only`` rebuilds a results ``.md`` from its saved JSON.  ``exp-dft`` dispatches
to :mod:`experiments.dft_gist` (``paper``) and :mod:`experiments.dft_optimizers`
(``quick``, ``long``); :mod:`experiments.parity` compares against the authors' code.
"""
