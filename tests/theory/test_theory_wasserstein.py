"""W_p between discrete measures: metric axioms, invariances, duality, known values.

Methods under test: ``"exact"`` (network simplex with a certificate, any
dimension) and ``"1d"`` (merge of sorted atoms, the line). Both are exact up
to rounding; the tolerances come from ``theory_tolerances``: the certificate
of the simplex (2e-9 of the largest cost) or the rounding of the 1-D merge,
carried from W_p^p to W_p by ``root_tol``.
"""


import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import divergences as dv
from divergences import testing as dvt
from theory_tolerances import EPS, aligned, cloud, lp_cost_tol, max_cost, root_tol, total_variation

METHODS = ("exact", "1d")


def point_clouds(dim, **kw):
    return st.one_of(dvt.samples(dim=dim, **kw), dvt.histograms(dim=dim, **kw))


def cloud_tuples(method, count):
    dims = st.just(1) if method == "1d" else st.integers(1, 3)
    return dims.flatmap(lambda d: st.tuples(*[point_clouds(d)] * count))


def cost_tol(method, p, q, order):
    """How far the method's W_p^p may be from the true one."""
    x, _ = cloud(p)
    y, _ = cloud(q)
    if method == "exact":
        return lp_cost_tol(x, y, order)
    # The merge: at most n + m steps; each moves a mass that carries the
    # rounding of the running remainders (<= (n + m) eps) times a cost <= max C,
    # and the sum of n + m terms adds (n + m) eps max C.
    steps = x.shape[0] + y.shape[0]
    return 2 * (steps**2 + order + 2) * EPS * max_cost(x, y, order)


def solve(p, q, order=1.0, method="exact", **kw):
    try:
        result = dv.wasserstein(p, q, order=order, method=method, **kw)
    except dv.ConvergenceWarning as warning:
        # At order > 1, W_p^p can lie below the float64 resolution of the dual
        # certificate next to the clouds' diameter (W_3 = 4e-5 between clouds 5
        # apart: W_3^3 = 6e-14 against costs of 125). The exact solvers then say
        # they could not certify (tests/test_ot_scale.py holds them to it): there
        # is no certified value to check a statement on.
        assume(not (order > 1.0 and method == "exact" and "could not certify" in str(warning)))
        raise
    assert result.method == method
    assert result.converged and result.stderr == 0.0
    return result


def w_tol(method, p, q, order, result):
    return root_tol(result.cost, cost_tol(method, p, q, order), order)


def translate(measure, shift):
    points, weights = cloud(measure)
    if measure.kind == "samples":
        return dv.Samples(points + shift, weights=None if measure.is_uniform else weights)
    return dv.Histogram(weights, support=points + shift)


def _scaled(measure, factor):
    points, weights = cloud(measure)
    if measure.kind == "samples":
        return dv.Samples(factor * points, weights=None if measure.is_uniform else weights)
    return dv.Histogram(weights, support=factor * points)


def as_histogram(measure):
    points, weights = cloud(measure)
    return dv.Histogram(weights, support=points)


def radius(*measures):
    return max(float(np.linalg.norm(cloud(m)[0], axis=1).max()) for m in measures)


# --- metric axioms -------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_nonnegative_and_zero_on_the_diagonal(method, data):
    p, q = data.draw(cloud_tuples(method, 2))
    order = data.draw(dvt.wasserstein_orders())
    assert solve(p, q, order, method).value >= 0.0
    assert solve(p, p, order, method).cost <= cost_tol(method, p, p, order)


@given(data=st.data())
def test_identity_of_indiscernibles_quantitatively(data):
    # Any coupling leaves at least TV of mass off the diagonal, and moving it
    # costs at least the smallest distance between distinct atoms, so
    # W_1 >= delta_min * TV: W_1 = 0 forces P = Q.
    p, q = data.draw(cloud_tuples("exact", 2))
    a, b = aligned(as_histogram(p), as_histogram(q))
    tv = total_variation(a, b)
    atoms = np.unique(np.vstack([cloud(p)[0], cloud(q)[0]]), axis=0)
    if len(atoms) < 2:
        return
    gaps = np.linalg.norm(atoms[:, None] - atoms[None], axis=-1)
    delta_min = float(gaps[gaps > 0].min())
    result = solve(p, q)
    # The TV rounding (n eps) times a distance of at most the diameter.
    slack = w_tol("exact", p, q, 1.0, result) + 2 * len(a) * EPS * float(gaps.max())
    assert result.value >= delta_min * tv - slack


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_symmetry(method, data):
    p, q = data.draw(cloud_tuples(method, 2))
    order = data.draw(dvt.wasserstein_orders())
    forward, backward = solve(p, q, order, method), solve(q, p, order, method)
    assert abs(forward.cost - backward.cost) <= 2 * cost_tol(method, p, q, order)


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_triangle_inequality(method, data):
    p, q, r = data.draw(cloud_tuples(method, 3))
    order = data.draw(dvt.wasserstein_orders())
    legs = [(p, r), (p, q), (q, r)]
    results = [solve(a, b, order, method) for a, b in legs]
    slack = sum(w_tol(method, a, b, order, res) for (a, b), res in zip(legs, results))
    assert results[0].value <= results[1].value + results[2].value + slack


# --- invariances and the scaling law ---------------------------------------


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_translation_invariance(method, data):
    p, q = data.draw(cloud_tuples(method, 2))
    order = data.draw(dvt.wasserstein_orders())
    dim = cloud(p)[0].shape[1]
    shift = np.array(data.draw(st.lists(dvt.well_scaled_floats(10.0), min_size=dim, max_size=dim)))
    p2, q2 = translate(p, shift), translate(q, shift)
    before, after = solve(p, q, order, method), solve(p2, q2, order, method)
    # Rounding x + a moves each atom by <= eps/2 |x + a|, and W_p by at most that.
    moved = EPS * radius(p2, q2)
    slack = w_tol(method, p, q, order, before) + w_tol(method, p2, q2, order, after) + moved
    assert abs(after.value - before.value) <= slack


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_scaling_law(method, data):
    # W_p(s P, s Q) = |s| W_p(P, Q): the cost matrix scales by |s|^p.
    p, q = data.draw(cloud_tuples(method, 2))
    order = data.draw(dvt.wasserstein_orders())
    factor = data.draw(dvt.well_scaled_floats(4.0))
    p2, q2 = _scaled(p, factor), _scaled(q, factor)
    before, after = solve(p, q, order, method), solve(p2, q2, order, method)
    moved = EPS * radius(p2, q2)
    slack = (
        w_tol(method, p2, q2, order, after)
        + abs(factor) * w_tol(method, p, q, order, before)
        + moved
    )
    assert abs(after.value - abs(factor) * before.value) <= slack


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_wasserstein_is_nondecreasing_in_the_order(method, data):
    # Jensen: (E|X - Y|^p)^(1/p) is nondecreasing in p for any coupling, hence
    # for the optimal one; in particular W_1 <= W_2.
    p, q = data.draw(cloud_tuples(method, 2))
    values = {}
    slack = {}
    for order in (1.0, 1.5, 2.0, 3.0):
        result = solve(p, q, order, method)
        values[order] = result.value
        slack[order] = w_tol(method, p, q, order, result)
    orders = sorted(values)
    for low, high in zip(orders, orders[1:]):
        assert values[low] <= values[high] + slack[low] + slack[high]


# --- duality ----------------------------------------------------------------


def cost_matrix(x, y, order):
    # An independent evaluation of |x_i - y_j|^p (not the library's cdist).
    return np.sqrt(np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)) ** order


@given(data=st.data())
def test_lp_duality_with_the_solver_potentials(data):
    p, q = data.draw(cloud_tuples("exact", 2))
    order = data.draw(dvt.wasserstein_orders())
    result = solve(p, q, order, "exact", return_plan=True)
    (x, a), (y, b) = cloud(p), cloud(q)
    cost = cost_matrix(x, y, order)
    tol = lp_cost_tol(x, y, order)
    # The auction returns a sparse plan, the network simplex a dense one.
    plan = result.plan.toarray() if hasattr(result.plan, "toarray") else np.asarray(result.plan)
    # Primal feasibility: a coupling of a and b (the certificate's 1e-9 in L1).
    assert plan.min() >= 0.0
    assert np.abs(plan.sum(axis=1) - a).sum() + np.abs(plan.sum(axis=0) - b).sum() <= 1e-9
    assert abs(float(np.sum(plan * cost)) - result.cost) <= tol
    # Dual feasibility, f_i + g_j <= C_ij, and no duality gap: a.f + b.g = primal.
    f, g = result.potentials
    assert np.all(f[:, None] + g[None, :] <= cost + tol)
    assert abs(float(a @ f + b @ g) - result.cost) <= tol


def lipschitz_functions(dim):
    """Random 1-Lipschitz functions: min over k of (c_k + |x - z_k|), or u.x with |u| <= 1."""
    centres = st.lists(
        st.tuples(dvt.well_scaled_floats(5.0), dvt.points(1, dim=dim, scale=10.0)),
        min_size=1,
        max_size=4,
    )
    distance_min = centres.map(
        lambda cs: lambda x: np.min(
            [c + np.linalg.norm(x - z, axis=1) for c, z in cs], axis=0
        )
    )
    directions = dvt.points(1, dim=dim, scale=1.0).map(
        lambda u: (lambda v: lambda x: x @ v)(u[0] / max(1.0, float(np.linalg.norm(u[0]))))
    )
    return st.one_of(distance_min, directions)


@given(data=st.data())
def test_kantorovich_rubinstein_bound_and_its_attainment(data):
    p, q = data.draw(cloud_tuples("exact", 2))
    (x, a), (y, b) = cloud(p), cloud(q)
    result = solve(p, q, 1.0, "exact")
    tol = lp_cost_tol(x, y, 1.0)
    # E_P f - E_Q f <= W_1 for every 1-Lipschitz f. Evaluating f costs a few
    # roundings of its magnitude per atom, summed over n + m atoms.
    f = data.draw(lipschitz_functions(x.shape[1]))
    fx, fy = f(x), f(y)
    rounding = 4 * (len(x) + len(y) + x.shape[1]) * EPS * max(np.abs(fx).max(), np.abs(fy).max())
    assert float(a @ fx - b @ fy) <= result.value + tol + rounding
    # The sup is attained by the c-transform F(z) = min_j |z - y_j| - g_j of the
    # solver's potential g: F is 1-Lipschitz, F(x_i) >= f_i and F(y_j) <= -g_j.
    _, g = result.potentials
    def c_transform(z):
        return np.min(cost_matrix(z, y, 1.0) - g[None, :], axis=1)
    Fx, Fy = c_transform(x), c_transform(y)
    rounding = 4 * (len(x) + len(y) + x.shape[1]) * EPS * (np.abs(Fx).max() + np.abs(Fy).max())
    assert abs(float(a @ Fx - b @ Fy) - result.value) <= 2 * tol + rounding


# --- the 1-D solver against the simplex and the quantile formula ------------


@given(data=st.data())
def test_one_d_agrees_with_the_simplex(data):
    p, q = data.draw(cloud_tuples("1d", 2))
    order = data.draw(dvt.wasserstein_orders())
    line, simplex = solve(p, q, order, "1d"), solve(p, q, order, "exact")
    tol = cost_tol("1d", p, q, order) + cost_tol("exact", p, q, order)
    assert abs(line.cost - simplex.cost) <= tol


@given(
    st.integers(1, 8).flatmap(lambda n: st.tuples(dvt.points(n), dvt.points(n))),
    dvt.wasserstein_orders(),
)
def test_one_d_equals_the_sorted_matching(xy, order):
    # Equal sizes, equal weights: the monotone matching of sorted atoms is optimal.
    x, y = xy
    expected = float(np.mean(np.abs(np.sort(x[:, 0]) - np.sort(y[:, 0])) ** order))
    result = solve(dv.Samples(x), dv.Samples(y), order, "1d")
    assert abs(result.cost - expected) <= 2 * (2 * len(x) + order + 2) * EPS * max_cost(x, y, order)


# --- pairs with a known distance -----------------------------------------------

known_pairs = st.one_of(
    dvt.shifted_copies(dim=st.integers(1, 3)),
    dvt.planted_permutations(dim=st.integers(1, 3)),
    dvt.planted_permutations(dim=st.integers(1, 2), weighted=True),
    dvt.diracs(dim=st.integers(1, 3)),
    dvt.dirac_and_samples(dim=st.integers(1, 3)),
)


@given(known_pairs, dvt.wasserstein_orders())
def test_known_distances(pair, order):
    methods = ["exact"] + (["1d"] if pair.p.dim == 1 else [])
    for method in methods:
        result = solve(pair.p, pair.q, order, method)
        slack = w_tol(method, pair.p, pair.q, order, result) + pair.rounding
        assert abs(result.value - pair.wasserstein(order)) <= slack, method
