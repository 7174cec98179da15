"""The measure interface: construction, immutability, densities, as_measure."""

import math

import numpy as np
import pytest
from scipy import stats

import divergences as dv
from divergences.exceptions import InvalidMeasureError


class TestSamples:
    def test_shapes_and_uniform_weights(self):
        s = dv.Samples(np.arange(6.0).reshape(3, 2))
        assert (s.size, s.dim, len(s)) == (3, 2, 3)
        assert s.is_uniform
        np.testing.assert_allclose(s.weights, np.full(3, 1 / 3))

    def test_one_dimensional_input_is_points_on_the_line(self):
        s = dv.Samples([1.0, 2.0, 3.0])
        assert s.points.shape == (3, 1) and s.dim == 1

    def test_weights_are_normalised(self):
        s = dv.Samples([[0.0], [1.0]], weights=[1, 3])
        np.testing.assert_allclose(s.weights, [0.25, 0.75])
        assert not s.is_uniform

    def test_caller_array_is_copied_and_measure_is_read_only(self):
        x = np.zeros((4, 2))
        s = dv.Samples(x)
        x[0, 0] = 7.0
        assert s.points[0, 0] == 0.0
        with pytest.raises(ValueError):
            s.points[0, 0] = 1.0

    def test_weighted_moments(self):
        x = np.array([[0.0, 0.0], [2.0, 4.0]])
        s = dv.Samples(x, weights=[3, 1])
        np.testing.assert_allclose(s.mean(), [0.5, 1.0])
        np.testing.assert_allclose(s.cov(), np.cov(x.T, aweights=[3, 1], bias=True))

    def test_resampling_is_seeded_and_follows_weights(self):
        s = dv.Samples([[0.0], [1.0]], weights=[0.0, 1.0])
        draws = s.sample(50, rng=3)
        assert np.all(draws == 1.0)
        np.testing.assert_array_equal(dv.Samples(np.arange(10.0)).sample(5, rng=1),
                                      dv.Samples(np.arange(10.0)).sample(5, rng=1))

    @pytest.mark.parametrize(
        "x, message",
        [
            (np.empty((0, 2)), "x is empty"),
            (np.array([[0.0, np.nan]]), "NaN or infinite"),
            (np.array([1.0, np.inf]), "NaN or infinite"),
            (np.zeros((2, 2, 2)), r"shape \(n,\) or \(n, d\)"),
            (np.float64(3.0), "scalar"),
            (np.empty((3, 0)), "dimension 0"),
            ([["a", "b"]], "real numbers"),
        ],
    )
    def test_bad_points(self, x, message):
        with pytest.raises(InvalidMeasureError, match=message):
            dv.Samples(x)

    @pytest.mark.parametrize(
        "weights, message",
        [
            ([1.0, -1.0, 1.0], "negative"),
            ([0.0, 0.0, 0.0], "sums to zero"),
            ([1.0, 1.0], "one weight per point"),
            ([1.0, np.nan, 1.0], "NaN"),
        ],
    )
    def test_bad_weights(self, weights, message):
        with pytest.raises(InvalidMeasureError, match=f"weights.*{message}|{message}"):
            dv.Samples(np.zeros((3, 1)), weights=weights)

    def test_bad_weights_message_names_weights(self):
        with pytest.raises(InvalidMeasureError, match="^weights"):
            dv.Samples(np.zeros((3, 1)), weights=[1.0, -1.0, 1.0])


class TestHistogram:
    def test_normalises_counts(self):
        h = dv.Histogram([2, 1, 1])
        np.testing.assert_allclose(h.probabilities, [0.5, 0.25, 0.25])
        assert h.support is None and h.dim is None and h.size == 3

    def test_support_gives_a_dimension(self):
        h = dv.Histogram([1, 1], support=[[0.0, 1.0], [2.0, 3.0]])
        assert h.dim == 2

    def test_sampling(self):
        h = dv.Histogram([0, 1, 0], support=[5.0, 6.0, 7.0])
        assert np.all(h.sample(10, rng=0) == 6.0)
        assert np.all(dv.Histogram([0, 1]).sample(4, rng=0) == 1)

    @pytest.mark.parametrize(
        "p, support, message",
        [
            ([], None, "p is empty"),
            ([1.0, -0.5], None, "p has negative"),
            ([0.0, 0.0], None, "p sums to zero"),
            ([[0.5, 0.5]], None, "1-D vector"),
            ([0.5, 0.5], [0.0, 1.0, 2.0], "support must have one point per bin"),
            ([0.5, 0.5], [0.0, np.nan], "support contains NaN"),
        ],
    )
    def test_bad_input(self, p, support, message):
        with pytest.raises(InvalidMeasureError, match=message):
            dv.Histogram(p, support=support)


class TestGaussian:
    def test_scalar_covariance_is_the_variance_in_1d(self):
        g = dv.Gaussian(1.0, 4.0)
        x = np.array([[0.0], [1.0], [3.5]])
        np.testing.assert_allclose(g.logpdf(x), stats.norm(1.0, 2.0).logpdf(x[:, 0]), rtol=1e-13)

    def test_logpdf_matches_scipy_in_3d(self):
        rng = np.random.default_rng(0)
        a = rng.normal(size=(3, 3))
        cov = a @ a.T + np.eye(3)
        mean = rng.normal(size=3)
        x = rng.normal(size=(20, 3))
        g = dv.Gaussian(mean, cov)
        expected = stats.multivariate_normal(mean, cov).logpdf(x)
        np.testing.assert_allclose(g.logpdf(x), expected, rtol=1e-12)
        assert math.isclose(g.entropy(), stats.multivariate_normal(mean, cov).entropy(), rel_tol=1e-12)

    def test_diagonal_vector_covariance(self):
        g = dv.Gaussian([0.0, 0.0], [1.0, 4.0])
        np.testing.assert_array_equal(g.cov, np.diag([1.0, 4.0]))

    def test_sample_moments(self):
        # Sample mean of n = 40,000 draws: standard error sqrt(var/n) = 0.01 here; allow 5 SE.
        g = dv.Gaussian([1.0, -1.0], [[4.0, 1.0], [1.0, 2.0]])
        x = g.sample(40_000, rng=1)
        np.testing.assert_allclose(x.mean(axis=0), g.mean, atol=5 * math.sqrt(4.0 / 40_000))
        np.testing.assert_array_equal(x, g.sample(40_000, rng=1))

    def test_ppf(self):
        g = dv.Gaussian(2.0, 9.0)
        np.testing.assert_allclose(g.ppf([0.1, 0.5, 0.9]), stats.norm(2.0, 3.0).ppf([0.1, 0.5, 0.9]))
        with pytest.raises(ValueError, match="1-D"):
            dv.Gaussian([0.0, 0.0], 1.0).ppf(0.5)

    @pytest.mark.parametrize(
        "mean, cov, message",
        [
            ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], "positive definite"),
            ([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], "symmetric"),
            ([0.0, 0.0], np.eye(3), "to match mean"),
            ([0.0, np.nan], np.eye(2), "mean contains NaN"),
            (0.0, np.inf, "cov contains NaN"),
            (0.0, 0.0, "positive definite"),
        ],
    )
    def test_bad_parameters(self, mean, cov, message):
        with pytest.raises(InvalidMeasureError, match=message):
            dv.Gaussian(mean, cov)

    def test_logpdf_rejects_wrong_dimension(self):
        with pytest.raises(InvalidMeasureError, match="dimension"):
            dv.Gaussian([0.0, 0.0], 1.0).logpdf(np.zeros((3, 3)))


class TestUniform:
    def test_density_and_volume(self):
        u = dv.Uniform([0.0, 0.0], [2.0, 0.5])
        assert u.volume == 1.0 and u.dim == 2
        np.testing.assert_array_equal(u.logpdf([[1.0, 0.25], [3.0, 0.0]]), [0.0, -np.inf])
        assert math.isclose(u.entropy(), 0.0, abs_tol=1e-15)

    def test_broadcasting_and_sampling(self):
        u = dv.Uniform(0.0, [1.0, 2.0])
        x = u.sample(1000, rng=0)
        assert x.shape == (1000, 2) and np.all(x >= 0) and np.all(x <= [1.0, 2.0])

    def test_bad_box(self):
        with pytest.raises(InvalidMeasureError, match="high must exceed low"):
            dv.Uniform(1.0, 1.0)
        with pytest.raises(InvalidMeasureError, match="same number of entries"):
            dv.Uniform([0.0, 0.0], [1.0, 1.0, 1.0])


class TestAsMeasure:
    def test_arrays_become_samples(self):
        assert isinstance(dv.as_measure(np.zeros((3, 2))), dv.Samples)
        assert isinstance(dv.as_measure([1.0, 2.0]), dv.Samples)

    def test_measures_pass_through(self):
        g = dv.Gaussian(0.0, 1.0)
        assert dv.as_measure(g) is g

    def test_scipy_normal_and_uniform_become_closed_form_measures(self):
        g = dv.as_measure(stats.norm(1.0, 2.0))
        assert isinstance(g, dv.Gaussian) and g.cov[0, 0] == 4.0
        u = dv.as_measure(stats.uniform(1.0, 3.0))
        assert isinstance(u, dv.Uniform) and (u.low[0], u.high[0]) == (1.0, 4.0)
        m = dv.as_measure(stats.multivariate_normal([0.0, 1.0], [[2.0, 0.0], [0.0, 1.0]]))
        assert isinstance(m, dv.Gaussian) and m.dim == 2

    def test_other_scipy_distributions_are_adapted(self):
        d = dv.as_measure(stats.gamma(2.0))
        assert isinstance(d, dv.ScipyDensity) and d.dim == 1 and d.has_ppf
        np.testing.assert_allclose(d.logpdf([[1.0], [2.0]]), stats.gamma(2.0).logpdf([1.0, 2.0]))
        assert d.sample(5, rng=0).shape == (5, 1)
        t = dv.as_measure(stats.multivariate_t([0.0, 0.0], np.eye(2), df=3))
        assert t.dim == 2 and not t.has_ppf
        assert t.logpdf(np.zeros((4, 2))).shape == (4,)

    def test_discrete_scipy_distribution_becomes_a_histogram(self):
        h = dv.as_measure(stats.binom(4, 0.5))
        assert isinstance(h, dv.Histogram)
        np.testing.assert_allclose(h.probabilities, stats.binom(4, 0.5).pmf(np.arange(5)))
        with pytest.raises(InvalidMeasureError, match="finite support"):
            dv.as_measure(stats.poisson(3.0))

    def test_unknown_objects_are_refused_by_name(self):
        with pytest.raises(TypeError, match="q must be a measure"):
            dv.as_measure("not data", name="q")

    def test_array_errors_name_the_argument(self):
        with pytest.raises(InvalidMeasureError, match="^q contains NaN"):
            dv.as_measure(np.array([1.0, np.nan]), name="q")
