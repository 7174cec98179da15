"""KL divergence: exact cases against scipy and quadrature."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

import divergences as dv
from divergences.exceptions import InvalidMeasureError, MethodError


def random_probabilities(rng, k, zeros=0):
    p = rng.random(k)
    p[rng.choice(k, size=zeros, replace=False)] = 0.0
    return p / p.sum()


class TestHistograms:
    @pytest.mark.parametrize("seed", range(5))
    def test_matches_scipy_entropy(self, seed):
        rng = np.random.default_rng(seed)
        p, q = random_probabilities(rng, 12, zeros=3), random_probabilities(rng, 12)
        result = dv.kl_divergence(dv.Histogram(p), dv.Histogram(q))
        assert result.method == "exact" and result.unit == "nats" and result.stderr == 0.0
        assert result.sizes == (12, 12)
        assert math.isclose(float(result), stats.entropy(p, q), rel_tol=1e-12)

    def test_bits(self):
        rng = np.random.default_rng(1)
        p, q = random_probabilities(rng, 5), random_probabilities(rng, 5)
        result = dv.kl_divergence(dv.Histogram(p), dv.Histogram(q), base=2)
        assert result.unit == "bits"
        assert math.isclose(float(result), stats.entropy(p, q, base=2), rel_tol=1e-12)

    def test_unnormalised_counts(self):
        result = dv.kl_divergence(dv.Histogram([2, 2]), dv.Histogram([1, 3]))
        assert math.isclose(float(result), stats.entropy([2, 2], [1, 3]), rel_tol=1e-12)

    def test_not_absolutely_continuous_is_infinite_with_reason(self):
        result = dv.kl_divergence(dv.Histogram([0.5, 0.5]), dv.Histogram([1.0, 0.0]))
        assert math.isinf(float(result)) and "absolutely continuous" in result.note
        # The other direction is finite: Q's zero bins carry no P-mass there.
        assert math.isfinite(float(dv.kl_divergence(dv.Histogram([1.0, 0.0]), dv.Histogram([0.5, 0.5]))))

    def test_identical_is_zero(self):
        h = dv.Histogram([0.2, 0.3, 0.5])
        assert float(dv.kl_divergence(h, h)) == 0.0

    def test_supports_are_aligned_on_the_union_of_atoms(self):
        p = dv.Histogram([0.5, 0.5], support=[0.0, 1.0])
        q = dv.Histogram([0.25, 0.25, 0.5], support=[2.0, 1.0, 0.0])
        expected = stats.entropy([0.5, 0.5, 0.0], [0.5, 0.25, 0.25])
        assert math.isclose(float(dv.kl_divergence(p, q)), expected, rel_tol=1e-12)

    def test_repeated_support_points_are_merged(self):
        p = dv.Histogram([0.25, 0.25, 0.5], support=[0.0, 0.0, 1.0])
        q = dv.Histogram([0.5, 0.5], support=[0.0, 1.0])
        assert float(dv.kl_divergence(p, q)) == 0.0

    def test_disjoint_supports_are_infinite(self):
        p = dv.Histogram([1.0], support=[[0.0, 0.0]])
        q = dv.Histogram([1.0], support=[[1.0, 0.0]])
        assert math.isinf(float(dv.kl_divergence(p, q)))

    def test_bin_count_mismatch(self):
        with pytest.raises(InvalidMeasureError, match="different numbers of bins"):
            dv.kl_divergence(dv.Histogram([0.5, 0.5]), dv.Histogram([0.2, 0.3, 0.5]), method="exact")

    def test_support_on_one_side_only(self):
        with pytest.raises(InvalidMeasureError, match="support= to both"):
            dv.kl_divergence(dv.Histogram([0.5, 0.5], support=[0.0, 1.0]), dv.Histogram([0.5, 0.5]))


class TestGaussians:
    def test_1d_closed_form(self):
        # log(s1/s0) + (s0^2 + (m0 - m1)^2) / (2 s1^2) - 1/2
        p, q = dv.Gaussian(0.5, 4.0), dv.Gaussian(-1.0, 1.0)
        expected = math.log(1.0 / 2.0) + (4.0 + 1.5**2) / 2.0 - 0.5
        assert math.isclose(float(dv.kl_divergence(p, q)), expected, rel_tol=1e-13)

    def test_1d_against_quadrature(self):
        p, q = stats.norm(0.3, 0.7), stats.norm(-0.2, 1.3)
        value, abserr = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -np.inf, np.inf)
        result = dv.kl_divergence(p, q)
        assert result.method == "exact"
        assert abs(float(result) - value) <= 10 * abserr + 1e-12

    def test_multivariate_against_monte_carlo_oracle(self):
        # Oracle: mean of log p - log q under p by scipy, n = 200,000 draws; tolerance 5 SE.
        rng = np.random.default_rng(7)
        a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
        p = stats.multivariate_normal(rng.normal(size=3), a @ a.T + np.eye(3))
        q = stats.multivariate_normal(rng.normal(size=3), b @ b.T + np.eye(3))
        x = p.rvs(size=200_000, random_state=rng)
        terms = p.logpdf(x) - q.logpdf(x)
        stderr = terms.std() / math.sqrt(terms.size)
        assert abs(float(dv.kl_divergence(p, q)) - terms.mean()) <= 5 * stderr

    def test_identical_gaussians(self):
        g = dv.Gaussian([1.0, 2.0], [[2.0, 0.3], [0.3, 1.0]])
        assert float(dv.kl_divergence(g, g)) == pytest.approx(0.0, abs=1e-14)

    def test_dimension_mismatch(self):
        with pytest.raises(InvalidMeasureError, match="different dimensions"):
            dv.kl_divergence(dv.Gaussian(0.0, 1.0), dv.Gaussian([0.0, 0.0], 1.0))


class TestUniforms:
    def test_nested_boxes(self):
        p, q = dv.Uniform([0.0, 0.0], [1.0, 1.0]), dv.Uniform([-1.0, 0.0], [2.0, 2.0])
        assert math.isclose(float(dv.kl_divergence(p, q)), math.log(6.0), rel_tol=1e-14)

    def test_box_not_inside_is_infinite(self):
        result = dv.kl_divergence(dv.Uniform(0.0, 2.0), dv.Uniform(1.0, 3.0))
        assert math.isinf(float(result)) and "box" in result.note

    def test_uniform_against_gaussian_by_quadrature(self):
        p, q = dv.Uniform(-0.5, 2.0), dv.Gaussian(0.3, 1.7)
        value, abserr = integrate.quad(lambda x: (1 / 2.5) * (math.log(1 / 2.5) - float(q.logpdf([x])[0])),
                                       -0.5, 2.0)
        assert abs(float(dv.kl_divergence(p, q)) - value) <= 10 * abserr + 1e-12

    def test_uniform_against_gaussian_2d_by_monte_carlo(self):
        # Cross-entropy oracle over n = 200,000 uniform draws; tolerance 5 SE.
        p, q = dv.Uniform([0.0, -1.0], [1.0, 2.0]), dv.Gaussian([0.5, 0.0], [[1.0, 0.4], [0.4, 2.0]])
        x = p.sample(200_000, rng=3)
        terms = -math.log(p.volume) - q.logpdf(x)
        stderr = terms.std() / math.sqrt(terms.size)
        assert abs(float(dv.kl_divergence(p, q)) - terms.mean()) <= 5 * stderr

    def test_gaussian_against_uniform_is_infinite(self):
        assert math.isinf(float(dv.kl_divergence(dv.Gaussian(0.0, 1.0), dv.Uniform(-5.0, 5.0))))


def test_atoms_against_densities_are_infinite():
    h = dv.Histogram([0.5, 0.5], support=[0.0, 1.0])
    g = dv.Gaussian(0.0, 1.0)
    assert math.isinf(float(dv.kl_divergence(h, g)))
    assert math.isinf(float(dv.kl_divergence(g, h)))


class TestDispatch:
    def test_unknown_method_lists_the_available_ones(self):
        with pytest.raises(MethodError, match="unknown method 'nope'.*'exact'"):
            dv.kl_divergence(dv.Histogram([1.0]), dv.Histogram([1.0]), method="nope")

    def test_inapplicable_method(self):
        with pytest.raises(MethodError, match="method='exact' needs"):
            dv.kl_divergence(np.zeros((5, 1)), np.ones((5, 1)), method="exact")

    def test_option_the_method_does_not_take_is_an_error(self):
        with pytest.raises(TypeError, match="does not take 'k'"):
            dv.kl_divergence(dv.Histogram([1.0]), dv.Histogram([1.0]), k=3)

    @pytest.mark.parametrize("base", [0, -2, 1, math.inf])
    def test_bad_base(self, base):
        with pytest.raises(ValueError, match="base"):
            dv.kl_divergence(dv.Histogram([1.0]), dv.Histogram([1.0]), base=base)

    def test_base_10(self):
        result = dv.kl_divergence(dv.Histogram([0.5, 0.5]), dv.Histogram([0.9, 0.1]), base=10)
        assert result.unit == "log10"
        assert math.isclose(float(result), stats.entropy([0.5, 0.5], [0.9, 0.1], base=10))

    def test_nan_samples_are_refused_by_argument_name(self):
        with pytest.raises(InvalidMeasureError, match="^q contains NaN"):
            dv.kl_divergence(np.zeros((3, 1)), np.array([[0.0], [np.nan], [1.0]]))

    def test_empty_samples(self):
        with pytest.raises(InvalidMeasureError, match="^p is empty"):
            dv.kl_divergence(np.empty((0, 2)), np.zeros((3, 2)))
