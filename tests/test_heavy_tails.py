"""Heavy tails: an infinite W_p is inf with a note, never a finite number (issue 19, 4).

In 1-D, W_p(P, Q)^p = int_0^1 |F^-1 - G^-1|^p, finite iff that integrand is
integrable at both ends. If only P lacks a p-th moment, W_p is infinite (the
triangle inequality through a Dirac); if both do, it can be either (Cauchy
against a shifted Cauchy: 1; against a Cauchy of twice the scale: inf).
"""

import math
import warnings

import pytest
from scipy import integrate, stats

import divergences as dv


class TestWassersteinInfiniteMoments:
    @pytest.mark.parametrize(
        "p, q, order",
        [
            pytest.param(stats.cauchy(), stats.norm(), 1.0, id="cauchy-has-no-mean"),  # 56.76 before
            pytest.param(stats.t(2), stats.norm(), 2.0, id="t2-no-variance"),  # 8.18 before
            pytest.param(stats.t(3), stats.norm(), 3.0, id="t3-no-third-moment"),
            pytest.param(stats.norm(), stats.t(3), 3.5, id="heavy-law-second"),
            pytest.param(stats.pareto(1.5), stats.norm(), 1.5, id="pareto-upper-tail"),
            pytest.param(stats.cauchy(), stats.cauchy(0.0, 2.0), 1.0, id="cauchy-scales"),
        ],
    )
    def test_infinite(self, p, q, order):
        result = dv.wasserstein(p, q, order=order)
        assert result.value == math.inf and result.cost == math.inf
        assert result.method == "1d" and "is infinite" in result.note

    def test_note_names_the_law_without_the_moment(self):
        assert "P has no finite moment of order 1" in dv.wasserstein(stats.cauchy(), stats.norm()).note
        note = dv.wasserstein(stats.norm(), stats.t(2), order=2).note
        assert "Q has no finite moment of order 2" in note

    @pytest.mark.parametrize(
        "p, q, order",
        [
            pytest.param(stats.t(2), stats.norm(), 1.0, id="t2-has-a-mean"),
            pytest.param(stats.t(3), stats.norm(), 2.0, id="t3-has-a-variance"),
            pytest.param(stats.lognorm(1.0), stats.norm(), 4.0, id="lognormal-all-moments"),
            pytest.param(stats.pareto(2.5), stats.norm(), 2.0, id="pareto-below-its-index"),
        ],
    )
    def test_finite(self, p, q, order):
        result = dv.wasserstein(p, q, order=order)
        assert math.isfinite(result.value) and "infinite" not in result.note

    def test_finite_value_against_the_cdf_formula(self):
        # W_1 = int |F - G| dx (an independent formula); its integrand decays like 1/x^2.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            parts = [
                integrate.quad(lambda x: abs(stats.t.cdf(x, 2) - stats.norm.cdf(x)), a, b,
                               limit=500, epsabs=1e-12, epsrel=1e-11)
                for a, b in ((-math.inf, 0.0), (0.0, math.inf))
            ]
        expected = sum(value for value, _ in parts)
        error = sum(abserr for _, abserr in parts)
        result = dv.wasserstein(stats.t(2), stats.norm())
        assert abs(result.value - expected) <= error + result.details["quadrature_abserr"] + 1e-10

    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_both_heavy_but_finite(self, order):
        # No moment of either, yet the quantiles differ by exactly 1: W_p = 1 for every p.
        result = dv.wasserstein(stats.cauchy(), stats.cauchy(1.0), order=order)
        assert result.value == pytest.approx(1.0, abs=1e-9)

