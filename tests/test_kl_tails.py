"""KL by quadrature keeps P's tails: infinite KL is inf with a note, finite KL its tails' share (issue 19, 9)."""

import math

import pytest
from scipy import integrate, stats

import divergences as dv


def _kl_whole_line(p, q):
    """KL(P||Q) by scipy's quad over the whole line (infinite ranges), an independent oracle."""

    def integrand(x):
        log_p = p.logpdf(x)
        return 0.0 if log_p == -math.inf else math.exp(log_p) * (log_p - q.logpdf(x))

    edges = (-math.inf, -10.0, 0.0, 10.0, math.inf)
    parts = [integrate.quad(integrand, a, b, limit=500, epsabs=1e-14, epsrel=1e-12)
             for a, b in zip(edges[:-1], edges[1:])]
    return sum(v for v, _ in parts), sum(e for _, e in parts)


class TestKLQuadratureTails:
    def test_heavy_tail_share_is_counted(self):
        # P = t(5) against a normal: the tails beyond P's 1e-14 quantiles hold 1.6e-8 of
        # KL (log p/q ~ x^2/2 there). Before, they were cut off and stderr was 6e-14.
        p, q = stats.t(5), stats.norm()
        result = dv.kl_divergence(p, q, method="quadrature")
        expected, oracle_error = _kl_whole_line(p, q)
        assert result.details["lower_tail"] + result.details["upper_tail"] > 1e-8
        assert abs(result.value - expected) <= result.stderr + oracle_error

    @pytest.mark.parametrize(
        "p, q",
        [
            pytest.param(stats.norm(), stats.t(3), id="light-against-heavy"),
            pytest.param(stats.norm(), stats.norm(1.0, 2.0), id="normals"),
            pytest.param(stats.laplace(), stats.norm(), id="laplace-normal"),
        ],
    )
    def test_against_the_whole_line(self, p, q):
        result = dv.kl_divergence(p, q, method="quadrature")
        expected, oracle_error = _kl_whole_line(p, q)
        assert abs(result.value - expected) <= result.stderr + oracle_error

    def test_normals_closed_form(self):
        # KL(N(0,1) || N(1, 4)) = log 2 + (1 + 1) / 8 - 1/2.
        result = dv.kl_divergence(stats.norm(), stats.norm(1.0, 2.0), method="quadrature")
        assert abs(result.value - (math.log(2.0) + 0.25 - 0.5)) <= result.stderr + 1e-15

    def test_divergent_tail_is_infinite(self):
        # E_Cauchy[x^2] = inf: KL(Cauchy || normal) = inf; a finite 0.75 before, stderr tiny.
        result = dv.kl_divergence(stats.cauchy(), stats.norm(), method="quadrature")
        assert result.value == math.inf and "tail is heavier" in result.note
