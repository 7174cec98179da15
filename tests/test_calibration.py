"""The calibration pairs of divergences.testing: their truths, laws and samplers agree.

Each truth is checked against an independent Monte Carlo estimate built from
the pair's own exact log-densities at its own samples, so a wrong formula, a
wrong density or a sampler that does not draw from that density all fail.
The tolerance is five Monte Carlo standard errors plus the quadrature error
the pair reports (the seed is fixed, so the test is deterministic; with a
correct pair a fresh seed would fail it with probability about 6e-7).
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats

import divergences as dv
from divergences.testing import (
    banana,
    calibration_pairs,
    log_normal,
    mean_shift,
    mixture,
    scale_change,
    student_t,
)

DRAWS = 200_000
Z = 5.0
LOG2 = math.log(2.0)


def monte_carlo(pair, rng):
    """KL and JS of ``pair`` by Monte Carlo of its exact log-densities, with standard errors."""
    x, y = pair.sample(DRAWS, rng=rng)
    lpx, lqx, lpy, lqy = pair.p.logpdf(x), pair.q.logpdf(x), pair.p.logpdf(y), pair.q.logpdf(y)
    ratio = lpx - lqx
    half_p = lpx - (np.logaddexp(lpx, lqx) - LOG2)
    half_q = lqy - (np.logaddexp(lpy, lqy) - LOG2)
    js = 0.5 * (half_p.mean() + half_q.mean())
    js_se = 0.5 * math.sqrt((half_p.var() + half_q.var()) / DRAWS)
    return ratio.mean(), ratio.std() / math.sqrt(DRAWS), js, js_se


@pytest.mark.parametrize("dim", [1, 3, 7])
def test_truths_match_monte_carlo_of_the_exact_densities(dim):
    rng = np.random.default_rng(20261201 + dim)
    for pair in calibration_pairs(dim):
        kl, kl_se, js, js_se = monte_carlo(pair, rng)
        # t_3 has no fourth moment: the log-ratio (~ |x|^2 / 2) has infinite
        # variance, so its Monte Carlo KL has no standard error to test with.
        if not (pair.name == "student_t" and pair.p.df <= 4):
            assert abs(kl - pair.kl) <= Z * kl_se + pair.truth_error, (pair.description, kl)
        assert abs(js - pair.js) <= Z * js_se + pair.truth_error, (pair.description, js)


def test_student_t_kl_by_quadrature_in_one_dimension():
    # Independent of the closed-form entropy: scipy's t and normal densities on the line.
    p, q = stats.t(3), stats.norm()
    value, error = integrate.quad(lambda t: p.pdf(t) * (p.logpdf(t) - q.logpdf(t)),
                                  -np.inf, np.inf, epsabs=1e-12)
    assert abs(student_t(1, df=3).kl - value) <= 10 * error + 1e-12


def test_student_t_density_is_scipys_multivariate_t():
    pair = student_t(4, df=4.5)
    x = pair.p.sample(50, rng=0)
    expected = stats.multivariate_t(np.zeros(4), np.eye(4), df=4.5).logpdf(x)
    np.testing.assert_allclose(pair.p.logpdf(x), expected, rtol=1e-12, atol=1e-12)


def test_gaussian_truths_match_the_library_closed_form():
    for pair in (mean_shift(5), scale_change(5), mean_shift(2, kl=0.1)):
        exact = dv.kl_divergence(pair.p, pair.q)
        assert exact.method == "exact"
        assert float(exact) == pytest.approx(pair.kl, rel=1e-12)


def test_the_issue_values():
    # The values quoted in issue 14: s = 1.493 at d = 5, mixture KL 0.598223, t_3 KL 0.645.
    assert math.sqrt(scale_change(5).q.cov[0, 0]) == pytest.approx(1.493, abs=5e-4)
    assert mixture(10).kl == pytest.approx(0.598223, abs=5e-7)
    assert student_t(1).kl == pytest.approx(0.645, abs=5e-4)


def test_transformed_pairs_keep_the_gaussian_truths_and_change_the_shape():
    base = mean_shift(3)
    skewed, curved = log_normal(3), banana(3, curvature=1.0)
    assert (skewed.kl, skewed.js) == (base.kl, base.js) == (curved.kl, curved.js)
    x = skewed.p.sample(20_000, rng=1)
    assert stats.skew(x[:, 0]) > 1.0            # log-normal marginals are skewed
    y = curved.p.sample(20_000, rng=1)
    assert np.corrcoef(y[:, 0] ** 2, y[:, 1])[0, 1] > 0.5  # x2 follows x1^2
    assert np.all(np.isneginf(skewed.p.logpdf(-np.ones((2, 3)))))  # no mass off the orthant


def test_sampling_is_reproducible():
    pair = banana(2)
    first, second = pair.sample(10, 7, rng=3), pair.sample(10, 7, rng=3)
    assert first[0].shape == (10, 2) and first[1].shape == (7, 2)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


@pytest.mark.parametrize("build, kwargs, message", [
    (mean_shift, {"dim": 0}, "dim"),
    (banana, {"dim": 1}, "dim must be at least 2"),
    (student_t, {"dim": 2, "df": 2.0}, "df must be"),
    (mean_shift, {"dim": 2, "kl": -1.0}, "kl must be"),
    (mixture, {"dim": 2, "separation": float("nan")}, "separation must be"),
])
def test_bad_arguments_are_named(build, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build(**kwargs)
