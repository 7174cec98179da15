"""Regressions found by the property tests in tests/theory (1-D transport)."""

import math

from scipy import stats

import divergences as dv


def test_uniform_closed_form_does_not_cancel_for_nearly_equal_widths():
    # Both widths are 2.73125 up to one rounding: W_1 is the shift, 1.4375 (was 1.5).
    p, q = dv.Uniform(0.0, 1.9 * 1.4375), dv.Uniform(1.4375, 2.9 * 1.4375)
    assert math.isclose(float(dv.wasserstein(p, q, method="1d")), 1.4375, rel_tol=1e-14)
    p, q = dv.Uniform(-2.1, -1.1), dv.Uniform(-4.1, -3.1)
    assert math.isclose(float(dv.wasserstein(p, q, order=3, method="1d")), 2.0, rel_tol=1e-14)


def test_quadrature_finds_a_crossing_of_the_quantiles_near_an_end():
    # The quantile difference changes sign at t = 2^-9 and at t = 3.05e-5.
    for low, high in ((-(2**-9), 2 - 2**-9), (-6.10352e-05, 2.99994)):
        closed = float(dv.wasserstein(dv.Uniform(0, 1), dv.Uniform(low, high), method="1d"))
        p = dv.ScipyDensity(stats.uniform(0, 1))
        q = dv.ScipyDensity(stats.uniform(low, high - low))
        generic = dv.wasserstein(p, q, method="1d")
        assert generic.note.startswith("adaptive quadrature")
        assert math.isclose(float(generic), closed, rel_tol=1e-12)


def test_quadrature_between_identical_laws_is_zero():
    g = dv.ScipyDensity(stats.norm(0.0, 1.0))
    assert float(dv.wasserstein(g, g, method="1d")) == 0.0
    assert float(dv.wasserstein(dv.Gaussian(0.0, 1.0), dv.Gaussian(0.0, 1.0), method="1d")) == 0.0


def test_gaussian_w1_by_quadrature_against_a_z_space_integral():
    # W_1^1 = E|dm + ds Z| for Z ~ N(0, 1), integrated in z with the kink at
    # z* = -dm/ds given to quad: an independent reference. The quantile-space
    # quadrature used to miss the kink (errors up to 5e-4 on such pairs).
    import numpy as np
    from scipy.integrate import quad

    m1, v1, m2, v2 = 0.3, 2.5, -0.4, 0.6
    dm, ds = m1 - m2, math.sqrt(v1) - math.sqrt(v2)
    kink = -dm / ds

    def weighted(z):
        return abs(dm + ds * z) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    reference = quad(weighted, -38, 38, points=[kink], epsabs=1e-15, epsrel=1e-13, limit=500)[0]
    value = float(dv.wasserstein(dv.Gaussian(m1, v1), dv.Gaussian(m2, v2), order=1, method="1d"))
    # quad's requested accuracy is 1e-11 relative; measured errors stay below 2e-8.
    assert abs(value - reference) <= 1e-7 * reference
    assert np.isfinite(value)
