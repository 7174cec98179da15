"""k-NN KL estimates that know when they cannot be right (issue 14: 1, 2).

Two guards: the shape correction is applied only within its domain (balls small
next to the fitted Gaussian in every direction, divergences._knn_shape.SPREAD_LIMIT),
and the subsample trend (knn_estimators.subsample_trend) flags an estimate that
still moves with n: it warns, records details["reliable"] = False and its ci is
the whole range. Tolerances are derived from the measured error (see each test).
"""

import math
import warnings

import numpy as np
import pytest

import divergences as dv
from divergences import _knn_shape as shape
from divergences.exceptions import EstimatorWarning
from divergences.knn_estimators import subsample_trend
from divergences.results import DivergenceResult
from divergences.testing import mean_shift, student_t

Z = 4.0  # standard errors (the KL stderr is a conservative jackknife)


def _collinear(n, rng):
    """30 coordinates driven by 3 factors, correlations near 1 (like breast_cancer's)."""
    mixing = np.random.default_rng(0).normal(size=(3, 30))
    return rng.normal(size=(n, 3)) @ mixing + 1e-3 * rng.normal(size=(n, 30))


@pytest.mark.parametrize("seed", [0, 1])
def test_no_shape_correction_outside_its_domain(seed):
    # Two samples of one law; before the guard the "corrected" estimate was -25 to -334
    # with stderr 0.9 (the nodes' average of exp over 10^4 nats), the interval ending
    # below its start.
    x = _collinear(300, np.random.default_rng([seed, 1]))
    y = _collinear(300, np.random.default_rng([seed, 2]))
    with pytest.warns(EstimatorWarning, match="out of its domain"):
        r = dv.kl_divergence(x, y)
    assert r.details["shape_correction"].startswith("none: the balls span")
    assert r.details["shape_spread"] > shape.SPREAD_LIMIT
    assert abs(r.value) <= Z * r.stderr
    low, high = r.ci
    assert low <= 0.0 <= high


def test_shape_spread_is_small_on_the_calibration_grid():
    # The bound of SPREAD_LIMIT: at most 2.8 over the grid (d <= 10, n >= 500).
    x, y = mean_shift(10).sample(500, rng=np.random.default_rng(3))
    x, y = shape.marginal_gaussianization(x, y)
    radius = np.sort(np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2), axis=1)[:, 3]
    assert 0.0 < shape.shape_spread(radius, x) < shape.SPREAD_LIMIT / 2


def test_log_jacobian_is_the_derivative_of_the_map():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.standard_t(3, 3000), rng.lognormal(size=3000)])
    mapped, _, log_jac = shape.marginal_gaussianization(x, x[:0], log_jacobian=True)
    for j in range(2):
        order = np.argsort(x[:, j])
        gap = np.diff(x[order, j])
        secant = np.log(np.diff(mapped[order, j]) / gap)
        # per coordinate: the log derivative of one map (the other's is the same alone)
        alone = shape.marginal_gaussianization(x[:, j:j + 1], x[:0, j:j + 1],
                                               log_jacobian=True)[2]
        middle = 0.5 * (alone[order][1:] + alone[order][:-1])
        close = gap < 1e-2
        # A cubic's secant is its derivative at the midpoint up to O(gap^2): the
        # median error is 3e-6 (the two joins with the linear tails are kinks).
        assert np.median(np.abs(secant[close] - middle[close])) < 1e-4
    one = shape.marginal_gaussianization(x[:, :1], x[:0, :1], log_jacobian=True)[2]
    two = shape.marginal_gaussianization(x[:, 1:], x[:0, 1:], log_jacobian=True)[2]
    np.testing.assert_allclose(log_jac, one + two, atol=1e-12)


def test_an_unreliable_estimate_has_the_whole_range_as_interval():
    details = {"reliable": False}
    kl = DivergenceResult(value=0.5, divergence="kl", method="knn", stderr=0.02, details=details)
    assert kl.ci == (0.0, math.inf) and kl.interval(0.5) == (0.0, math.inf)
    js = DivergenceResult(value=0.5, divergence="js", method="knn", unit="bits", stderr=0.02,
                          details=details)
    assert js.ci == (0.0, 1.0)
    below = DivergenceResult(value=-3.0, divergence="kl", method="knn", stderr=0.5)
    assert below.ci == (0.0, 0.0)                      # not (0, -2.02)


def test_heavy_tails_fail_the_convergence_check():
    # t_3 against N(0, I) at d = 5 (KL 3.52): the estimate is about 0.5 and grows like
    # log n. HIT_RATE_T3 of the seeds fire on the calibration grid (README).
    pair = student_t(5, df=3.0)
    fired = 0
    for seed in range(3):
        x, y = pair.sample(5000, rng=np.random.default_rng([5, 5000, seed]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = dv.kl_divergence(x, y)
        if r.details["trend"]["fired"]:
            fired += 1
            assert r.details["reliable"] is False
            assert r.ci == (0.0, math.inf) and "has not converged" in r.note
            assert any(issubclass(w.category, EstimatorWarning) for w in caught)
        trend = r.details["trend"]
        assert trend["sizes"] == (1250, 2500, 5000) and trend["estimates"][2] == r.value
    assert fired >= 2, fired


def test_a_converged_estimate_passes_the_check():
    # Mean shift at d = 5, n = 5,000: the check fired on none of 20 seeds of the grid.
    pair = mean_shift(5)
    for seed in range(2):
        x, y = pair.sample(5000, rng=np.random.default_rng([7, seed]))
        with warnings.catch_warnings():
            warnings.simplefilter("error", EstimatorWarning)
            r = dv.kl_divergence(x, y)
        trend = r.details["trend"]
        assert not trend["fired"] and "reliable" not in r.details
        assert r.ci[0] <= pair.kl <= r.ci[1]


def test_trend_needs_enough_points_and_can_be_turned_off():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(12, 2)), rng.normal(size=(12, 2))
    assert dv.kl_divergence(x, y).details["trend"] is None       # quarters of 3 points
    assert subsample_trend(x, y, 0.1, None) is None
    x, y = rng.normal(size=(400, 2)), rng.normal(size=(400, 2))
    assert "trend" not in dv.kl_divergence(x, y, diagnose=False).details


def test_bias_bound_is_the_pessimistic_grid_cell_and_widens_the_interval():
    from divergences.knn_estimators import BIAS_BOUNDS, bias_bound

    assert bias_bound(3, 6000) == BIAS_BOUNDS[(5, 5000)]     # larger d, smaller n
    assert bias_bound(1, 10**6) == BIAS_BOUNDS[(1, 5000)]
    assert bias_bound(11, 5000) is None and bias_bound(2, 499) is None
    r = DivergenceResult(value=0.3, divergence="kl", method="knn", stderr=0.05,
                         details={"bias_bound": 0.04})
    half = 1.959963984540054 * 0.05 + 0.04
    assert r.ci == pytest.approx((0.3 - half, 0.3 + half), rel=1e-12)
    bits = DivergenceResult(value=0.3, divergence="kl", method="knn", unit="bits",
                            stderr=0.05, details={"bias_bound": 0.04})
    assert bits.ci[1] == pytest.approx(0.3 + 1.959963984540054 * 0.05 + 0.04 / math.log(2.0))
    x, y = np.random.default_rng(5).normal(size=(2, 600, 2))
    assert dv.kl_divergence(x, y).details["bias_bound"] == BIAS_BOUNDS[(2, 500)]
