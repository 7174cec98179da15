"""Optimal transport solvers behind :func:`divergences.wasserstein`.

One module per method: ``one_d`` (quantile functions), ``gaussian`` (Bures),
``exact`` (network simplex). Each exposes ``applies(p, q, options)`` and
``solve(p, q, *, order, ...)`` returning an :class:`~divergences.OTResult`.
"""
