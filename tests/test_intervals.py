"""Intervals of sample estimates: the arithmetic, and their coverage on fixed cells.

The coverage and bias checks run the default estimators on calibration pairs of
divergences.testing with known truths (d = 5, n = m = 5,000, 20 seeds: the cell
where issue 14 asks for |bias| <= 0.03 and coverage >= 90%). Tolerances come
from the number of seeds: the bias is allowed the goal plus three Monte Carlo
standard errors of the mean over seeds, and at least 16 of 20 intervals must
cover (a 95% interval fails that with probability 0.016, a 90% one with 0.043).
"""

import math

import numpy as np
import pytest
from scipy.special import ndtri

import divergences as dv
from divergences.results import DivergenceResult
from divergences.testing import banana, log_normal, mean_shift, mixture, scale_change

SEEDS = 20


def test_interval_is_value_plus_minus_z_stderr_within_the_range():
    r = DivergenceResult(value=0.3, divergence="kl", method="knn", stderr=0.05)
    low, high = r.interval(0.9)
    assert low == pytest.approx(0.3 - float(ndtri(0.95)) * 0.05, rel=1e-15)
    assert high == pytest.approx(0.3 + float(ndtri(0.95)) * 0.05, rel=1e-15)
    assert r.ci == r.interval(0.95)
    near_zero = DivergenceResult(value=0.01, divergence="kl", method="knn", stderr=0.05)
    assert near_zero.ci[0] == 0.0                      # KL >= 0
    top = DivergenceResult(value=0.99, divergence="js", method="knn", unit="bits", stderr=0.05)
    assert top.ci[1] == 1.0                            # JS <= 1 bit
    nats = DivergenceResult(value=0.69, divergence="js_distance", method="knn", stderr=0.2)
    assert nats.ci[1] == math.sqrt(math.log(2.0))
    negative = DivergenceResult(value=-0.01, divergence="sinkhorn", method="sinkhorn",
                                stderr=0.02)
    assert negative.ci[0] < -0.01                      # S_eps may be negative (order > 2)


def test_js_with_a_density_records_its_bias_bound_both_ways():
    from divergences._bias_bounds import JS_DENSITY_BIAS_BOUNDS

    pair = mean_shift(2)
    x, y = pair.sample(600, rng=np.random.default_rng(31))
    for r in (dv.js_divergence(x, pair.q, rng=0), dv.js_divergence(pair.p, y, rng=0)):
        bound = JS_DENSITY_BIAS_BOUNDS[(2, 500)]
        assert r.details["bias_bound"] == bound
        low, high = r.ci
        assert high - low == pytest.approx(2 * (1.959963984540054 * r.stderr + bound))
    assert dv.js_divergence(x[:400], pair.q, rng=0).details["bias_bound"] is None  # n < 500


def test_exact_values_have_a_point_interval_and_unknown_errors_none():
    exact = dv.kl_divergence(dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0))
    assert exact.ci == (0.5, 0.5)
    assert DivergenceResult(value=1.0, divergence="kl", method="x", stderr=None).ci is None
    with pytest.raises(ValueError, match="level"):
        exact.interval(1.0)


@pytest.mark.slow
@pytest.mark.parametrize("build", [mean_shift, scale_change, mixture])
def test_default_kl_from_samples_is_unbiased_and_its_interval_covers(build):
    pair = build(5)
    values, covered = [], 0
    for seed in range(SEEDS):
        x, y = pair.sample(5000, rng=np.random.default_rng([5, 5000, seed]))
        result = dv.kl_divergence(x, y)
        low, high = result.ci
        values.append(result.value)
        covered += low <= pair.kl <= high
    values = np.array(values)
    mc_error = values.std(ddof=1) / math.sqrt(SEEDS)
    assert abs(values.mean() - pair.kl) <= 0.03 + 3 * mc_error, values.mean() - pair.kl
    assert covered >= 16, covered


@pytest.mark.slow
@pytest.mark.parametrize("build", [mean_shift, log_normal])
def test_kl_from_samples_against_a_density_is_unbiased(build):
    # Measured at d = 5, n = 5,000 (README): +0.002 and -0.005 over 8 seeds (the
    # Kozachenko-Leonenko entropy before: +0.060 and -0.280 over 20). Goal plus three
    # Monte Carlo errors of the mean over the seeds used here.
    pair, seeds = build(5), 10
    values = []
    for seed in range(seeds):
        x, _ = pair.sample(5000, rng=np.random.default_rng([5, 5000, seed]))
        values.append(dv.kl_divergence(x, pair.q).value)
    values = np.array(values)
    mc_error = values.std(ddof=1) / math.sqrt(seeds)
    assert abs(values.mean() - pair.kl) <= 0.03 + 3 * mc_error, values.mean() - pair.kl


def _coverage(pair, estimate, n, seeds=SEEDS, root=11):
    """How many of ``seeds`` fresh draws' ``ci`` cover the truth (other seeds than the bench's)."""
    covered, values = 0, []
    for seed in range(seeds):
        x, y = pair.sample(n, rng=np.random.default_rng([root, pair.dim, n, seed]))
        result = estimate(pair, x, y, seed)
        low, high = result.ci
        covered += low <= getattr(pair, result.divergence) <= high   # pair.kl or pair.js
        values.append(result.value)
    return covered, np.array(values)


@pytest.mark.slow
@pytest.mark.parametrize("build, dim", [(mean_shift, 2), (log_normal, 2), (scale_change, 5)])
def test_js_from_samples_interval_covers(build, dim):
    # Value +- 1.96 stderr covered in 80%, 80% and 75% of the bench's seeds here (README):
    # the stderr falls short of the spread by a third at d = 2, and the bias is -0.005 at
    # d = 5. Widened by details["bias_bound"] it must cover in at least 16 of 20 seeds.
    # (d = 10, where the bound is 0.076, is the bench's: 20 estimates there take a minute.)
    covered, _ = _coverage(build(dim), lambda pair, x, y, seed: dv.js_divergence(x, y), 5000)
    assert covered >= 16, covered


@pytest.mark.slow
@pytest.mark.parametrize("build", [scale_change, mean_shift])
def test_kl_samples_against_a_density_interval_covers(build):
    # Sampling-only coverage on the bench's seeds: 40% and 60% at d = 5, n = 5,000.
    covered, _ = _coverage(build(5), lambda pair, x, y, seed: dv.kl_divergence(x, pair.q), 5000)
    assert covered >= 16, covered


@pytest.mark.slow
def test_kl_density_against_samples_interval_covers():
    # The banana pair sets the d = 5 bound (+0.046 at n = 5,000; sampling-only coverage 65%).
    covered, _ = _coverage(banana(5), lambda pair, x, y, seed: dv.kl_divergence(
        pair.p, y, rng=seed), 5000)
    assert covered >= 16, covered


@pytest.mark.slow
@pytest.mark.parametrize("build, dim, density_first", [(mean_shift, 2, False),
                                                        (scale_change, 5, False),
                                                        (log_normal, 5, True)])
def test_js_with_a_density_interval_covers(build, dim, density_first):
    # The pooled estimator on the sample set and as many draws from the density: the
    # two-sample estimator. On the bench's seeds value +- 1.96 stderr covered in 90%, 70%
    # and 85% here (sd / se 1.45, 1.15, 1.00; bias +0.002, -0.006, -0.005). Widened by
    # details["bias_bound"] (JS_DENSITY_BIAS_BOUNDS) it must cover in 16 of 20 fresh seeds.
    def estimate(pair, x, y, seed):
        if density_first:
            return dv.js_divergence(pair.p, y, rng=seed)
        return dv.js_divergence(x, pair.q, rng=seed)

    covered, _ = _coverage(build(dim), estimate, 5000)
    assert covered >= 16, covered
