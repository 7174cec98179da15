"""Toy data sets: the parallel lines and the 2-D GAN targets.

Oracles: the exact geometry of each construction (points on their lines,
circles and spirals), scipy's 1-D Wasserstein distance for the bounds on the
sample W_1 of the parallel lines, numerical quadrature for the grid's distance
to U[0, 1], and Kolmogorov--Smirnov tests for the uniform draws. Statistical
checks use fixed seeds and tolerances of 5 standard errors (or a KS p-value
above 1e-4), so they are deterministic and would fail only on a real bias.
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats

import divergences as dv
from divergences import datasets

LOG2 = math.log(2.0)
# Tolerance in standard errors for the statistical checks below.
K_SE = 5.0


class TestParallelLines:
    @pytest.mark.parametrize("theta", [-1.5, 0.0, 0.3])
    def test_points_lie_on_the_two_lines(self, theta):
        x, y = datasets.parallel_lines(theta, 200, rng=0)
        assert x.shape == y.shape == (200, 2)
        assert x.dtype == y.dtype == np.float64
        assert np.all(x[:, 0] == 0.0) and np.all(y[:, 0] == theta)
        for heights in (x[:, 1], y[:, 1]):
            assert np.all((heights >= 0) & (heights < 1))

    def test_heights_are_uniform_and_independent(self):
        x, y = datasets.parallel_lines(0.5, 5000, rng=1)
        for heights in (x[:, 1], y[:, 1]):
            assert stats.kstest(heights, "uniform").pvalue > 1e-4
        # Independent heights: the correlation is 0 with standard error 1/sqrt(n).
        assert abs(np.corrcoef(x[:, 1], y[:, 1])[0, 1]) < K_SE / math.sqrt(5000)

    def test_shared_noise_reuses_the_heights(self):
        x, y = datasets.parallel_lines(0.7, 50, rng=2, shared_noise=True)
        np.testing.assert_array_equal(x[:, 1], y[:, 1])
        np.testing.assert_array_equal(y - x, np.tile([0.7, 0.0], (50, 1)))

    def test_shared_noise_gives_exactly_theta_for_w1(self):
        # The identity coupling costs |theta| and no coupling costs less.
        x, y = datasets.parallel_lines(-0.4, 300, rng=3, shared_noise=True)
        assert math.isclose(float(dv.wasserstein(x, y)), 0.4, rel_tol=1e-12)

    @pytest.mark.parametrize("theta", [-1.0, -0.1, 0.0, 0.02, 0.6])
    def test_sample_w1_is_sandwiched_by_one_dimensional_bounds(self, theta):
        # Projections onto either axis are 1-Lipschitz, so W_1 >= |theta| and
        # W_1 >= W_1(heights); coupling the heights optimally costs at most
        # |theta| + |z - z'| per pair, so W_1 <= |theta| + W_1(heights).
        x, y = datasets.parallel_lines(theta, 400, rng=4)
        w1 = float(dv.wasserstein(x, y))
        heights_w1 = stats.wasserstein_distance(x[:, 1], y[:, 1])
        assert w1 >= max(abs(theta), heights_w1) - 1e-12
        assert w1 <= abs(theta) + heights_w1 + 1e-12

    def test_same_seed_same_draws_and_common_random_numbers(self):
        first = datasets.parallel_lines(0.2, 30, rng=7)
        again = datasets.parallel_lines(0.2, 30, rng=7)
        other_theta = datasets.parallel_lines(-0.9, 30, rng=7)
        for a, b in zip(first, again):
            np.testing.assert_array_equal(a, b)
        # One seed gives the same heights for every theta.
        np.testing.assert_array_equal(first[0], other_theta[0])
        np.testing.assert_array_equal(first[1][:, 1], other_theta[1][:, 1])
        different = datasets.parallel_lines(0.2, 30, rng=8)
        assert not np.array_equal(first[0], different[0])

    def test_generator_is_used_and_advanced(self):
        generator = np.random.default_rng(5)
        a = datasets.parallel_lines(0.1, 10, rng=generator)
        b = datasets.parallel_lines(0.1, 10, rng=generator)
        assert not np.array_equal(a[0], b[0])
        reference = np.random.default_rng(5)
        np.testing.assert_array_equal(a[0][:, 1], reference.random(10))
        np.testing.assert_array_equal(a[1][:, 1], reference.random(10))

    def test_numpy_scalars_are_accepted(self):
        x, y = datasets.parallel_lines(np.float32(0.5), np.int64(3), rng=0)
        assert x.shape == (3, 2) and np.all(y[:, 0] == 0.5)

    @pytest.mark.parametrize(
        "theta, n, kwargs, error, words",
        [
            (math.nan, 5, {}, ValueError, "theta"),
            (math.inf, 5, {}, ValueError, "theta"),
            ("1", 5, {}, TypeError, "theta"),
            (True, 5, {}, TypeError, "theta"),
            (0.5, 0, {}, ValueError, "n"),
            (0.5, -3, {}, ValueError, "n"),
            (0.5, 2.5, {}, TypeError, "n"),
            (0.5, True, {}, TypeError, "n"),
            (0.5, 5, {"rng": "seed"}, TypeError, "rng"),
            (0.5, 5, {"shared_noise": 1}, TypeError, "shared_noise"),
        ],
    )
    def test_bad_arguments_are_named(self, theta, n, kwargs, error, words):
        with pytest.raises(error, match=words):
            datasets.parallel_lines(theta, n, **kwargs)


class TestParallelLinesMeasures:
    @pytest.mark.parametrize("theta", [-2.0, -0.25, 1e-9, 0.75])
    def test_library_recovers_the_true_values(self, theta):
        p, q = datasets.parallel_lines_measures(theta, n_grid=64)
        truth = datasets.parallel_lines_truth(theta)
        assert math.isclose(float(dv.wasserstein(p, q)), truth["wasserstein"], rel_tol=1e-12)
        assert math.isclose(float(dv.wasserstein(p, q, order=2)), abs(theta), rel_tol=1e-12)
        assert float(dv.js_divergence(p, q)) == pytest.approx(truth["js"], rel=1e-14)
        assert float(dv.js_divergence(p, q)) == pytest.approx(LOG2, rel=1e-14)
        assert float(dv.kl_divergence(p, q)) == math.inf == truth["kl"]

    def test_theta_zero_gives_zero_everywhere(self):
        p, q = datasets.parallel_lines_measures(0.0, n_grid=10)
        assert float(dv.wasserstein(p, q)) == 0.0
        assert float(dv.js_divergence(p, q)) == 0.0
        assert float(dv.kl_divergence(p, q)) == 0.0

    def test_grid_is_midpoints_with_equal_masses(self):
        p, q = datasets.parallel_lines_measures(0.5, n_grid=4)
        np.testing.assert_allclose(p.support[:, 1], [0.125, 0.375, 0.625, 0.875])
        np.testing.assert_array_equal(p.support[:, 1], q.support[:, 1])
        assert np.all(p.support[:, 0] == 0.0) and np.all(q.support[:, 0] == 0.5)
        np.testing.assert_allclose(p.probabilities, 0.25)
        np.testing.assert_allclose(q.probabilities, 0.25)

    @pytest.mark.parametrize("n_grid", [1, 3, 10])
    def test_grid_is_at_w1_distance_one_over_4n_from_uniform(self, n_grid):
        # W_1 in 1-D is the integral of |F_grid(t) - t|; quadrature cell by cell.
        p, _ = datasets.parallel_lines_measures(0.0, n_grid=n_grid)
        heights = p.support[:, 1]

        def gap(t):
            return abs(np.searchsorted(heights, t, side="right") / n_grid - t)

        breaks = np.union1d(np.linspace(0, 1, n_grid + 1), heights)
        distance = sum(integrate.quad(gap, a, b)[0] for a, b in zip(breaks[:-1], breaks[1:]))
        assert distance == pytest.approx(1 / (4 * n_grid), rel=1e-9)

    @pytest.mark.parametrize(
        "theta, n_grid, error, words",
        [(math.nan, 10, ValueError, "theta"), (0.1, 0, ValueError, "n_grid"),
         (0.1, 1.5, TypeError, "n_grid")],
    )
    def test_bad_arguments_are_named(self, theta, n_grid, error, words):
        with pytest.raises(error, match=words):
            datasets.parallel_lines_measures(theta, n_grid)


class TestParallelLinesTruth:
    def test_values(self):
        assert datasets.parallel_lines_truth(0.3) == {
            "wasserstein": 0.3, "js": LOG2, "kl": math.inf, "tv": 1.0
        }
        assert datasets.parallel_lines_truth(-2.0)["wasserstein"] == 2.0
        assert datasets.parallel_lines_truth(0.0) == {
            "wasserstein": 0.0, "js": 0.0, "kl": 0.0, "tv": 0.0
        }

    def test_bits(self):
        assert datasets.parallel_lines_truth(1.0, base=2)["js"] == pytest.approx(1.0, rel=1e-15)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="theta"):
            datasets.parallel_lines_truth(math.inf)
        with pytest.raises(ValueError, match="base"):
            datasets.parallel_lines_truth(1.0, base=1)


def _check_mixture(points, labels, centres, std):
    """Check a Gaussian mixture sample against its centres and spread, to K_SE standard errors."""
    n, k = labels.shape[0], centres.shape[0]
    counts = np.bincount(labels, minlength=k)
    # Each count is Binomial(n, 1/k).
    assert np.all(np.abs(counts - n / k) <= K_SE * math.sqrt(n * (1 / k) * (1 - 1 / k)))
    residuals = points - centres[labels]
    # Per-mode means: standard error std / sqrt(count) per coordinate.
    for mode in range(k):
        mean = residuals[labels == mode].mean(axis=0)
        assert np.all(np.abs(mean) <= K_SE * std / math.sqrt(counts[mode]))
    # Pooled standard deviation: relative standard error about 1/sqrt(2 N), N = 2n values.
    spread = residuals.std()
    assert abs(spread / std - 1) <= K_SE / math.sqrt(2 * residuals.size)


class TestGaussianRing:
    def test_defaults_match_wgan_gp_layout(self):
        points, labels = datasets.gaussian_ring(8000, rng=0, return_labels=True)
        assert points.shape == (8000, 2) and labels.shape == (8000,)
        angles = 2 * math.pi * np.arange(8) / 8
        centres = 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])
        _check_mixture(points, labels, centres, 0.02)

    def test_custom_ring(self):
        points, labels = datasets.gaussian_ring(
            3000, n_modes=3, radius=5.0, std=0.5, rng=1, return_labels=True
        )
        angles = 2 * math.pi * np.arange(3) / 3
        centres = 5.0 * np.column_stack([np.cos(angles), np.sin(angles)])
        _check_mixture(points, labels, centres, 0.5)

    def test_seeded(self):
        np.testing.assert_array_equal(
            datasets.gaussian_ring(20, rng=3), datasets.gaussian_ring(20, rng=3)
        )
        other = datasets.gaussian_ring(20, rng=4)
        assert not np.array_equal(datasets.gaussian_ring(20, rng=3), other)

    @pytest.mark.parametrize(
        "kwargs, error, words",
        [
            ({"std": 0.0}, ValueError, "std"),
            ({"std": -1.0}, ValueError, "std"),
            ({"std": math.nan}, ValueError, "std"),
            ({"radius": 0.0}, ValueError, "radius"),
            ({"n_modes": 0}, ValueError, "n_modes"),
            ({"return_labels": "yes"}, TypeError, "return_labels"),
        ],
    )
    def test_bad_arguments_are_named(self, kwargs, error, words):
        with pytest.raises(error, match=words):
            datasets.gaussian_ring(10, **kwargs)

    def test_bad_n(self):
        with pytest.raises(ValueError, match="n must be >= 1"):
            datasets.gaussian_ring(0)


class TestGaussianGrid:
    def test_defaults_match_wgan_gp_layout(self):
        points, labels = datasets.gaussian_grid(25 * 400, rng=0, return_labels=True)
        offsets = 2.0 * (np.arange(5) - 2)
        # Row-major labels: label = i * side + j is the centre (offsets[i], offsets[j]).
        centres = np.array([[offsets[i], offsets[j]] for i in range(5) for j in range(5)])
        _check_mixture(points, labels, centres, 0.05)

    def test_even_side_is_centred(self):
        points, labels = datasets.gaussian_grid(
            4000, side=2, spacing=1.0, std=0.1, rng=1, return_labels=True
        )
        centres = np.array([[-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]])
        _check_mixture(points, labels, centres, 0.1)

    def test_seeded(self):
        np.testing.assert_array_equal(
            datasets.gaussian_grid(20, rng=3), datasets.gaussian_grid(20, rng=3)
        )

    @pytest.mark.parametrize(
        "kwargs, error, words",
        [
            ({"side": 0}, ValueError, "side"),
            ({"spacing": -2.0}, ValueError, "spacing"),
            ({"std": 0}, ValueError, "std"),
        ],
    )
    def test_bad_arguments_are_named(self, kwargs, error, words):
        with pytest.raises(error, match=words):
            datasets.gaussian_grid(10, **kwargs)


class TestSwissRoll:
    def test_points_lie_on_the_spiral_with_uniform_parameter(self):
        points = datasets.swiss_roll(3000, rng=0)
        t = 7.5 * np.hypot(points[:, 0], points[:, 1])
        np.testing.assert_allclose(7.5 * points, np.column_stack([t * np.cos(t), t * np.sin(t)]),
                                   rtol=0, atol=1e-12)
        u = (t / (1.5 * math.pi) - 1) / 2
        assert stats.kstest(u, "uniform").pvalue > 1e-4

    def test_noise_is_gaussian_with_the_given_std(self):
        # The spiral is drawn before the noise, so the same seed isolates the noise.
        clean = datasets.swiss_roll(5000, rng=1)
        noisy = datasets.swiss_roll(5000, noise=0.1, rng=1)
        residuals = (noisy - clean).ravel()
        assert abs(residuals.mean()) <= K_SE * 0.1 / math.sqrt(residuals.size)
        assert abs(residuals.std() / 0.1 - 1) <= K_SE / math.sqrt(2 * residuals.size)

    def test_seeded(self):
        np.testing.assert_array_equal(
            datasets.swiss_roll(20, noise=0.1, rng=3), datasets.swiss_roll(20, noise=0.1, rng=3)
        )

    @pytest.mark.parametrize("noise", [-0.1, math.inf, math.nan])
    def test_bad_noise(self, noise):
        with pytest.raises(ValueError, match="noise"):
            datasets.swiss_roll(10, noise=noise)


class TestTwoMoons:
    def test_points_lie_on_the_two_half_circles(self):
        points, labels = datasets.two_moons(1001, rng=0, return_labels=True)
        assert np.sum(labels == 0) == 501 and np.sum(labels == 1) == 500
        upper, lower = points[labels == 0], points[labels == 1]
        np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-12)
        assert np.all(upper[:, 1] >= 0)
        np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, rtol=1e-12)
        assert np.all(lower[:, 1] <= 0.5)
        assert not np.array_equal(labels, np.sort(labels))  # shuffled, not in two blocks

    def test_noise_is_gaussian_with_the_given_std(self):
        clean = datasets.two_moons(5000, rng=1)
        noisy = datasets.two_moons(5000, noise=0.2, rng=1)
        residuals = (noisy - clean).ravel()
        assert abs(residuals.std() / 0.2 - 1) <= K_SE / math.sqrt(2 * residuals.size)

    def test_single_point(self):
        points, labels = datasets.two_moons(1, rng=0, return_labels=True)
        assert points.shape == (1, 2) and labels.tolist() == [0]

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="noise"):
            datasets.two_moons(10, noise=-1.0)
        with pytest.raises(TypeError, match="n must be a positive integer"):
            datasets.two_moons(10.0)


def test_reachable_from_the_package():
    assert dv.datasets.parallel_lines is datasets.parallel_lines
