"""Wasserstein distances: 1-D quantiles, Bures, exact OT, dispatch."""

import math

import numpy as np
import ot
import pytest
from scipy import integrate, stats

import divergences as dv
from divergences.exceptions import DenseMemoryError, InvalidMeasureError, MethodError


class TestOneDimensional:
    @pytest.mark.parametrize("seed", range(4))
    def test_matches_scipy_order_1_weighted(self, seed):
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=37), rng.standard_t(3, size=53)
        a, b = rng.random(37), rng.random(53)
        result = dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b))
        assert result.method == "1d" and result.sizes == (37, 53)
        expected = stats.wasserstein_distance(x, y, a, b)
        assert math.isclose(float(result), expected, rel_tol=1e-12)

    def test_matches_scipy_unweighted_unequal_sizes(self):
        rng = np.random.default_rng(5)
        x, y = rng.normal(size=1000), rng.exponential(size=777)
        expected = stats.wasserstein_distance(x, y)
        assert math.isclose(float(dv.wasserstein(x, y)), expected, rel_tol=1e-11)

    @pytest.mark.parametrize("order", [1.0, 1.5, 2.0, 3.0])
    def test_matches_pot_for_any_order(self, order):
        rng = np.random.default_rng(11)
        x, y = rng.normal(size=40), rng.normal(1.0, 2.0, size=25)
        a, b = rng.random(40), rng.random(25)
        a, b = a / a.sum(), b / b.sum()
        cost = ot.emd2(a, b, np.abs(x[:, None] - y[None, :]) ** order)
        result = dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b), order=order)
        assert math.isclose(result.cost, cost, rel_tol=1e-10)
        assert math.isclose(float(result), cost ** (1 / order), rel_tol=1e-10)

    def test_histograms_with_support(self):
        p = dv.Histogram([0.5, 0.5], support=[0.0, 1.0])
        q = dv.Histogram([1.0], support=[3.0])
        assert float(dv.wasserstein(p, q)) == pytest.approx(2.5, rel=1e-15)

    @pytest.mark.parametrize("order", [1.0, 2.0, 2.5])
    def test_uniforms_closed_form_against_quadrature(self, order):
        p, q = dv.Uniform(0.0, 1.0), dv.Uniform(-0.5, 2.0)
        value, abserr = integrate.quad(lambda t: abs(p.ppf(t) - q.ppf(t)) ** order, 0, 1, points=[1 / 3])
        result = dv.wasserstein(p, q, order=order)
        assert result.stderr == 0.0
        assert abs(result.cost - value) <= 10 * abserr + 1e-14

    def test_gaussians_order_1_against_folded_normal(self):
        # Quantile difference is a + b Z; E|a + bZ| = b sqrt(2/pi) exp(-a^2/2b^2) + a (1 - 2 Phi(-a/b)).
        a, b = 0.7, 1.5
        p, q = dv.Gaussian(0.0, 1.0), dv.Gaussian(-a, (1 + b) ** 2)
        expected = b * math.sqrt(2 / math.pi) * math.exp(-(a**2) / (2 * b**2)) + a * (1 - 2 * stats.norm.cdf(-a / b))
        result = dv.wasserstein(p, q)
        assert result.method == "1d"
        assert abs(float(result) - expected) <= 1e-9

    def test_scipy_densities(self):
        p, q = stats.expon(), stats.expon(scale=2.0)
        # Quantiles -log(1-t) and -2 log(1-t): difference -log(1-t), whose mean is 1.
        assert float(dv.wasserstein(p, q)) == pytest.approx(1.0, abs=1e-9)

    def test_translation(self):
        x = np.random.default_rng(0).normal(size=100)
        assert float(dv.wasserstein(x, x + 2.5, order=3)) == pytest.approx(2.5, rel=1e-12)


class TestGaussian:
    def test_bures_against_an_independent_formula(self):
        from scipy.linalg import sqrtm

        rng = np.random.default_rng(2)
        a, b = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
        s1, s2 = a @ a.T + 0.1 * np.eye(4), b @ b.T + 0.1 * np.eye(4)
        m1, m2 = rng.normal(size=4), rng.normal(size=4)
        r1 = sqrtm(s1)
        expected = np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * sqrtm(r1 @ s2 @ r1)).real
        result = dv.wasserstein(dv.Gaussian(m1, s1), dv.Gaussian(m2, s2), order=2)
        assert result.method == "gaussian"
        assert result.cost == pytest.approx(expected, rel=1e-9)

    def test_commuting_covariances(self):
        # Diagonal covariances: W2^2 = |dm|^2 + sum (sqrt s1 - sqrt s2)^2.
        p, q = dv.Gaussian([0.0, 1.0], [1.0, 4.0]), dv.Gaussian([3.0, 1.0], [9.0, 1.0])
        assert dv.wasserstein(p, q, order=2).cost == pytest.approx(9.0 + 4.0 + 1.0, rel=1e-12)

    def test_samples_converge_to_bures(self):
        # Exact OT between n = 400 samples: W2 error of order n^(-1/2) in 2-D, up to log factors;
        # a loose 0.25 absolute bound is ~3x that scale for these unit-variance Gaussians.
        p, q = dv.Gaussian([0.0, 0.0], np.eye(2)), dv.Gaussian([2.0, 0.0], [[1.0, 0.0], [0.0, 4.0]])
        exact = float(dv.wasserstein(p, q, order=2))
        estimate = float(dv.wasserstein(p.sample(400, rng=1), q.sample(400, rng=2), order=2))
        assert abs(estimate - exact) < 0.25

    def test_order_1_gaussians_in_2d_have_no_method_yet(self):
        with pytest.raises(MethodError, match="no method applies"):
            dv.wasserstein(dv.Gaussian([0.0, 0.0], 1.0), dv.Gaussian([1.0, 0.0], 1.0))


class TestExact:
    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_matches_pot_weighted_unequal(self, order):
        rng = np.random.default_rng(3)
        x, y = rng.normal(size=(60, 3)), rng.normal(size=(45, 3)) + 0.5
        a, b = rng.random(60), rng.random(45)
        a, b = a / a.sum(), b / b.sum()
        cost = ot.emd2(a, b, ot.dist(x, y, metric="euclidean") ** order, numItermax=10**7)
        result = dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b), order=order)
        assert result.method == "exact" and result.converged
        assert result.cost == pytest.approx(cost, rel=1e-9)

    def test_planted_permutation(self):
        rng = np.random.default_rng(4)
        x = rng.normal(size=(50, 2))
        y = x[rng.permutation(50)] + [0.0, 3.0]
        assert float(dv.wasserstein(x, y)) == pytest.approx(3.0, rel=1e-12)

    def test_plan_and_duality(self):
        rng = np.random.default_rng(6)
        x, y = rng.normal(size=(30, 2)), rng.normal(size=(20, 2))
        result = dv.wasserstein(x, y, order=2, return_plan=True)
        f, g = result.potentials
        np.testing.assert_allclose(result.plan.sum(axis=1), 1 / 30, atol=1e-15)
        assert f.mean() + g.mean() == pytest.approx(result.cost, rel=1e-10)
        assert result.marginal_error <= 1e-12
        assert dv.wasserstein(x, y, order=2).plan is None

    def test_diracs(self):
        assert float(dv.wasserstein([[0.0, 0.0]], [[3.0, 4.0]], order=2)) == pytest.approx(5.0)

    def test_memory_refusal_names_the_online_method(self):
        x = np.zeros((50, 2))
        with pytest.raises(DenseMemoryError, match="method='sinkhorn'"):
            dv.wasserstein(x, x, method="exact", solver="network_simplex", max_memory=1000)

    def test_parallel_lines(self):
        z = np.linspace(0, 1, 50)
        for theta in (-1.0, 0.25, 2.0):
            x = np.column_stack([np.zeros(50), z])
            y = np.column_stack([np.full(50, theta), z])
            assert float(dv.wasserstein(x, y)) == pytest.approx(abs(theta), rel=1e-12)


class TestDispatchAndInput:
    def test_auto_prefers_the_closed_forms(self):
        g1, g2 = dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 2.0)
        assert dv.wasserstein(g1, g2, order=2).method == "gaussian"
        assert dv.wasserstein(g1, g2, order=1).method == "1d"
        assert dv.wasserstein(np.zeros(3), np.ones(3)).method == "1d"
        assert dv.wasserstein(np.zeros((3, 2)), np.ones((3, 2))).method == "exact"

    @pytest.mark.parametrize("order", [0.5, 0, -1, math.inf, math.nan])
    def test_bad_order(self, order):
        with pytest.raises(ValueError, match="order"):
            dv.wasserstein(np.zeros(3), np.ones(3), order=order)

    def test_histogram_without_support(self):
        with pytest.raises(MethodError, match="support="):
            dv.wasserstein(dv.Histogram([0.5, 0.5]), dv.Histogram([0.5, 0.5]))

    def test_mismatched_dimensions(self):
        with pytest.raises(InvalidMeasureError, match="different dimensions"):
            dv.wasserstein(np.zeros((3, 2)), np.zeros((3, 3)))

    def test_inapplicable_method(self):
        with pytest.raises(MethodError, match="method='gaussian' needs two Gaussians"):
            dv.wasserstein(np.zeros(3), np.ones(3), method="gaussian")

    def test_unknown_option(self):
        with pytest.raises(TypeError, match="does not take 'eps'"):
            dv.wasserstein(np.zeros(3), np.ones(3), eps=0.1)

    def test_inputs_are_not_modified(self):
        x = np.random.default_rng(0).normal(size=(20, 2))
        copy = x.copy()
        dv.wasserstein(x, x[::-1] + 1.0, order=2)
        np.testing.assert_array_equal(x, copy)
