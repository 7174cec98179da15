"""The parallel-lines example, for every theta, with the exact methods.

P = law of (0, Z), Q_theta = law of (theta, Z), Z on the same heights for
both (discretised: equal masses on n heights in [0, 1]). For every theta:
W_1 = W_2 = |theta|, and for theta != 0: JS = log 2, KL = +inf, TV = 1.
"""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences import testing as dvt
from theory_tolerances import LOG2, aligned, cloud, lp_cost_tol, root_tol, total_variation, tv_tol

lines = dvt.parallel_lines()
thetas = st.one_of(st.just(0.0), dvt.well_scaled_floats(5.0))


@given(lines, dvt.wasserstein_orders())
def test_wasserstein_is_the_offset(pair, order):
    result = dv.wasserstein(pair.p, pair.q, order=order, method="exact")
    assert result.converged
    (x, _), (y, _) = cloud(pair.p), cloud(pair.q)
    tol = root_tol(result.cost, lp_cost_tol(x, y, order), order)
    assert abs(result.value - abs(pair.details["theta"])) <= tol
    assert pair.wasserstein(order) == abs(pair.details["theta"])


@given(dvt.parallel_lines(kind="histogram"))
def test_information_divergences_do_not_see_the_offset(pair):
    theta = pair.details["theta"]
    kl = float(dv.kl_divergence(pair.p, pair.q))
    js = float(dv.js_divergence(pair.p, pair.q))
    a, b = aligned(pair.p, pair.q)
    if theta != 0.0:
        # Exactly: disjoint supports (the library returns log 2 itself here).
        assert kl == math.inf and js == LOG2 == pair.js
        assert float(dv.js_divergence(pair.p, pair.q, base=2)) == 1.0
        assert abs(total_variation(a, b) - 1.0) <= tv_tol(len(a))
    else:
        assert kl == 0.0 and js == 0.0
        assert total_variation(a, b) == 0.0


def discretised_lines(theta, n):
    heights = (np.arange(n) + 0.5) / n
    mass = np.full(n, 1.0 / n)
    p = dv.Histogram(mass, support=np.column_stack([np.zeros(n), heights]))
    q = dv.Histogram(mass, support=np.column_stack([np.full(n, theta), heights]))
    return p, q


@given(thetas, st.integers(1, 8))
def test_only_wasserstein_decreases_as_theta_moves_towards_zero(theta, n):
    # The point of the example: along theta -> theta / 2, W halves while JS and
    # KL stay at log 2 and inf -- only W gives a signal that moves theta to 0.
    here, half = discretised_lines(theta, n), discretised_lines(theta / 2, n)
    w_here = dv.wasserstein(*here, method="exact")
    w_half = dv.wasserstein(*half, method="exact")
    (x, _), (y, _) = cloud(here[0]), cloud(here[1])
    tol = lp_cost_tol(x, y, 1.0)
    assert abs(w_half.value - 0.5 * w_here.value) <= 2 * tol
    assert float(dv.js_divergence(*here)) == float(dv.js_divergence(*half))
    assert float(dv.kl_divergence(*here)) == float(dv.kl_divergence(*half))
