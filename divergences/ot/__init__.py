"""Optimal transport solvers behind :func:`divergences.wasserstein`.

One module per method: ``one_d`` (quantile functions), ``gaussian`` (Bures),
``exact`` (auction and network simplex, certified). Each exposes ``applies(p, q, options)`` and
``solve(p, q, *, order, ...)`` returning an :class:`~divergences.OTResult`.
"""
