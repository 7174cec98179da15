"""Measured bias bounds of the k-NN estimators, by dimension and sample size.

A k-NN estimate's bias is not in its ``stderr``. Each table here holds, per
cell ``(d, n)`` of the calibration grid (d in {1, 2, 5, 10}, n = m in {500,
5,000}; 20 seeds a cell, ``benchmarks/bench_estimators.py``), a bound measured
on the pairs of :mod:`divergences.testing` without heavy tails (mean shift,
scale change, mixture, log-normal, banana; heavy tails are flagged by
:mod:`divergences._tail_index` instead). The estimators record the bound that
applies as ``details["bias_bound"]`` and :meth:`DivergenceResult.interval`
widens the interval by it on both sides.

The KL table (two sample sets) is the largest ``|bias|``: its delete-one
jackknife stderr is conservative. The others are built by
``bench_estimators.py --bounds RAW`` from the per-seed records of a ``--raw``
run: the largest ``|bias| + 1.96 max(0, sd - se)``, the bias plus what the
reported stderr lacks against the spread over seeds, so that
``value +- (1.96 se + bound)`` covers each of those pairs at least as often as
``value +- (1.96 sd + |bias|)`` does. Each entry has a Monte Carlo error of
about 0.005 (n = 5,000) to 0.03 (n = 500).
"""

__all__ = ["KL_BIAS_BOUNDS", "JS_BIAS_BOUNDS", "JS_DENSITY_BIAS_BOUNDS",
           "SAMPLES_DENSITY_BIAS_BOUNDS", "DENSITY_SAMPLES_BIAS_BOUNDS", "bias_bound"]

#: KL, two sample sets, default variant (``"corrected"``, k = 3): the largest |bias|
#: (run of 2026-12-01, README "Bias").
KL_BIAS_BOUNDS = {
    (1, 500): 0.049, (1, 5000): 0.017,
    (2, 500): 0.098, (2, 5000): 0.018,
    (5, 500): 0.046, (5, 5000): 0.029,
    (10, 500): 0.081, (10, 5000): 0.030,
}

#: JS, two sample sets (pooled estimator, k = 3; run of 2026-12-02). Its stderr
#: falls short of the spread over seeds by up to a third (d <= 2), and its bias is
#: large where the laws differ in scale in 10-D (-0.118 at n = 500).
JS_BIAS_BOUNDS = {
    (1, 500): 0.014, (1, 5000): 0.004,
    (2, 500): 0.018, (2, 5000): 0.008,
    (5, 500): 0.035, (5, 5000): 0.007,
    (10, 500): 0.119, (10, 5000): 0.076,
}

#: JS, a sample set and a density, either way round: the pooled estimator on the
#: sample set and as many draws from the density, so the two-sample estimator (its
#: stderr short by 5-25%, README). The larger of the two directions (run of 2026-12-02,
#: ``--kinds js --estimators density``); within each entry's Monte Carlo error of
#: JS_BIAS_BOUNDS, measured on other draws. d = 10: the scale pair sets it (-0.124).
JS_DENSITY_BIAS_BOUNDS = {
    (1, 500): 0.012, (1, 5000): 0.005,
    (2, 500): 0.034, (2, 5000): 0.008,
    (5, 500): 0.050, (5, 5000): 0.008,
    (10, 500): 0.124, (10, 5000): 0.074,
}

#: KL, samples of P against the density of Q, default variant (run of 2026-12-02); at
#: d = 10 the banana pair sets it (-0.134 at n = 5,000), the others are +0.04 to +0.06.
SAMPLES_DENSITY_BIAS_BOUNDS = {
    (1, 500): 0.022, (1, 5000): 0.012,
    (2, 500): 0.057, (2, 5000): 0.012,
    (5, 500): 0.090, (5, 5000): 0.034,
    (10, 500): 0.215, (10, 5000): 0.153,
}

#: KL, the density of P against samples of Q (n = m draws), default variant (same run);
#: at d = 10 the banana pair sets it (+0.23 at n = 500, +0.17 at 5,000).
DENSITY_SAMPLES_BIAS_BOUNDS = {
    (1, 500): 0.073, (1, 5000): 0.031,
    (2, 500): 0.124, (2, 5000): 0.030,
    (5, 500): 0.143, (5, 5000): 0.052,
    (10, 500): 0.280, (10, 5000): 0.177,
}


def bias_bound(d, n, table=KL_BIAS_BOUNDS):
    """The measured bias bound that applies at dimension ``d`` and ``n`` points, or ``None``.

    The bound of ``table``'s cell with the smallest measured dimension ``>= d``
    and the largest measured size ``<= n`` (the bias grows with d and shrinks
    with n: the nearest cell on the pessimistic side). ``None`` beyond the grid
    (``d > 10`` or ``n < 500``), where nothing was measured.

    Examples
    --------
    >>> bias_bound(3, 6000) == KL_BIAS_BOUNDS[(5, 5000)]
    True
    >>> bias_bound(11, 5000) is None
    True
    """
    dims = sorted({cell[0] for cell in table if cell[0] >= d})
    if not dims:
        return None
    sizes = sorted(size for dim, size in table if dim == dims[0] and size <= n)
    return table[(dims[0], sizes[-1])] if sizes else None
