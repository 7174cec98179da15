"""Jensen-Shannon divergence and distance: exact cases against scipy and quadrature."""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.spatial.distance import jensenshannon

import divergences as dv
from divergences.exceptions import MethodError

LOG2 = math.log(2)


@pytest.mark.parametrize("seed", range(5))
def test_histograms_match_scipy(seed):
    rng = np.random.default_rng(seed)
    p, q = rng.random(10), rng.random(10)
    p[:2] = 0.0
    result = dv.js_distance(dv.Histogram(p), dv.Histogram(q))
    assert result.divergence == "js_distance"
    assert math.isclose(float(result), jensenshannon(p, q), rel_tol=1e-12)
    divergence = dv.js_divergence(dv.Histogram(p), dv.Histogram(q), base=2)
    assert math.isclose(float(divergence), jensenshannon(p, q, base=2) ** 2, rel_tol=1e-12)


def test_disjoint_histograms_reach_the_bound():
    p, q = dv.Histogram([1.0, 0.0]), dv.Histogram([0.0, 1.0])
    assert float(dv.js_divergence(p, q)) == LOG2
    assert float(dv.js_divergence(p, q, base=2)) == 1.0


def test_identical_is_zero_and_distance_has_no_stderr_blowup():
    h = dv.Histogram([0.1, 0.9])
    result = dv.js_distance(h, h)
    assert float(result) == 0.0 and result.stderr == 0.0


def test_symmetric():
    p, q = dv.Histogram([0.1, 0.2, 0.7]), dv.Histogram([0.5, 0.4, 0.1])
    assert float(dv.js_divergence(p, q)) == pytest.approx(float(dv.js_divergence(q, p)), rel=1e-15)


def test_atoms_against_a_density_are_mutually_singular():
    result = dv.js_divergence(dv.Histogram([1.0], support=[0.0]), dv.Gaussian(0.0, 1.0))
    assert float(result) == LOG2 and "singular" in result.note


@pytest.mark.parametrize(
    "p, q",
    [
        (dv.Uniform(0.0, 1.0), dv.Uniform(0.5, 2.5)),
        (dv.Uniform(0.0, 1.0), dv.Uniform(0.0, 1.0)),
        (dv.Uniform(0.0, 1.0), dv.Uniform(3.0, 4.0)),
        (dv.Uniform(-1.0, 3.0), dv.Uniform(0.0, 1.0)),
    ],
)
def test_uniforms_against_quadrature(p, q):
    def half(a, b):
        lo, hi = a.low[0], a.high[0]

        def integrand(x):
            pa, pb = math.exp(a.logpdf([x])[0]), math.exp(b.logpdf([x])[0])
            return pa * math.log(2 * pa / (pa + pb))

        points = [v for v in (b.low[0], b.high[0]) if lo < v < hi]
        return integrate.quad(integrand, lo, hi, points=points or None)

    (left, e1), (right, e2) = half(p, q), half(q, p)
    expected = 0.5 * (left + right)
    assert abs(float(dv.js_divergence(p, q)) - expected) <= 10 * (e1 + e2) + 1e-13


def test_uniform_boxes_in_2d():
    # Boxes [0,1]^2 and [0.5,1.5]x[0,1] overlap on a quarter... of volume 1/2.
    p, q = dv.Uniform([0.0, 0.0], [1.0, 1.0]), dv.Uniform([0.5, 0.0], [1.5, 1.0])
    # Equal densities: on the overlap log(2a/(a+b)) = 0, elsewhere log 2 on half of each.
    assert math.isclose(float(dv.js_divergence(p, q)), 0.5 * LOG2, rel_tol=1e-14)


def test_gaussians_route_to_methods_not_built_yet_with_a_clear_message():
    p, q = dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0)
    with pytest.raises(NotImplementedError, match="method='quadrature'"):
        dv.js_divergence(p, q)


def test_unknown_method():
    with pytest.raises(MethodError, match="unknown method"):
        dv.js_distance(dv.Histogram([1.0]), dv.Histogram([1.0]), method="bogus")
