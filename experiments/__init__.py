"""Reproductions: thin configs over the library, one module per experiment.

Run as ``make exp-<name> PROFILE=quick|paper`` or
``python -m experiments.<name> --profile quick``.
"""
