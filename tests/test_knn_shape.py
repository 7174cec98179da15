"""The shape corrections of the k-NN estimators (divergences._knn_shape).

Oracles: the noncentral chi-square law (scipy.stats.ncx2) gives the exact
mass of a ball under an isotropic Gaussian; a run on 2^15 nodes stands in for
the exact value under an anisotropic one.
"""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import gammaln

from divergences import _knn_shape as shape


def exact_isotropic_log_ratio(x, r, mean):
    """log C(x, r) under N(mean, I): ball mass / (density at x * ball volume)."""
    d = x.shape[1]
    offset = np.sum((x - mean) ** 2, axis=1)
    log_volume = 0.5 * d * math.log(math.pi) - gammaln(0.5 * d + 1) + d * np.log(r)
    log_density = -0.5 * offset - 0.5 * d * math.log(2 * math.pi)
    return np.log(stats.ncx2.cdf(r * r, d, offset)) - log_density - log_volume


@pytest.mark.parametrize("d", [1, 2, 3, 5, 10])
def test_ball_mass_is_exact_for_an_isotropic_gaussian(d, monkeypatch):
    rng = np.random.default_rng(d)
    mean = np.full(d, 0.5)
    x = rng.standard_normal((400, d)) * 1.5
    r = rng.uniform(0.05, 1.0, 400) * math.sqrt(d)
    monkeypatch.setattr(shape, "_gaussian_fit", lambda sample: (mean, np.eye(d)))
    approx = shape.log_ball_mass_ratios(x, r, np.zeros((3, d)), nodes=16)
    exact = exact_isotropic_log_ratio(x, r, mean)
    ok = np.isfinite(exact)  # ncx2.cdf underflows for far-out balls; keep where it does not
    assert ok.mean() > 0.9
    # The control variate makes the isotropic case exact: only rounding (and scipy's
    # ncx2, accurate to ~1e-10 relative here) remains, whatever the number of nodes.
    np.testing.assert_allclose(approx[ok], exact[ok], rtol=0, atol=1e-8)


def log_isotropic_mean_by_quad(d, slope, curvature):
    """``log E exp(-slope u_1 - curvature |u|^2)``, u uniform in the unit ball, by scipy quad.

    The sphere mean of ``exp(z u_1)`` is ``Gamma(b) (2/z)^(b-1) I_(b-1)(z)``, b = d/2
    (scipy's exponentially scaled ``ive``, so that slopes of hundreds do not overflow).
    """
    from scipy.integrate import quad
    from scipy.special import gammaln, ive

    b = 0.5 * d

    def log_sphere(z):
        if z < 1e-4:  # the series' first terms: (2/z)^(b-1) would overflow
            return math.log1p(z * z / (4 * b))
        return gammaln(b) + (b - 1) * math.log(2 / z) + math.log(ive(b - 1, z)) + z

    # Scaled by the integrand's value at s = 1 (its largest for these slopes).
    top = math.log(d) - curvature + log_sphere(slope)
    integrand = lambda s: math.exp(math.log(d) + (d - 1) * math.log(max(s, 1e-300))
                                   - curvature * s * s + log_sphere(slope * s) - top)
    value, _ = quad(integrand, 0.0, 1.0, epsabs=0, epsrel=1e-12, limit=200)
    return top + math.log(value)


@pytest.mark.parametrize("d", [1, 2, 5, 10])
def test_isotropic_ball_means_against_quadrature(d):
    # Both paths of the kernel: the nodes' series side by side below slope 600, node by
    # node in the log domain above; and each of the three radial rules (slopes 5, 12).
    slopes = np.array([0.0, 1e-8, 0.3, 2.0, 5.0, 11.0, 30.0, 120.0, 599.0, 601.0, 900.0])
    curvatures = np.array([0.0, 0.4, 7.0])
    slope, curvature = (a.ravel() for a in np.meshgrid(slopes, curvatures))
    got = shape._log_isotropic_ball_means(d, slope, curvature)
    want = [log_isotropic_mean_by_quad(d, s, c) for s, c in zip(slope, curvature)]
    # quad's relative 1e-12 and the rules' rounding-level error: 1e-9 relative to the
    # log-mean's size (up to ~900 nats here).
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("d", [2, 5])
def test_ball_mass_under_an_anisotropic_gaussian(d, monkeypatch):
    rng = np.random.default_rng(10 + d)
    b = 0.3 * rng.standard_normal((d, d))
    precision = np.eye(d) + b @ b.T
    mean = np.zeros(d)
    x = rng.standard_normal((300, d))
    r = rng.uniform(0.2, 0.8, 300) * math.sqrt(d)  # the radii of k-NN balls at n ~ 10^3
    monkeypatch.setattr(shape, "_gaussian_fit", lambda sample: (mean, precision))
    reference = shape.log_ball_mass_ratios(x, r, None, nodes=2**15)
    approx = shape.log_ball_mass_ratios(x, r, None)
    # These radii are those of k-NN balls at n ~ 500, larger than ball_nodes' measurement
    # (mean error <= 3.4e-3); the estimators add up the mean over points, so the mean is
    # what is bounded, at three times that measurement, and the worst point loosely.
    assert abs(np.mean(approx - reference)) < 1e-2
    assert np.max(np.abs(approx - reference)) < 0.3


def test_flat_limit_and_sign():
    rng = np.random.default_rng(0)
    sample = rng.standard_normal((5000, 3))
    centre = np.zeros((1, 3))
    tiny, wide = shape.log_ball_mass_ratios(centre, np.array([1e-6]), sample), \
        shape.log_ball_mass_ratios(centre, np.array([1.0]), sample)
    assert abs(tiny[0]) < 1e-9      # a small ball sees a flat density
    assert wide[0] < 0              # at the mode, the ball's mean density is lower
    far = shape.log_ball_mass_ratios(np.full((1, 3), 3.0), np.array([1.0]), sample)
    assert far[0] > 0               # in the tail, the ball reaches denser regions


def test_marginal_gaussianization_is_one_increasing_map_per_coordinate():
    rng = np.random.default_rng(1)
    x = np.exp(rng.standard_normal((3000, 2)))
    y = np.exp(rng.standard_normal((2000, 2)) + 0.5)
    gx, gy = shape.marginal_gaussianization(x, y)
    pooled, mapped = np.concatenate([x, y]), np.concatenate([gx, gy])
    for j in range(2):
        order = np.argsort(pooled[:, j])
        assert np.all(np.diff(mapped[order, j]) > 0)  # strictly increasing: a bijection
    # The pooled marginals come out close to N(0, 1) (exp(N) has skewness about 6): their
    # quantiles at 1% .. 99% within 0.05 of the normal ones (the sampling error of a
    # quantile of 5,000 points is below 0.03 there), the few points beyond the
    # outermost knots extrapolated, not sent off to the original tail.
    levels = np.linspace(0.01, 0.99, 99)
    for j in range(2):
        assert np.max(np.abs(np.quantile(mapped[:, j], levels) - stats.norm.ppf(levels))) < 0.05
    assert np.max(np.abs(mapped)) < 10 < np.max(pooled)
    assert (gx.shape, gy.shape) == (x.shape, y.shape)


def test_marginal_gaussianization_leaves_a_constant_coordinate():
    x = np.column_stack([np.ones(50), np.arange(50.0)])
    gx, gy = shape.marginal_gaussianization(x, x + [0.0, 0.5])
    np.testing.assert_array_equal(gx[:, 0], 1.0)
