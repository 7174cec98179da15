"""Sliced Wasserstein as hypothesis properties.

With the directions fixed, SW_p(P, Q) = (mean over directions u of W_p(u.P, u.Q)^p)^(1/p)
is a metric, invariant under translations, homogeneous under scaling, equal to
W_p on the line, and never larger than W_p (projection onto a unit vector is
1-Lipschitz, so it cannot increase any transport cost).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences import testing as dvt
from theory_tolerances import EPS, cloud, lp_cost_tol, max_cost, root_tol

# Each direction's 1-D merge is exact up to (n + m)^2 eps of the largest cost
# (see cost_tol in test_theory_wasserstein.py); the mean over directions keeps
# that bound, and root_tol carries it through the p-th root.


def merge_tol(x, y, order):
    steps = x.shape[0] + y.shape[0]
    return 2 * (steps**2 + order + 2) * EPS * max_cost(x, y, order)


def directions(dim, count=7):
    return dvt.points(count, dim=dim, scale=1.0).filter(
        lambda u: bool(np.all(np.linalg.norm(u, axis=1) > 1e-3))
    )


def sliced(p, q, order, u):
    result = dv.wasserstein(p, q, order=order, method="sliced", directions=u)
    assert result.method == "sliced"
    return result


@st.composite
def problems(draw, count):
    dim = draw(st.integers(1, 3))
    clouds = [draw(dvt.samples(dim=dim)) for _ in range(count)]
    return clouds, draw(directions(dim)), draw(dvt.wasserstein_orders())


def tol(p, q, order, value):
    x, _ = cloud(p)
    y, _ = cloud(q)
    return root_tol(value**order, merge_tol(x, y, order), order) + 4 * EPS * value


@given(problems(2))
def test_sliced_is_symmetric_nonnegative_and_zero_on_the_diagonal(problem):
    (p, q), u, order = problem
    forward, backward = sliced(p, q, order, u).value, sliced(q, p, order, u).value
    assert forward >= 0.0
    assert abs(forward - backward) <= tol(p, q, order, forward)
    assert sliced(p, p, order, u).value <= tol(p, p, order, 0.0)


@given(problems(3))
def test_sliced_triangle_inequality(problem):
    (p, q, r), u, order = problem
    pq, qr, pr = (sliced(a, b, order, u).value for a, b in ((p, q), (q, r), (p, r)))
    slack = tol(p, q, order, pq) + tol(q, r, order, qr) + tol(p, r, order, pr)
    assert pr <= pq + qr + slack


@given(problems(2), st.floats(-5.0, 5.0), st.floats(0.25, 4.0))
def test_sliced_translation_invariance_and_scaling_law(problem, shift, factor):
    (p, q), u, order = problem
    base = sliced(p, q, order, u).value
    x, a = cloud(p)
    y, b = cloud(q)
    moved = sliced(dv.Samples(x + shift, a), dv.Samples(y + shift, b), order, u).value
    scaled = sliced(dv.Samples(factor * x, a), dv.Samples(factor * y, b), order, u).value
    # Translating adds |shift| |u.1| to every coordinate before the sort; the
    # rounding of the shifted points enters each cost at (|shift| + scale) eps.
    scale = float(np.abs(np.vstack([x, y])).max()) + abs(shift)
    slack = tol(p, q, order, base) + 8 * (x.shape[0] + y.shape[0]) * EPS * scale
    assert abs(moved - base) <= slack
    assert abs(scaled - factor * base) <= factor * (tol(p, q, order, base) + 4 * EPS * base)


@given(problems(2))
def test_sliced_is_at_most_wasserstein(problem):
    (p, q), u, order = problem
    value = sliced(p, q, order, u).value
    exact = dv.wasserstein(p, q, order=order, method="exact")
    x, _ = cloud(p)
    y, _ = cloud(q)
    slack = tol(p, q, order, value) + root_tol(exact.cost, lp_cost_tol(x, y, order), order)
    assert value <= exact.value + slack


@pytest.mark.parametrize("order", [1.0, 2.0])
@given(pair=st.tuples(dvt.samples(dim=1), dvt.samples(dim=1)))
def test_sliced_is_wasserstein_on_the_line(pair, order):
    p, q = pair
    value = dv.wasserstein(p, q, order=order, method="sliced", rng=0)
    exact = dv.wasserstein(p, q, order=order, method="1d")
    assert value.stderr == 0.0
    assert abs(value.value - exact.value) <= 2 * tol(p, q, order, exact.value)
